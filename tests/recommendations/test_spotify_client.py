"""recommendations.spotify.client: what each answer of Spotify's Web API becomes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses

from recommendations.spotify.client import (
    SpotifyClient,
    SpotifyDisabledError,
    SpotifyRateLimitedError,
    SpotifyRefusedError,
    SpotifyUnavailableError,
    spotify_client,
)
from tests.recommendations.spotify_builders import (
    API,
    SEARCH_URL,
    TOKEN_URL,
    add_token,
    add_track,
    bearer,
    error_body,
    search_page,
    spotify_on,
    token_body,
    track_object,
)

TRACK = track_object("3n3Ppam7vgaVa1iaRUc9Lp", "The Funeral")


@pytest.fixture
def client(settings) -> SpotifyClient:
    spotify_on(settings)
    return spotify_client()


def test_without_credentials_there_is_no_client(settings):
    settings.SPOTIFY_CLIENT_ID = settings.SPOTIFY_CLIENT_SECRET = ""
    with pytest.raises(SpotifyDisabledError):
        spotify_client()


def test_track_lookup_is_one_get_with_a_bearer_token(client):
    with responses.RequestsMock() as mock:
        add_token(mock)
        add_track(mock, TRACK)
        assert client.track(TRACK["id"]) == TRACK
        assert mock.calls[1].request.url == f"{API}/tracks/{TRACK['id']}"
        assert bearer(mock.calls[1]) == "Bearer token-1"


def test_the_token_is_shared_by_clients_until_it_expires(settings, client):
    """Through Django's cache: a second client (another worker) asks for no token."""
    with responses.RequestsMock() as mock:
        add_token(mock)
        add_track(mock, TRACK)
        add_track(mock, TRACK)
        client.track(TRACK["id"])
        spotify_client().track(TRACK["id"])
        assert [call.request.url for call in mock.calls].count(TOKEN_URL) == 1


def test_an_expired_token_is_replaced_once(client):
    with responses.RequestsMock() as mock:
        add_token(mock, "stale")
        add_token(mock, "fresh")
        mock.add(
            responses.GET,
            f"{API}/tracks/{TRACK['id']}",
            status=401,
            json=error_body(401, "The access token expired"),
        )
        add_track(mock, TRACK)
        assert client.track(TRACK["id"]) == TRACK
        assert [bearer(call) for call in mock.calls if call.request.url != TOKEN_URL] == [
            "Bearer stale",
            "Bearer fresh",
        ]


def test_a_token_refused_twice_is_not_retried_again(client):
    with responses.RequestsMock() as mock:
        add_token(mock)
        add_token(mock)
        mock.add(
            responses.GET,
            f"{API}/tracks/{TRACK['id']}",
            status=401,
            json=error_body(401, "Invalid access token"),
        )
        with pytest.raises(SpotifyRefusedError):
            client.track(TRACK["id"])
        assert len(mock.calls) == 4


def test_refused_credentials_are_not_worth_retrying(client):
    with responses.RequestsMock() as mock:
        mock.add(
            responses.POST, TOKEN_URL, status=400, json={"error": "invalid_client", "error_description": "x"}
        )
        with pytest.raises(SpotifyRefusedError):
            client.track(TRACK["id"])


def test_a_failing_token_endpoint_is_worth_retrying(client):
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, TOKEN_URL, status=503, body="upstream connect error")
        with pytest.raises(SpotifyUnavailableError):
            client.track(TRACK["id"])


def test_429_carries_retry_after(client):
    """Not spotipy's own retry error, which would lose the header (client.py)."""
    with responses.RequestsMock() as mock:
        add_token(mock)
        mock.add(
            responses.GET,
            f"{API}/tracks/{TRACK['id']}",
            status=429,
            headers={"Retry-After": "37"},
            json=error_body(429, "API rate limit exceeded"),
        )
        with pytest.raises(SpotifyRateLimitedError) as raised:
            client.track(TRACK["id"])
        assert raised.value.retry_after == 37
        assert len(mock.calls) == 2, "spotipy must not retry by itself"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_unavailable_not_a_rate_limit(client, status):
    with responses.RequestsMock() as mock:
        add_token(mock)
        mock.add(
            responses.GET,
            f"{API}/tracks/{TRACK['id']}",
            status=status,
            json=error_body(status, "Server error"),
        )
        with pytest.raises(SpotifyUnavailableError):
            client.track(TRACK["id"])
        assert len(mock.calls) == 2


def test_a_timeout_is_unavailable(client):
    with responses.RequestsMock() as mock:
        add_token(mock)
        mock.add(
            responses.GET,
            f"{API}/tracks/{TRACK['id']}",
            body=requests.exceptions.ReadTimeout("read timed out"),
        )
        with pytest.raises(SpotifyUnavailableError):
            client.track(TRACK["id"])


def test_an_unknown_track_is_none(client):
    with responses.RequestsMock() as mock:
        add_token(mock)
        mock.add(
            responses.GET,
            f"{API}/tracks/{TRACK['id']}",
            status=404,
            json=error_body(404, "Resource not found"),
        )
        assert client.track(TRACK["id"]) is None


def test_an_id_that_is_not_a_spotify_id_is_none_without_a_request(client):
    with responses.RequestsMock() as mock:
        assert client.track("not-a-spotify-id!") is None
        assert len(mock.calls) == 0


def test_search_asks_for_one_page_of_ten_tracks(client):
    with responses.RequestsMock() as mock:
        add_token(mock)
        mock.add(responses.GET, SEARCH_URL, json=search_page([TRACK]))
        page = client.search_tracks('artist:"Band of Horses"')
        assert page["tracks"]["items"] == [TRACK]
        query = parse_qs(urlparse(mock.calls[1].request.url).query)
        assert query == {
            "q": ['artist:"Band of Horses"'],
            "limit": ["10"],
            "offset": ["0"],
            "type": ["track"],
        }


def test_artist_lookup(client):
    artist = {
        "id": "0OdUWJ0sBjDrqHygGUXeCF",
        "name": "Band of Horses",
        "genres": ["indie folk"],
        "type": "artist",
    }
    with responses.RequestsMock() as mock:
        add_token(mock)
        mock.add(responses.GET, f"{API}/artists/{artist['id']}", json=artist)
        assert client.artist(artist["id"]) == artist


def test_token_body_shape():
    assert token_body() == {"access_token": "token-1", "token_type": "Bearer", "expires_in": 3600}
