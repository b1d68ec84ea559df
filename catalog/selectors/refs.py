"""Resolving songs named by id or Spotify id, for apps that record what users did with them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import F, Q

from catalog.models import Song
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
