"""Spotify's Web API, mocked at the HTTP layer with `responses`: bodies shaped like the real
ones (a track object, a search page, an artist, the token endpoint's answer, an error).

Plain functions rather than fixtures, so that this file is the only Spotify test helper
(no conftest shared with the rest of tests/recommendations)."""

from __future__ import annotations

import re
from typing import Any

import responses

TOKEN_URL = "https://accounts.spotify.com/api/token"
API = "https://api.spotify.com/v1"
SEARCH_URL = re.compile(re.escape(f"{API}/search") + r"\?.*")


def spotify_on(settings) -> None:
    """Credentials set, as SPOTIFY_CLIENT_ID / SPOTIFY_CLIENT_SECRET would."""
    settings.SPOTIFY_CLIENT_ID = "test-client-id"
    settings.SPOTIFY_CLIENT_SECRET = "test-client-secret"


def token_body(access_token: str = "token-1") -> dict[str, Any]:
    return {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600}


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"error": {"status": status, "message": message}}


def artist_object(spotify_id: str, name: str, *, genres: list[str] | None = None) -> dict[str, Any]:
    """A simplified artist (as in a track); with `genres`, a full one (GET /artists/{id})."""
    artist: dict[str, Any] = {
        "external_urls": {"spotify": f"https://open.spotify.com/artist/{spotify_id}"},
        "href": f"{API}/artists/{spotify_id}",
        "id": spotify_id,
        "name": name,
        "type": "artist",
        "uri": f"spotify:artist:{spotify_id}",
    }
    if genres is not None:
        artist.update(genres=genres, images=[])
    return artist


def track_object(
    spotify_id: str,
    name: str,
    *,
    artists: list[tuple[str, str]] = (("0OdUWJ0sBjDrqHygGUXeCF", "Band of Horses"),),  # type: ignore[assignment]
    album: str = "Everything All the Time",
    popularity: int | None = 61,
    explicit: bool = False,
    duration_ms: int = 210_373,
) -> dict[str, Any]:
    """A track object as GET /v1/tracks/{id} and search items give it. `artists`:
    `(id, name)` in credit order. `popularity=None` leaves the field out, as Spotify does
    for development apps since 2026."""
    track: dict[str, Any] = {
        "album": {
            "album_type": "album",
            "artists": [artist_object(i, n) for i, n in artists[:1]],
            "external_urls": {"spotify": "https://open.spotify.com/album/4sb0eMpDn3upAFfyi4q2rw"},
            "href": f"{API}/albums/4sb0eMpDn3upAFfyi4q2rw",
            "id": "4sb0eMpDn3upAFfyi4q2rw",
            "images": [{"height": 640, "url": "https://i.scdn.co/image/ab67616d0000b273", "width": 640}],
            "name": album,
            "release_date": "2006-03-20",
            "release_date_precision": "day",
            "total_tracks": 10,
            "type": "album",
            "uri": "spotify:album:4sb0eMpDn3upAFfyi4q2rw",
        },
        "artists": [artist_object(i, n) for i, n in artists],
        "disc_number": 1,
        "duration_ms": duration_ms,
        "explicit": explicit,
        "external_urls": {"spotify": f"https://open.spotify.com/track/{spotify_id}"},
        "href": f"{API}/tracks/{spotify_id}",
        "id": spotify_id,
        "is_local": False,
        "name": name,
        "track_number": 1,
        "type": "track",
        "uri": f"spotify:track:{spotify_id}",
    }
    if popularity is not None:
        track["popularity"] = popularity
    return track


def search_page(items: list[dict[str, Any]], *, query: str = "q", offset: int = 0, total: int | None = None):
    """GET /v1/search?type=track&limit=10: one page of at most 10 items."""
    total = len(items) if total is None else total
    more = offset + len(items) < total
    return {
        "tracks": {
            "href": f"{API}/search?query={query}&type=track&offset={offset}&limit=10",
            "items": items,
            "limit": 10,
            "next": f"{API}/search?query={query}&type=track&offset={offset + 10}&limit=10" if more else None,
            "offset": offset,
            "previous": None,
            "total": total,
        }
    }


def add_token(mock: responses.RequestsMock, access_token: str = "token-1") -> None:
    mock.add(responses.POST, TOKEN_URL, json=token_body(access_token))


def add_track(mock: responses.RequestsMock, track: dict[str, Any]) -> None:
    mock.add(responses.GET, f"{API}/tracks/{track['id']}", json=track)


def bearer(call) -> str:
    return call.request.headers["Authorization"]
