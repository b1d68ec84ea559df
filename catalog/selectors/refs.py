"""Resolving songs named by id or Spotify id, for apps that record what users did with them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import F, Q

from catalog.models import Song, SongArtist
from catalog.selectors.lookups import InList


@dataclass(frozen=True, slots=True)
class SongRef:
    id: int
    spotify_id: str
    duration_ms: int


def song_refs(*, ids: Collection[int] = (), spotify_ids: Collection[str] = ()) -> list[SongRef]:
    """The songs among `ids` and `spotify_ids` that exist, in one query; absent ones are
    simply not in the answer."""
    if not ids and not spotify_ids:
        return []
    rows = Song.objects.filter(
        Q(InList(F("id"), list(ids))) | Q(InList(F("spotify_id"), list(spotify_ids)))
    ).values_list("id", "spotify_id", "duration_ms")
    return [SongRef(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class SongLabel:
    """What a list of songs shows of each: its title and its artists' names, in credit order."""

    id: int
    title: str
    artist_names: tuple[str, ...]


def song_labels(*, ids: Collection[int]) -> dict[int, SongLabel]:
    """The labels of the songs among `ids` that exist, in two queries whatever their number."""
    if not ids:
        return {}
    titles = dict(Song.objects.filter(id__in=list(ids)).values_list("id", "title"))
    names: dict[int, list[str]] = {song_id: [] for song_id in titles}
    credits = (
        SongArtist.objects.filter(song_id__in=list(titles))
        .order_by("song_id", "position", "id")
        .values_list("song_id", "artist__name")
    )
    for song_id, name in credits:
        names[song_id].append(name)
    return {song_id: SongLabel(song_id, title, tuple(names[song_id])) for song_id, title in titles.items()}
