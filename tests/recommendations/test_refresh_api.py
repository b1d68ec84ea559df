"""POST /api/recommendations/user/{id}/refresh/: a list steered by seeds and moods, queued
and then served by GET, and the refusal of unknown seeds and bad values."""

from __future__ import annotations

import pytest

from recommendations.model import model_forget
from recommendations.models import Generation
from tests.factories import SongFactory, UserFactory
from tests.recommendations.builders import refresh_url, song_ids, url
from users.services import PROFILE_LIST_MAX_ITEMS


def test_a_refresh_steered_by_moods_and_seeds_becomes_the_served_list(
    client_of, world, django_capture_on_commit_callbacks
):
    listener = UserFactory(profile__favorite_genres=[], profile__moods=[])
    client = client_of(listener)
    body = {"limit": 3, "seed_artists": ["gamma"], "seed_genres": ["Jazz"], "moods": ["calm"]}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(refresh_url(listener.pk), body, format="json")

    assert response.status_code == 202
    status = client.get(response.json()["status_url"]).json()
    assert status["state"] == "success"
    result = status["result"]
    assert len(result["results"]) == 3
    assert result["results"][0]["song"]["artists"][0]["name"] in {"Gamma", "Delta"}
    generation = Generation.objects.get()
    assert generation.request["moods"] == ["calm"]
    assert generation.duration_ms is not None
    assert song_ids(client.get(url(listener.pk), {"limit": 3}).json()) == song_ids(result)


def test_a_longer_list_than_a_steered_one_is_steered_alike(
    client_of, world, django_capture_on_commit_callbacks
):
    """The refresh's list is the one GET serves: a GET asking for more songs gets more of it,
    not the listener's unsteered list."""
    listener = UserFactory(profile__favorite_genres=["rock"], profile__moods=[])
    client = client_of(listener)
    jazz = {song.pk for name in ("Gamma", "Delta") for song in world[name]}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(refresh_url(listener.pk), {"limit": 2, "seed_genres": ["jazz"]}, format="json")

    longer = client.get(url(listener.pk), {"limit": 4}).json()

    assert len(song_ids(longer)) == 4
    assert set(song_ids(longer)) <= jazz


def test_a_longer_steered_list_is_queued_once_and_steered(
    client_of, world, settings, django_capture_on_commit_callbacks
):
    listener = UserFactory(profile__favorite_genres=["rock"], profile__moods=[])
    client = client_of(listener)
    jazz = {song.pk for name in ("Gamma", "Delta") for song in world[name]}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(refresh_url(listener.pk), {"limit": 2, "seed_genres": ["jazz"]}, format="json")
    # No model at hand, and building one is not quick: the list is queued.
    settings.RECOMMENDATIONS_SYNC_BUILD_MAX_SONGS = 0
    settings.RECOMMENDATIONS_SYNC_BUILD_SECONDS = -1
    model_forget()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client.get(url(listener.pk), {"limit": 4})
        again = client.get(url(listener.pk), {"limit": 4})
    for callback in callbacks:
        callback()
    done = client.get(first.json()["status_url"]).json()

    assert first.status_code == again.status_code == 202
    assert first.json()["task_id"] == again.json()["task_id"]
    assert len(song_ids(done["result"])) == 4
    assert set(song_ids(done["result"])) <= jazz


def test_a_seed_genre_is_named_by_its_words_as_in_the_filters(
    client_of, world, django_capture_on_commit_callbacks
):
    """`hip hop` names the catalog's `hip-hop`, as `?genre=` does: the refresh is queued and
    its list holds the genre's songs."""
    hip_hop = [SongFactory(title=f"Beat {i}", genres=["hip-hop"], popularity=50) for i in range(3)]
    listener = UserFactory(profile__favorite_genres=[], profile__moods=[])
    client = client_of(listener)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            refresh_url(listener.pk), {"limit": 3, "seed_genres": ["Hip Hop"]}, format="json"
        )

    assert response.status_code == 202, response.json()
    result = client.get(response.json()["status_url"]).json()["result"]
    assert set(song_ids(result)) == {song.pk for song in hip_hop}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"moods": ["grumpy"]}, "moods"),
        ({"seed_songs": [987654]}, "seed_songs"),
        ({"seed_songs": ["one"]}, "seed_songs"),
        ({"seed_artists": ["Nobody At All"]}, "seed_artists"),
        ({"seed_genres": ["polka"]}, "seed_genres"),
        ({"seed_genres": "jazz"}, "seed_genres"),
        # A JSON body's values as sent.
        ({"limit": "5"}, "limit"),
        ({"limit": 5.0}, "limit"),
        ({"seed_songs": [5.0]}, "seed_songs"),
        ({"seed_songs": ["5"]}, "seed_songs"),
        ({"seed_genres": [5]}, "seed_genres"),
        ({"seed_artists": [5]}, "seed_artists"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"seed_artists": ["x"] * 21}, "seed_artists"),
        ({"moods": ["calm"] * (PROFILE_LIST_MAX_ITEMS + 1)}, "moods"),  # the bound as sent
    ],
)
def test_a_refresh_with_unknown_seeds_or_bad_values_is_refused_and_queues_nothing(
    client_of, listener, body, field
):
    response = client_of(listener).post(refresh_url(listener.pk), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Generation.objects.exists()


def test_a_refresh_refuses_an_unknown_mood_as_the_profile_does_listing_the_allowed_ones(client_of, listener):
    client = client_of(listener)

    refused = client.post(refresh_url(listener.pk), {"moods": ["calm", "bogus"]}, format="json")
    profile = client.patch("/api/users/me/", {"profile": {"moods": ["calm", "bogus"]}}, format="json")

    assert refused.status_code == profile.status_code == 400
    assert refused.json() == {"moods": profile.json()["profile"]["moods"]}
    [message] = refused.json()["moods"]
    assert "bogus" in message
    assert all(mood in message for mood in ("happy", "sad", "energetic", "calm", "melancholic"))
    assert not Generation.objects.exists()


def test_a_refresh_takes_moods_as_the_profile_does(client_of, listener, django_capture_on_commit_callbacks):
    """Any case, blanks and repeats dropped, stored lower-case: the profile's one rule."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(listener).post(
            refresh_url(listener.pk), {"limit": 3, "moods": ["Calm", " calm ", "", "PARTY"]}, format="json"
        )

    assert response.status_code == 202, response.json()
    assert Generation.objects.get().request["moods"] == ["calm", "party"]


def test_a_refresh_bounds_moods_once_repeats_are_dropped_as_the_profile_does(
    client_of, listener, django_capture_on_commit_callbacks
):
    """More entries than there are moods, all one mood: the profile takes them, so does a
    refresh."""
    client = client_of(listener)
    moods = ["calm", "Calm", " CALM ", ""] * 3

    profile = client.patch("/api/users/me/", {"profile": {"moods": moods}}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(refresh_url(listener.pk), {"limit": 3, "moods": moods}, format="json")

    assert profile.status_code == 200, profile.json()
    assert response.status_code == 202, response.json()
    assert Generation.objects.get().request["moods"] == ["calm"]


def test_a_refresh_body_that_is_not_an_object_is_refused(client_of, listener):
    response = client_of(listener).post(refresh_url(listener.pk), [1, 2], format="json")

    assert response.status_code == 400
    assert not Generation.objects.exists()
