"""Finding the songs whose stored aggregates disagree with their ratings (reconcile's check).

Portable ORM code (one pass over the ratings grouped by song, and the rated songs without a
rating left); on PostgreSQL one FULL JOIN of the grouped ratings with the rated songs
instead, which bench/README.md ("Ratings", "PostgreSQL-only paths") measured against it.
Either way the cost follows the number of ratings, not the size of the catalog: songs are
reached through the ratings or the partial index of rated songs (total_ratings > 0). A song
with neither a rating nor a count is not looked at: only the recompute writes the
aggregates, and it writes all three together.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Sum

from catalog.models import Rating, Song
from catalog.ratings.formula import AGGREGATE_FIELDS, aggregate_sql, agrees


def songs_with_drifted_ratings(*, limit: int | None = None) -> list[int]:
    """Ids of songs whose stored aggregates disagree with their ratings, in id order."""
    drifted = _drifted_postgresql if connection.vendor == "postgresql" else _drifted_portable
    return drifted(limit)


def _drifted_portable(limit: int | None) -> list[int]:
    drifted = sorted({song_id for songs in drifted_songs() for song_id in _ids(songs, limit)})
    return drifted[:limit] if limit is not None else drifted


def drifted_songs() -> tuple[QuerySet[Song], QuerySet[Song]]:
    """The portable check's two queries: songs with ratings whose aggregates disagree with
    them, and songs counted as rated that have no rating left."""
    groups = (
        Rating.objects.order_by()
        .values("song_id", *(f"song__{name}" for name in AGGREGATE_FIELDS))
        .annotate(count=Count("*"), total=Sum("score"))
    )
    disagreeing = groups.exclude(agrees(prefix="song__", count=F("count"), total=F("total"))).values(
        "song_id"
    )
    emptied = Song.objects.filter(total_ratings__gt=0).exclude(
        Exists(Rating.objects.filter(song_id=OuterRef("pk")))
    )
    return Song.objects.filter(pk__in=disagreeing), emptied


def _ids(songs: QuerySet[Song], limit: int | None) -> list[int]:
    ids = songs.order_by("pk").values_list("pk", flat=True)
    return list(ids[:limit] if limit is not None else ids)


def _drifted_postgresql(limit: int | None) -> list[int]:
    formula, params = aggregate_sql(count="t.n", total="t.total")
    fields = ", ".join(AGGREGATE_FIELDS)
    stored = ", ".join(f"s.{name}" for name in AGGREGATE_FIELDS)
    truth = ", ".join(formula[name] for name in AGGREGATE_FIELDS)
    sql = f"""
        SELECT coalesce(s.id, t.song_id) AS id
        FROM (SELECT id, {fields} FROM {Song._meta.db_table} WHERE total_ratings > 0) AS s
        FULL JOIN (
            SELECT song_id, count(*)::integer AS n, sum(score)::integer AS total
            FROM {Rating._meta.db_table} GROUP BY song_id
        ) AS t ON t.song_id = s.id
        WHERE s.id IS NULL OR t.song_id IS NULL OR ({stored}) <> ({truth})
        ORDER BY 1
    """
    if limit is not None:
        sql += " LIMIT %s"
        params = [*params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
