"""Similar songs (`catalog.similarity` says what that means): a bounded read whatever the
catalog's size."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.models import Song
from catalog.selectors.songs import song_list, songs_attach
from catalog.similarity import (
    NEIGHBOURHOOD_CANDIDATES,
    SIMILARITY_FEATURES,
    adjacent_keys,
    distance_sq,
    features_of,
    neighbourhood_key,
    neighbourhood_key_expression,
    similarity_score,
    similarity_vector,
)

SIMILAR_DEFAULT_LIMIT = 10
SIMILAR_MAX_LIMIT = 50


@dataclass(frozen=True)
class SimilarSong:
    song: Song
    score: float


def song_similar(
    *, song: Song, limit: int = SIMILAR_DEFAULT_LIMIT, viewer_id: int | None = None
) -> list[SimilarSong]:
    """The `limit` songs (at most SIMILAR_MAX_LIMIT) most similar to `song` in its
    neighbourhood, best first, ties by id, never `song` itself; with what `songs_attach`
    adds. At most NEIGHBOURHOOD_CANDIDATES songs are read, through the neighbourhood index
    (the last, complementary query stops after as many rows as it still needs): at most
    five queries, the same at any catalog size. Songs without audio features (brought from
    Spotify) are never similar to anything: none when `song` is one of them."""
    limit = max(1, min(limit, SIMILAR_MAX_LIMIT))
    if any(getattr(song, field) is None for field in SIMILARITY_FEATURES):
        return []
    others = (
        song_list()
        .exclude(pk=song.pk)
        .filter(**{f"{field}__isnull": False for field in SIMILARITY_FEATURES})
        .order_by()
        .alias(neighbourhood=neighbourhood_key_expression())
    )
    features = features_of(song)
    key = neighbourhood_key(features)
    near = [key, *adjacent_keys(key)]
    target = similarity_vector(features)
    # The cell, then the adjacent cells, then any other songs, until the bound is reached.
    candidates: list[tuple[float, int]] = []
    for area in (
        others.filter(neighbourhood=key),
        others.filter(neighbourhood__in=near[1:]),
        others.exclude(neighbourhood__in=near),
    ):
        if len(candidates) >= NEIGHBOURHOOD_CANDIDATES:
            break
        remaining = NEIGHBOURHOOD_CANDIDATES - len(candidates)
        rows = area.values_list("id", *SIMILARITY_FEATURES)[:remaining]
        candidates += [(distance_sq(target, values), song_id) for song_id, *values in rows]
    nearest = sorted(candidates)[:limit]
    loaded = songs_attach(song_list().filter(pk__in=[i for _, i in nearest]), viewer_id=viewer_id)
    by_id = {other.pk: other for other in loaded}
    return [SimilarSong(song=by_id[i], score=similarity_score(d)) for d, i in nearest if i in by_id]
