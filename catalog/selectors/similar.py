"""Similar songs (`catalog.similarity` says what that means): a bounded read whatever the
catalog's size."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from catalog.models import Song
from catalog.selectors.songs import song_list, songs_attach
from catalog.similarity import (
    NEIGHBOURHOOD_CANDIDATES,
    SIMILARITY_FEATURES,
    adjacent_keys,
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
    five queries, the same at any catalog size."""
    limit = max(1, min(limit, SIMILAR_MAX_LIMIT))
    others = song_list().exclude(pk=song.pk).order_by().alias(neighbourhood=neighbourhood_key_expression())
    features = features_of(song)
    key = neighbourhood_key(features)
    near = [key, *adjacent_keys(key)]
    # The cell, then the adjacent cells, then any other songs, until the bound is reached.
    candidates: list[tuple[int, list[float]]] = []
    for songs in (
        others.filter(neighbourhood=key),
        others.filter(neighbourhood__in=near[1:]),
        others.exclude(neighbourhood__in=near),
    ):
        if len(candidates) >= NEIGHBOURHOOD_CANDIDATES:
            break
        candidates += _features(songs, NEIGHBOURHOOD_CANDIDATES - len(candidates))
    target = similarity_vector(features)
    scored = sorted(
        ((similarity_score(target, vector), song_id) for song_id, vector in candidates),
        key=lambda pair: (-pair[0], pair[1]),
    )[:limit]
    songs = {
        s.pk: s for s in songs_attach(song_list().filter(pk__in=[i for _, i in scored]), viewer_id=viewer_id)
    }
    return [SimilarSong(song=songs[song_id], score=score) for score, song_id in scored if song_id in songs]


def _features(songs: QuerySet[Song], at_most: int) -> list[tuple[int, list[float]]]:
    """(id, point) of at most `at_most` of `songs`, reading only their features."""
    rows = songs.values("id", *SIMILARITY_FEATURES)[:at_most]
    return [(row["id"], similarity_vector(row)) for row in rows]
