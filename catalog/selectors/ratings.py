"""Rating reads: a user's own ratings, and the truth the song aggregates must match."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, Exists, OuterRef, QuerySet, Sum

from catalog.models import RATING_PRIOR_MEAN, RATING_PRIOR_WEIGHT, Rating, Song

Aggregates = tuple[int, float, float]


def rating_list(*, user_id: int) -> QuerySet[Rating]:
    """The user's ratings, most recently changed first (served by the (user, song) unique
    index, then sorted: a user has at most a few thousand)."""
    return (
        Rating.objects.filter(user_id=user_id)
        .only("song_id", "score", "created_at", "updated_at")
        .order_by("-updated_at", "-id")
    )


def expected_aggregates(*, count: int, total: int) -> Aggregates:
    """(total_ratings, average_rating, rating_score) of a song with `count` ratings summing to
    `total`. The same floating-point operations as the SQL that stores them, so that
    equality is exact."""
    average = float(total) / count if count else 0.0
    score = (RATING_PRIOR_WEIGHT * float(RATING_PRIOR_MEAN) + total) / (RATING_PRIOR_WEIGHT + count)
    return count, average, score


def song_ratings_truth(*, song_ids: Iterable[int]) -> dict[int, Aggregates]:
    """The aggregates each song must have according to the ratings table."""
    ids = list(song_ids)
    counts = {
        row["song_id"]: (row["n"], row["total"])
        for row in Rating.objects.filter(song_id__in=ids)
        .order_by()
        .values("song_id")
        .annotate(n=Count("*"), total=Sum("score"))
    }
    return {song_id: expected_aggregates(**_pair(counts.get(song_id))) for song_id in ids}


def song_ratings_stored(*, song_ids: Iterable[int]) -> dict[int, Aggregates]:
    """The aggregates stored on each song."""
    rows = Song.objects.filter(pk__in=list(song_ids)).values_list(
        "id", "total_ratings", "average_rating", "rating_score"
    )
    return {song_id: (total_ratings, average, score) for song_id, total_ratings, average, score in rows}


def _pair(value: tuple[int, int] | None) -> dict[str, int]:
    count, total = value or (0, 0)
    return {"count": count, "total": total}


def songs_with_drifted_ratings(*, limit: int | None = None) -> list[int]:
    """Ids of songs whose stored aggregates disagree with their ratings, in id order.

    Reads the ratings and the songs with total_ratings > 0 (a partial index holds exactly
    those), so its cost follows the number of ratings, not the size of the catalog.
    A song with no rating whose aggregates are not the defaults is not looked for: only the
    aggregation writes them, and it always writes a count.
    """
    if connection.vendor != "postgresql":
        return _drifted_portable(limit)
    sql = """
        SELECT coalesce(s.id, t.song_id) AS id
        FROM (
            SELECT id, total_ratings, average_rating, rating_score
            FROM catalog_song WHERE total_ratings > 0
        ) AS s
        FULL JOIN (
            SELECT song_id, count(*)::integer AS n, sum(score) AS total
            FROM catalog_rating GROUP BY song_id
        ) AS t ON t.song_id = s.id
        WHERE s.id IS NULL OR t.song_id IS NULL
           OR s.total_ratings <> t.n
           OR s.average_rating <> t.total::float8 / t.n
           OR s.rating_score <> (%(prior_weight)s * %(prior_mean)s + t.total)::float8
                                 / (%(prior_weight)s + t.n)
        ORDER BY 1
    """
    params: dict[str, float] = {"prior_weight": RATING_PRIOR_WEIGHT, "prior_mean": float(RATING_PRIOR_MEAN)}
    if limit is not None:
        sql += " LIMIT %(limit)s"
        params["limit"] = limit
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _drifted_portable(limit: int | None) -> list[int]:
    counts = {
        row["song_id"]: (row["n"], row["total"])
        for row in Rating.objects.order_by().values("song_id").annotate(n=Count("*"), total=Sum("score"))
    }
    stored = Song.objects.filter(total_ratings__gt=0).values_list(
        "id", "total_ratings", "average_rating", "rating_score"
    )
    drifted = {
        song_id
        for song_id, *values in stored.iterator()
        if tuple(values) != expected_aggregates(**_pair(counts.get(song_id)))
    }
    rated = Rating.objects.filter(song_id=OuterRef("pk"))
    drifted.update(Song.objects.filter(Exists(rated), total_ratings=0).values_list("id", flat=True))
    ids = sorted(drifted)
    return ids[:limit] if limit is not None else ids
