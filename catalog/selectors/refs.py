"""Resolving songs named by id or Spotify id, and artists and genres named by name, for apps
that record or ask about them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import F, Q

from catalog.models import Artist, Genre, Song
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


def artist_keys_known(keys: Collection[str]) -> set[str]:
    """Those of the normalised names `keys` (`catalog.naming.name_key`) that name an artist."""
    return (
        set(Artist.objects.filter(name_key__in=list(keys)).values_list("name_key", flat=True))
        if keys
        else set()
    )


def genre_names_known(names: Collection[str]) -> set[str]:
    """Those of the normalised genre names `names` that the catalog has."""
    return set(Genre.objects.filter(name__in=list(names)).values_list("name", flat=True)) if names else set()
