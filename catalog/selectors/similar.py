"""What "similar songs" means, once for the whole project.

Two songs are similar when their audio features are close. Each feature of
SIMILARITY_FEATURES is mapped onto 0..1 by its range (values outside it are clamped), so
that tempo in BPM weighs no more than energy; a song is then a point in that 8-dimensional
unit cube, and its similar songs are its nearest points by euclidean distance. The score
is `1 - distance / sqrt(8)`: 1.0 for an identical profile, 0.0 for opposite corners.
Popularity, genres and ratings play no part: recommendations that want them combine this
distance with their own signals (`similarity_vector` and `song_similar` are their entry
points).

Cost: on PostgreSQL the nearest songs come from a GiST index over that very vector (the
`cube` extension, migration 0010): a k-nearest-neighbour index scan reads a few pages
whatever the catalog's size. Its expression is `SIMILARITY_VECTOR_SQL`, which the index
definition repeats verbatim (tests/catalog/test_explain_read.py checks that the planner
uses it). Elsewhere (the embedded SQLite default, for small catalogs) the same distance is
computed for every song by the ORM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import connections
from django.db.models import F, FloatField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest, Least

from catalog.models import Song
from catalog.selectors.songs import song_list, songs_attach

# feature: (value mapped to 0, value mapped to 1).
SIMILARITY_FEATURES: dict[str, tuple[float, float]] = {
    "danceability": (0.0, 1.0),
    "energy": (0.0, 1.0),
    "acousticness": (0.0, 1.0),
    "instrumentalness": (0.0, 1.0),
    "liveness": (0.0, 1.0),
    "valence": (0.0, 1.0),
    "loudness": (-60.0, 0.0),
    "tempo": (0.0, 250.0),
}
SIMILAR_DEFAULT_LIMIT = 10
SIMILAR_MAX_LIMIT = 50
# The KNN scan's order is by distance alone (a tie-break would defeat the index): a few
# more songs than asked are read so that ties at the cut are settled by id.
_TIE_MARGIN = 10


def _clamped_sql(field: str) -> str:
    low, high = SIMILARITY_FEATURES[field]
    return f"least(greatest(({field} - ({low})::float8) / ({high - low})::float8, 0::float8), 1::float8)"


# The song's point in the unit cube, as SQL over catalog_song's columns. Migration 0010's
# index is built on exactly this text: change both together.
SIMILARITY_VECTOR_SQL = "cube(ARRAY[" + ", ".join(_clamped_sql(f) for f in SIMILARITY_FEATURES) + "])"


def similarity_vector(song: Song) -> list[float]:
    """The song's point in the unit cube (see the module docstring)."""
    return [
        min(max((getattr(song, field) - low) / (high - low), 0.0), 1.0)
        for field, (low, high) in SIMILARITY_FEATURES.items()
    ]


def similarity_score(distance: float) -> float:
    return round(1.0 - math.sqrt(max(distance, 0.0)) / math.sqrt(len(SIMILARITY_FEATURES)), 6)


@dataclass(frozen=True)
class SimilarSong:
    song: Song
    score: float


def song_similar(
    *, song: Song, limit: int = SIMILAR_DEFAULT_LIMIT, viewer_id: int | None = None
) -> list[SimilarSong]:
    """The `limit` songs nearest to `song` (at most SIMILAR_MAX_LIMIT), best first, ties by
    id, never `song` itself; with what `songs_attach` adds."""
    limit = max(1, min(limit, SIMILAR_MAX_LIMIT))
    others = song_list().exclude(pk=song.pk)
    if connections[others.db].vendor == "postgresql":
        nearest = _nearest_indexed(others, song, limit)
    else:
        nearest = _nearest_scanned(others, song, limit)
    attached = songs_attach([other for other, _ in nearest], viewer_id=viewer_id)
    return [
        SimilarSong(song=other, score=similarity_score(d))
        for other, (_, d) in zip(attached, nearest, strict=True)
    ]


def _nearest_indexed(others: QuerySet[Song], song: Song, limit: int) -> list[tuple[Song, float]]:
    """KNN over the GiST index: ORDER BY the distance operator alone, LIMIT k."""
    distance = RawSQL(
        f"{SIMILARITY_VECTOR_SQL} <-> cube(%s::float8[])", [similarity_vector(song)], FloatField()
    )
    rows = list(others.annotate(distance=distance).order_by("distance")[: limit + _TIE_MARGIN])
    rows.sort(key=lambda other: (round(other.distance, 9), other.pk))
    # The index gives the euclidean distance; scores are computed from its square.
    return [(other, other.distance**2) for other in rows[:limit]]


def _nearest_scanned(others: QuerySet[Song], song: Song, limit: int) -> list[tuple[Song, float]]:
    """The squared distance of every song, computed by the database: linear in the catalog."""
    target = similarity_vector(song)
    distance = None
    for (field, (low, high)), point in zip(SIMILARITY_FEATURES.items(), target, strict=True):
        clamped = Least(Greatest((F(field) - low) / (high - low), 0.0), 1.0)
        term = (clamped - point) * (clamped - point)
        distance = term if distance is None else distance + term
    rows = others.annotate(distance_sq=distance).order_by("distance_sq", "id")[:limit]
    return [(other, other.distance_sq) for other in rows]
