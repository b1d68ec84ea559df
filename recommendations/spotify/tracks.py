"""Spotify's track objects, read into the catalog's terms (`SourceSong`).

A track object (`GET /v1/tracks/{id}`, or an item of a search page) carries `id`, `name`,
`album.name`, `artists: [{id, name}]` in credit order, `explicit`, `duration_ms` and, for
apps that still get it, `popularity`. Anything missing or of the wrong type is read as
unknown; an item the catalog cannot hold (a local file, no id, no name) is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from catalog.services.sources import SourceSong

_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{1,64}")


def source_song(track: Any, *, genre_names: Sequence[str] = ()) -> SourceSong | None:
    """The song `track` describes, or None when it is not one the catalog can hold."""
    if not isinstance(track, Mapping) or track.get("is_local"):
        return None
    spotify_id, title = track.get("id"), track.get("name")
    if not isinstance(spotify_id, str) or not _SPOTIFY_ID.fullmatch(spotify_id):
        return None
    if not isinstance(title, str) or not title.strip():
        return None
    album = track.get("album")
    album_name = album.get("name") if isinstance(album, Mapping) else None
    return SourceSong.bounded(
        spotify_id=spotify_id,
        title=title.strip(),
        artist_names=artist_names(track),
        album=album_name.strip() or None if isinstance(album_name, str) else None,
        popularity=track.get("popularity"),
        explicit=track.get("explicit"),
        duration_ms=track.get("duration_ms"),
        genre_names=genre_names,
    )


def artist_names(track: Mapping[str, Any]) -> list[str]:
    """The names credited on `track`, in order, blank ones left out."""
    return [name.strip() for name, _ in artist_credits(track) if name.strip()]


def artist_credits(track: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """`(name, spotify id or None)` of each artist credited on `track`, in order."""
    artists = track.get("artists")
    if not isinstance(artists, list):
        return []
    credits = []
    for artist in artists:
        if isinstance(artist, Mapping) and isinstance(artist.get("name"), str):
            artist_id = artist.get("id")
            credits.append((artist["name"], artist_id if isinstance(artist_id, str) else None))
    return credits


def search_items(page: Any) -> list[Any]:
    """The track objects of a search page (`{tracks: {items: [...]}}`); null items, which
    Spotify does send, are dropped."""
    tracks = page.get("tracks") if isinstance(page, Mapping) else None
    items = tracks.get("items") if isinstance(tracks, Mapping) else None
    return [item for item in items if item] if isinstance(items, list) else []
