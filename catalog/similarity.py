"""What "similar songs" means, once for the whole project.

Two songs are similar when their audio features are close. Each feature of
SIMILARITY_FEATURES is mapped onto 0..1 by its range (values outside it are clamped), so
that tempo in BPM weighs no more than energy; a song is then a point in that
8-dimensional unit cube. The distance of two songs is the euclidean distance of their
points, and their similarity `1 - distance / sqrt(8)`: 1.0 for an identical profile, 0.0
for opposite corners. Popularity, genres and ratings play no part: recommendations that
want them combine this score with their own signals.

The similar songs of a song are the closest ones among its *neighbourhood*, so that
finding them costs the same in a catalog of a thousand songs or of a million: the songs
whose energy, danceability, valence and acousticness fall in the same eighth of their
range as its own (one cell of an 8x8x8x8 grid, looked up by the index on
`neighbourhood_key`), at most NEIGHBOURHOOD_CANDIDATES of them; when its cell has fewer,
the adjacent cells' songs, then any others, complete them up to that bound. So a catalog
of fewer songs than the bound is ranked whole (the exact nearest songs), and in a large
one the nearest songs of the neighbourhood are found, at a bounded cost.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from django.db.models import F, FloatField, Func
from django.db.models.functions import Floor, Least

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
# The features that place a song in its neighbourhood (all four within 0..1 by the model's
# constraints, and spread across it in real catalogs), and how finely each is cut.
NEIGHBOURHOOD_FEATURES = ("energy", "danceability", "valence", "acousticness")
NEIGHBOURHOOD_LEVELS = 8
# The most songs a lookup of similar songs reads and ranks.
NEIGHBOURHOOD_CANDIDATES = 1000


def features_of(song: object) -> dict[str, float]:
    """The features of a song (or anything with them as attributes)."""
    return {field: getattr(song, field) for field in SIMILARITY_FEATURES}


def similarity_vector(features: Mapping[str, float]) -> list[float]:
    """The point in the unit cube of a song's features."""
    return [
        min(max((features[field] - low) / (high - low), 0.0), 1.0)
        for field, (low, high) in SIMILARITY_FEATURES.items()
    ]


_RANGES = [(low, high - low) for low, high in SIMILARITY_FEATURES.values()]


def distance_sq(target: Sequence[float], values: Sequence[float]) -> float:
    """The squared distance of a song's point (`values`: its features in
    SIMILARITY_FEATURES order, as read from the database) to the point `target`."""
    total = 0.0
    for value, (low, span), point in zip(values, _RANGES, target, strict=True):
        x = (value - low) / span
        x = 0.0 if x < 0.0 else 1.0 if x > 1.0 else x
        total += (x - point) * (x - point)
    return total


def similarity_score(distance_sq: float) -> float:
    """1 - distance / sqrt(8), from the squared distance, rounded to six places."""
    return round(1.0 - math.sqrt(max(distance_sq, 0.0)) / math.sqrt(len(SIMILARITY_FEATURES)), 6)


def _level(value: float) -> int:
    return min(int(value * NEIGHBOURHOOD_LEVELS), NEIGHBOURHOOD_LEVELS - 1)


def neighbourhood_key(features: Mapping[str, float]) -> int:
    """The cell of a song's features: their levels as the digits of a number."""
    key = 0
    for field in NEIGHBOURHOOD_FEATURES:
        key = key * NEIGHBOURHOOD_LEVELS + _level(features[field])
    return key


def neighbourhood_key_expression() -> Func:
    """`neighbourhood_key` as a database expression over the song's columns; the songs
    table is indexed on it (migration 0010)."""
    key = None
    for field in NEIGHBOURHOOD_FEATURES:
        level = Least(
            Floor(F(field) * NEIGHBOURHOOD_LEVELS), NEIGHBOURHOOD_LEVELS - 1, output_field=FloatField()
        )
        key = level if key is None else key * NEIGHBOURHOOD_LEVELS + level
    return key


def adjacent_keys(key: int) -> list[int]:
    """The cells next to `key`'s (one level up or down in any of the features), nearest
    first: those differing in one feature, then two, and so on."""
    levels = []
    for _ in NEIGHBOURHOOD_FEATURES:
        key, level = divmod(key, NEIGHBOURHOOD_LEVELS)
        levels.append(level)
    levels.reverse()
    cells = []
    for steps in itertools.product((-1, 0, 1), repeat=len(levels)):
        moved = [level + step for level, step in zip(levels, steps, strict=True)]
        if any(step for step in steps) and all(0 <= level < NEIGHBOURHOOD_LEVELS for level in moved):
            cells.append((sum(1 for step in steps if step), moved))
    cells.sort(key=lambda cell: cell[0])
    return [_key_of(moved) for _, moved in cells]


def _key_of(levels: list[int]) -> int:
    key = 0
    for level in levels:
        key = key * NEIGHBOURHOOD_LEVELS + level
    return key
