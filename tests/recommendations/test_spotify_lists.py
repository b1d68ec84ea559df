"""Lists with Spotify off, on and rate-limited: a list never waits for Spotify; with it on,
a refresh also searches the listener's favourites, and once the model is rebuilt the songs
found can be recommended, the list saying its source."""

from __future__ import annotations

import pytest
import responses

from catalog.models import Song, SongSource
from recommendations.lists import recommendations_build
from recommendations.models import Generation, GenerationState
from tests.factories import ProfileFactory, SongFactory, UserFactory
from tests.recommendations.spotify_builders import (
    SEARCH_URL,
    add_token,
    error_body,
    search_page,
    spotify_on,
    track_object,
)

pytestmark = pytest.mark.django_db

FOLK = track_object("5ghIJDpPoe3CfHMGu71E6T", "Skinny Love", artists=[("4LEiUm1SRbFMgfqnQTwUbQ", "Bon Iver")])
GENRE_SEARCH = {"q": 'genre:"indie folk"', "limit": "10", "offset": "0", "type": "track"}


@pytest.fixture
def folk_fan(make_auth_client):
    SongFactory.create_batch(5, popularity=50, genres=["pop"])
    user = UserFactory(profile=None)
    ProfileFactory(user=user, favorite_artists=[], favorite_genres=["indie folk"], moods=[])
    return user, make_auth_client(user)


def _refresh(client, user, capture):
    with capture(execute=True):
        response = client.post(f"/api/recommendations/user/{user.pk}/refresh/", {"limit": 3}, format="json")
    assert response.status_code == 202
    return client.get(response.json()["status_url"]).json()


def test_with_spotify_off_a_refresh_asks_nothing_of_it(folk_fan, django_capture_on_commit_callbacks):
    user, client = folk_fan
    with responses.RequestsMock():  # any request to Spotify would fail the test
        status = _refresh(client, user, django_capture_on_commit_callbacks)

    assert status["state"] == "success"
    assert status["result"]["source"] == "catalog"


def test_with_spotify_on_its_songs_join_the_list_after_the_next_build(
    folk_fan, settings, django_capture_on_commit_callbacks
):
    spotify_on(settings)
    user, client = folk_fan
    with responses.RequestsMock() as mock:
        add_token(mock)
        search = mock.get(
            SEARCH_URL, json=search_page([FOLK]), match=[responses.matchers.query_param_matcher(GENRE_SEARCH)]
        )
        first = _refresh(client, user, django_capture_on_commit_callbacks)

    assert search.call_count == 1
    assert first["state"] == "success"
    assert first["result"]["source"] == "catalog"  # the list did not wait for the search
    found = Song.objects.get(spotify_id=FOLK["id"])
    assert found.source == SongSource.SPOTIFY

    recommendations_build()
    # The search page and the token are cached for a while: Spotify may not be asked again.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        add_token(mock)
        mock.get(
            SEARCH_URL, json=search_page([FOLK]), match=[responses.matchers.query_param_matcher(GENRE_SEARCH)]
        )
        second = _refresh(client, user, django_capture_on_commit_callbacks)

    assert second["result"]["source"] == "catalog+spotify"
    first_item = second["result"]["results"][0]
    assert first_item["song"]["id"] == found.pk
    assert "indie folk" in " ".join(first_item["reasons"])


def test_a_rate_limited_spotify_never_fails_or_delays_the_list(
    folk_fan, settings, django_capture_on_commit_callbacks
):
    spotify_on(settings)
    user, client = folk_fan
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        add_token(mock)
        limited = mock.get(
            SEARCH_URL,
            status=429,
            json=error_body(429, "API rate limit exceeded"),
            headers={"Retry-After": "30"},
        )
        status = _refresh(client, user, django_capture_on_commit_callbacks)

    assert limited.call_count >= 1
    assert status["state"] == "success"
    assert status["result"]["results"]
    assert Generation.objects.get().state == GenerationState.SUCCESS
    assert not Song.objects.filter(source=SongSource.SPOTIFY).exists()
