"""Rating reads: a user's own ratings, the truth the song aggregates must match, and the
songs whose aggregates drift from it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from catalog.models import Rating, Song
from catalog.ratings.aggregates import with_true_aggregates
from catalog.ratings.drift import songs_with_drifted_ratings
from catalog.ratings.formula import AGGREGATE_FIELDS

Aggregates = tuple[int, float, float]


def rating_list(*, user_id: int, song_id: int | None = None) -> QuerySet[Rating]:
    """The user's ratings, most recently changed first (served by the (user, song) unique
    index, then sorted: a user has at most a few thousand); only that of `song_id` if given."""
    ratings = Rating.objects.filter(user_id=user_id)
    if song_id is not None:
        ratings = ratings.filter(song_id=song_id)
    return ratings.only("song_id", "score", "created_at", "updated_at").order_by("-updated_at", "-id")


def rating_count() -> int:
    """How many ratings exist, every user's (exact: platform totals are cached by their readers)."""
    return Rating.objects.count()


def song_ratings_truth(*, song_ids: Iterable[int]) -> dict[int, Aggregates]:
    """The aggregates each existing song must have according to the ratings table."""
    fields = [f"true_{name}" for name in AGGREGATE_FIELDS]
    rows = with_true_aggregates(Song.objects.filter(pk__in=list(song_ids))).values_list("pk", *fields)
    return {song_id: (count, average, score) for song_id, count, average, score in rows}


def song_ratings_stored(*, song_ids: Iterable[int]) -> dict[int, Aggregates]:
    """The aggregates stored on each song."""
    rows = Song.objects.filter(pk__in=list(song_ids)).values_list("pk", *AGGREGATE_FIELDS)
    return {song_id: (count, average, score) for song_id, count, average, score in rows}


__all__ = [
    "rating_count",
    "rating_list",
    "song_ratings_stored",
    "song_ratings_truth",
    "songs_with_drifted_ratings",
]
