"""GET /api/recommendations/user/{id}/: the owner's explained list, who may read it, the
cache and what makes it stale."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from catalog.selectors.arrays import song_recording_table
from recommendations.lists import recommendations_build
from recommendations.models import Generation
from tests.catalog.builders import song_row, upsert
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory, UserFactory
from tests.recommendations.builders import refresh_url, song_by, song_ids, url


def test_the_owner_gets_an_explained_list_without_what_they_rated_skipped_or_played(
    client_of, listener, world
):
    response = client_of(listener).get(url(listener.pk), {"limit": 6})

    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == listener.pk
    assert body["source"] == "catalog"
    assert body["generated_at"]
    ids = song_ids(body)
    assert len(ids) == 6
    assert len(set(ids)) == 6
    assert not {song.pk for song in world["Alpha"]} & set(ids)
    assert all(
        item["reasons"] and all(isinstance(r, str) and r for r in item["reasons"]) for item in body["results"]
    )
    assert body["results"][0]["song"]["artists"][0]["name"] == "Beta"
    assert "liked by listeners who like Alpha" in body["results"][0]["reasons"]
    scores = [item["score"] for item in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_a_song_under_another_id_counts_as_the_same_song(client_of, listener, world):
    """One recording under several ids (album, single): a list never holds the copy of a song
    the listener rated, nor one song twice; similar songs never hold the song itself."""

    def copy_of(song):
        copied = SongFactory(title=song.title.upper(), popularity=song.popularity, genres=["rock"])
        SongArtistFactory(song=copied, artist=song.credits.get(position=0).artist, position=0)
        return copied

    rated_copy = copy_of(world["Alpha"][2])
    beta_copies = {world["Beta"][0].pk, copy_of(world["Beta"][0]).pk}

    ids = song_ids(client_of(listener).get(url(listener.pk), {"limit": 8}).json())
    similar = client_of(listener).get(f"/api/songs/{world['Alpha'][2].pk}/similar/", {"limit": 50}).json()

    assert rated_copy.pk not in ids
    assert len(beta_copies & set(ids)) == 1
    assert rated_copy.pk not in [item["song"]["id"] for item in similar["results"]]


def test_a_remaster_is_the_song_it_remasters_a_live_take_another(client_of, listener, world):
    """The listener rated Alpha's third song: its remaster by Alpha is that song, never in
    their list; a live take of it is another song, which a list may hold."""
    rated = world["Alpha"][2]
    alpha = rated.credits.get(position=0).artist
    remaster, live = (
        song_by(alpha, popularity=95, title=f"{rated.title}{suffix}")
        for suffix in (" - Remastered 2011", " - Live")
    )

    ids = song_ids(client_of(listener).get(url(listener.pk), {"limit": 20}).json())

    assert remaster.pk not in ids
    assert live.pk in ids


@pytest.mark.parametrize(
    ("title", "same"),
    [
        ("Bohemian Rhapsody - Remastered 2011", True),
        ("Bohemian Rhapsody - 2011 Remaster", True),
        ("BOHEMIAN RHAPSODY - Remastered", True),
        ("Bohemian Rhapsody - 2015 Remastered Version", True),
        ("Bohemian Rhapsody - Live", False),
        ("Bohemian Rhapsody - Live - Remastered 2011", False),
        ("Bohemian Rhapsody Remastered", False),
    ],
)
def test_a_remasters_suffix_is_left_out_of_the_recording(db, title, same):
    queen = ArtistFactory(name="Queen")
    original, other = (
        song_by(queen, popularity=90, title="Bohemian Rhapsody"),
        song_by(queen, popularity=80, title=title),
    )

    recording = dict(song_recording_table().tolist())

    assert (recording[original.pk] == recording[other.pk]) is same


def test_a_new_listener_with_only_a_profile_gets_a_personal_list(client_of, world):
    newcomer = UserFactory(profile__favorite_genres=["jazz"], profile__favorite_artists=[], profile__moods=[])

    body = client_of(newcomer).get(url(newcomer.pk), {"limit": 4}).json()

    assert {item["song"]["artists"][0]["name"] for item in body["results"]} <= {"Gamma", "Delta"}
    assert all(item["reasons"] for item in body["results"])


def test_only_the_owner_sees_a_list(client_of, api_client, listener):
    stranger = UserFactory()

    assert client_of(stranger).get(url(listener.pk)).status_code == 404
    assert client_of(stranger).post(refresh_url(listener.pk), {}, format="json").status_code == 404
    assert client_of(listener).get(url(987654)).status_code == 404
    assert api_client.get(url(listener.pk)).status_code == 401
    assert api_client.post(refresh_url(listener.pk), {}, format="json").status_code == 401
    assert not Generation.objects.exists()


def test_staff_read_and_refresh_anyones_list_but_write_no_feedback(client_of, listener, world, staff_user):
    staff = client_of(staff_user)
    song = world["Gamma"][0].pk

    assert staff.get(url(listener.pk)).status_code == 200
    queued = staff.post(refresh_url(listener.pk), {}, format="json")
    assert queued.status_code == 202
    assert staff.get(queued.json()["status_url"]).status_code == 200
    assert staff.get(f"{url(listener.pk)}why-not/{song}/").status_code == 200
    assert staff.get(f"{url(listener.pk)}playlists/daily_mix/").status_code == 200
    assert staff.get(url(987654)).status_code == 404
    for action, body in (
        ("feedback", {"song": song, "feedback": "not_for_me"}),
        ("snooze", {"song": song, "days": 3}),
    ):
        assert staff.post(f"{url(listener.pk)}{action}/", body, format="json").status_code == 404, action
    assert Generation.objects.filter(user=listener).count() == 2


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-1", "1.5", "", "1.0", " 5", "\uff15", "1_0"])
def test_a_bad_limit_is_refused(client_of, listener, limit):
    response = client_of(listener).get(url(listener.pk), {"limit": limit})

    assert response.status_code == 400
    assert "limit" in response.json()
    assert not Generation.objects.exists()


def test_a_fresh_list_is_served_from_the_cache_cut_to_the_limit(client_of, listener):
    client = client_of(listener)
    first = client.get(url(listener.pk)).json()

    again = client.get(url(listener.pk), {"limit": 5}).json()

    assert Generation.objects.count() == 1
    assert song_ids(again) == song_ids(first)[:5]
    assert again["generated_at"] == first["generated_at"]


def test_a_longer_list_than_the_cached_one_is_computed(client_of, listener):
    client = client_of(listener)
    client.get(url(listener.pk), {"limit": 3})

    longer = client.get(url(listener.pk), {"limit": 30}).json()

    assert Generation.objects.count() == 2
    assert len(longer["results"]) > 3


@pytest.mark.parametrize("change", ["rating", "skip", "like"])
def test_a_new_rating_like_or_skip_makes_the_list_stale(
    client_of, listener, change, django_capture_on_commit_callbacks
):
    client = client_of(listener)
    top = client.get(url(listener.pk)).json()["results"][0]["song"]["id"]

    with django_capture_on_commit_callbacks(execute=True):
        if change == "rating":
            response = client.post("/api/ratings/", {"song": top, "score": 2}, format="json")
        else:
            response = client.post("/api/analytics/activity/", {"song": top, "action": change}, format="json")
    assert response.status_code == 201
    after = client.get(url(listener.pk)).json()

    assert Generation.objects.count() == 2
    assert top not in song_ids(after)


def test_a_profile_change_makes_the_list_stale_and_its_reasons_follow(
    client_of, listener, django_capture_on_commit_callbacks
):
    client = client_of(listener)
    client.patch(f"/api/users/{listener.pk}/", {"profile": {"favorite_genres": ["jazz"]}}, format="json")
    before = client.get(url(listener.pk)).json()

    with django_capture_on_commit_callbacks(execute=True):
        changed = client.patch(
            f"/api/users/{listener.pk}/", {"profile": {"favorite_genres": []}}, format="json"
        )
    assert changed.status_code == 200
    after = client.get(url(listener.pk)).json()

    def reasons(body: dict) -> set[str]:
        return {reason for item in body["results"] for reason in item["reasons"]}

    assert "jazz, a genre you like" in reasons(before)
    assert Generation.objects.count() == 2
    assert not any("jazz" in reason for reason in reasons(after))


def test_a_new_model_build_makes_every_list_stale(client_of, listener):
    client = client_of(listener)
    client.get(url(listener.pk))

    recommendations_build()
    client.get(url(listener.pk))

    assert Generation.objects.count() == 2


def test_a_catalog_load_that_wrote_songs_makes_every_list_stale(client_of, listener):
    client = client_of(listener)
    client.get(url(listener.pk))
    assert upsert([song_row(1)]).unchanged == 0

    client.get(url(listener.pk))
    assert Generation.objects.count() == 2
    assert upsert([song_row(1)]).unchanged == 1  # wrote nothing

    client.get(url(listener.pk))
    assert Generation.objects.count() == 2


def test_the_cache_holding_nothing_still_gives_a_list(client_of, listener, monkeypatch):
    """Redis down reads as misses (IGNORE_EXCEPTIONS): the list is computed each time."""
    client = client_of(listener)
    client.get(url(listener.pk))
    cache.clear()

    response = client.get(url(listener.pk))

    assert response.status_code == 200
    assert Generation.objects.count() == 2
