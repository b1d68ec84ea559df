"""Songs as other apps show and group them: titles with their credited artists in order,
and the artists and genres of songs as ids.

Other apps keep rows per song (a user's play counts, a day's counts); they learn which
artists and genres a song counts for through here, so the shape of credits and genres stays
catalog's own.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import F

from catalog.models import Song, SongArtist, SongGenre
from catalog.selectors.lookups import InList


@dataclass(frozen=True, slots=True)
class SongTitle:
    id: int
    title: str
    spotify_id: str
    # Names of the credited artists, main artist first.
    artists: tuple[str, ...]


def song_titles(*, ids: Collection[int]) -> dict[int, SongTitle]:
    """The songs among `ids` that exist, with their artists in credit order: one query,
    whatever their number (a song without credits is one row with no name)."""
    if not ids:
        return {}
    rows = (
        Song.objects.filter(InList(F("id"), list(ids)))
        .order_by("id", "credits__position", "credits__id")
        .values_list("id", "title", "spotify_id", "credits__artist__name")
    )
    songs: dict[int, tuple[str, str]] = {}
    names: dict[int, list[str]] = {}
    for song_id, title, spotify_id, name in rows:
        songs[song_id] = (title, spotify_id)
        credited = names.setdefault(song_id, [])
        if name is not None:
            credited.append(name)
    return {
        song_id: SongTitle(song_id, title, spotify_id, tuple(names[song_id]))
        for song_id, (title, spotify_id) in songs.items()
    }


def song_artist_ids(*, ids: Collection[int]) -> dict[int, list[int]]:
    """The artists credited (at any position, each once) on the songs among `ids` that have
    any: one query. What per-artist rollups of other apps add a song's counts to."""
    found: dict[int, list[int]] = {}
    if ids:
        rows = SongArtist.objects.filter(InList(F("song_id"), list(ids))).values_list("song_id", "artist_id")
        for song_id, artist_id in rows:
            found.setdefault(song_id, []).append(artist_id)
    return found


def song_genre_ids(*, ids: Collection[int]) -> dict[int, list[int]]:
    """The genres of the songs among `ids` that have any: one query."""
    found: dict[int, list[int]] = {}
    if ids:
        rows = SongGenre.objects.filter(InList(F("song_id"), list(ids))).values_list("song_id", "genre_id")
        for song_id, genre_id in rows:
            found.setdefault(song_id, []).append(genre_id)
    return found
