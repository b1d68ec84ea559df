"""Songs as other apps show and group them: titles with their credited artists in order,
and rankings of the artists and genres of any rows that name songs.

Other apps keep rows per song (a user's play counts, a day's counts); they group those rows
by artist or genre through here, so the shape of credits and genres stays catalog's own.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Aggregate, F, Model, QuerySet
from django.db.models.expressions import CombinedExpression

from catalog.models import Song, SongArtist
from catalog.selectors.lookups import InList


@dataclass(frozen=True, slots=True)
class SongTitle:
    id: int
    title: str
    spotify_id: str
    # Names of the credited artists, main artist first.
    artists: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ranked:
    id: int
    name: str
    score: int


def song_titles(*, ids: Collection[int]) -> dict[int, SongTitle]:
    """The songs among `ids` that exist, with their artists in credit order: two queries,
    whatever their number."""
    if not ids:
        return {}
    rows = Song.objects.filter(InList(F("id"), list(ids))).values_list("id", "title", "spotify_id")
    songs = {song_id: (title, spotify_id) for song_id, title, spotify_id in rows}
    names: dict[int, list[str]] = {song_id: [] for song_id in songs}
    credits = (
        SongArtist.objects.filter(InList(F("song_id"), list(songs)))
        .order_by("song_id", "position", "id")
        .values_list("song_id", "artist__name")
    )
    for song_id, name in credits:
        names[song_id].append(name)
    return {
        song_id: SongTitle(song_id, title, spotify_id, tuple(names[song_id]))
        for song_id, (title, spotify_id) in songs.items()
    }


def _ranked(
    rows: QuerySet[Model], *, key: str, name: str, score: Aggregate | CombinedExpression, limit: int
) -> list[Ranked]:
    ranked = (
        rows.filter(**{f"{key}__isnull": False})
        .values(key_id=F(key), key_name=F(name))
        .annotate(total=score)
        .filter(total__gt=0)
        .order_by("-total", "key_name", "key_id")[:limit]
    )
    return [Ranked(row["key_id"], row["key_name"], row["total"]) for row in ranked]


def artists_ranked(
    rows: QuerySet[Model], *, score: Aggregate | CombinedExpression, limit: int, song: str = "song"
) -> list[Ranked]:
    """The artists credited (at any position) on the songs of `rows` (`song` is the path to
    the song), ranked by `score` aggregated over each artist's rows, best first; only
    positive scores. One query, bounded by `rows`."""
    key, name = f"{song}__credits__artist_id", f"{song}__credits__artist__name"
    return _ranked(rows, key=key, name=name, score=score, limit=limit)


def genres_ranked(
    rows: QuerySet[Model], *, score: Aggregate | CombinedExpression, limit: int, song: str = "song"
) -> list[Ranked]:
    """The genres of the songs of `rows`, ranked as `artists_ranked` ranks artists."""
    return _ranked(rows, key=f"{song}__genres__id", name=f"{song}__genres__name", score=score, limit=limit)
