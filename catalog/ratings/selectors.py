"""Rating reads: a user's own ratings, and the truth the song aggregates must match."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet

from catalog.models import Rating, Song
from catalog.ratings.aggregates import (
    AGGREGATE_FIELDS,
    group_agrees_with_its_song,
    ratings_by_song,
    with_true_aggregates,
)

Aggregates = tuple[int, float, float]


def rating_list(*, user_id: int, song_id: int | None = None) -> QuerySet[Rating]:
    """The user's ratings, most recently changed first (served by the (user, song) unique
    index, then sorted: a user has at most a few thousand); only that of `song_id` if given."""
    ratings = Rating.objects.filter(user_id=user_id)
    if song_id is not None:
        ratings = ratings.filter(song_id=song_id)
    return ratings.only("song_id", "score", "created_at", "updated_at").order_by("-updated_at", "-id")


def song_ratings_truth(*, song_ids: Iterable[int]) -> dict[int, Aggregates]:
    """The aggregates each existing song must have according to the ratings table."""
    fields = [f"true_{name}" for name in AGGREGATE_FIELDS]
    rows = with_true_aggregates(Song.objects.filter(pk__in=list(song_ids))).values_list("pk", *fields)
    return {song_id: (count, average, score) for song_id, count, average, score in rows}


def song_ratings_stored(*, song_ids: Iterable[int]) -> dict[int, Aggregates]:
    """The aggregates stored on each song."""
    rows = Song.objects.filter(pk__in=list(song_ids)).values_list("pk", *AGGREGATE_FIELDS)
    return {song_id: (count, average, score) for song_id, count, average, score in rows}


def songs_with_drifted_ratings(*, limit: int | None = None) -> list[int]:
    """Ids of songs whose stored aggregates disagree with their ratings, in id order.

    Reads the ratings and the songs with total_ratings > 0 (a partial index holds exactly
    those), so its cost follows the number of ratings, not the size of the catalog. A song
    with neither a rating nor a count is not looked at: only the recompute writes the
    aggregates, and it writes all three together.
    """
    drifted = sorted({song_id for songs in drifted_songs() for song_id in _ids(songs, limit)})
    return drifted[:limit] if limit is not None else drifted


def drifted_songs() -> tuple[QuerySet[Song], QuerySet[Song]]:
    """The two queries of `songs_with_drifted_ratings`: songs with ratings whose aggregates
    disagree with them (one pass over the ratings, grouped by song), and songs counted as
    rated that have no rating left (through the partial index of rated songs)."""
    rated = ratings_by_song().exclude(group_agrees_with_its_song()).values("song_id")
    disagreeing = Song.objects.filter(pk__in=rated)
    emptied = Song.objects.filter(total_ratings__gt=0).exclude(
        Exists(Rating.objects.filter(song_id=OuterRef("pk")))
    )
    return disagreeing, emptied


def _ids(songs: QuerySet[Song], limit: int | None) -> list[int]:
    ids = songs.order_by("pk").values_list("pk", flat=True)
    return list(ids[:limit] if limit is not None else ids)
