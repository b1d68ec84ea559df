"""Recomputing songs' aggregates from their ratings.

`song_ratings_recompute` is portable ORM code; on PostgreSQL it is one UPDATE ... FROM
(SELECT ... GROUP BY) per batch instead, which bench/README.md ("Ratings", "PostgreSQL-only
paths") measured against it. Both write only the songs whose aggregates change.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from catalog.models import Rating, Song
from catalog.ratings.formula import AGGREGATE_FIELDS, aggregate_sql, aggregate_values
from catalog.song_locks import songs_lock_for_row_writes


def _ratings_of_outer_song(aggregate: Count | Sum) -> Coalesce:
    ratings = Rating.objects.filter(song_id=OuterRef("pk")).order_by().values("song_id")
    return Coalesce(
        Subquery(ratings.annotate(value=aggregate).values("value")), 0, output_field=IntegerField()
    )


def with_true_aggregates(songs: QuerySet[Song]) -> QuerySet[Song]:
    """`songs` annotated with `true_total_ratings`, `true_average_rating` and
    `true_rating_score`: the aggregates their ratings give now."""
    values = aggregate_values(count=F("true_count"), total=F("true_sum"))
    return songs.annotate(
        true_count=_ratings_of_outer_song(Count("*")), true_sum=_ratings_of_outer_song(Sum("score"))
    ).annotate(**{f"true_{name}": expression for name, expression in values.items()})


def song_ratings_recompute(*, song_ids: Iterable[int]) -> int:
    """Recompute the aggregates of these songs from the ratings table; returns how many rows
    changed (a song already right is not written). Idempotent; unknown ids are ignored."""
    ids = sorted({int(song_id) for song_id in song_ids})
    if not ids:
        return 0
    with transaction.atomic():
        # Lock first, aggregate in a second statement: under READ COMMITTED that statement's
        # snapshot is taken after the lock, so it sees every rating committed before any
        # concurrent recompute of the same songs, and the last writer is never stale.
        # NO KEY UPDATE does not block the key-share locks that rating inserts take. SQLite
        # runs writing transactions one at a time and ignores the clause.
        songs_lock_for_row_writes()
        locked = Song.objects.filter(pk__in=ids).order_by("pk").select_for_update(no_key=True)
        ids = list(locked.values_list("pk", flat=True))
        if connection.vendor == "postgresql":
            return _recompute_postgresql(ids)
        return _recompute_portable(ids)


def _recompute_portable(ids: list[int]) -> int:
    stale = with_true_aggregates(Song.objects.filter(pk__in=ids)).exclude(
        **{name: F(f"true_{name}") for name in AGGREGATE_FIELDS}
    )
    count, total = _ratings_of_outer_song(Count("*")), _ratings_of_outer_song(Sum("score"))
    return Song.objects.filter(pk__in=stale.values("pk")).update(**aggregate_values(count=count, total=total))


def _recompute_postgresql(ids: list[int]) -> int:
    formula, params = aggregate_sql(count="agg.n", total="agg.total")
    columns = ", ".join(AGGREGATE_FIELDS)
    values = ", ".join(formula[name] for name in AGGREGATE_FIELDS)
    # The formula appears twice (SET and the IS DISTINCT FROM that skips unchanged songs).
    sql = f"""
        UPDATE {Song._meta.db_table} AS s
        SET ({columns}) = ({values})
        FROM (
            SELECT ids.id, count(r.score)::integer AS n, coalesce(sum(r.score), 0)::integer AS total
            FROM unnest(%s::bigint[]) AS ids (id)
            LEFT JOIN {Rating._meta.db_table} AS r ON r.song_id = ids.id
            GROUP BY ids.id
        ) AS agg
        WHERE s.id = agg.id AND (s.{", s.".join(AGGREGATE_FIELDS)}) IS DISTINCT FROM ({values})
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, ids, *params])
        return cursor.rowcount
