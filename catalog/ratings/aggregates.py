"""The song aggregates derived from its ratings: the formula, defined once, and the recompute.

The formula is a database expression of a song's rating count and score sum. The recompute
stores it and the drift check (`selectors.songs_with_drifted_ratings`) compares with it, both
evaluated by the same database, so a stored value equals its truth exactly (no tolerance).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import (
    Count,
    Expression,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf

from catalog.models import RATING_PRIOR_MEAN, RATING_PRIOR_WEIGHT, Rating, Song

AGGREGATE_FIELDS = ("total_ratings", "average_rating", "rating_score")


def _as_float(expression: Expression | F) -> Cast:
    return Cast(expression, output_field=FloatField())


def aggregate_values(*, count: Expression | F, total: Expression | F) -> dict[str, Expression]:
    """The aggregates of a song whose ratings number `count` and sum to `total` (both never
    NULL), as expressions keyed by Song field:

    - total_ratings = count
    - average_rating = total / count, 0 without ratings
    - rating_score = (PRIOR_WEIGHT * PRIOR_MEAN + total) / (PRIOR_WEIGHT + count): the Bayesian
      score, as if every song already had PRIOR_WEIGHT votes of PRIOR_MEAN stars.
    """
    prior_sum = Value(RATING_PRIOR_WEIGHT * float(RATING_PRIOR_MEAN), output_field=FloatField())
    prior_weight = Value(float(RATING_PRIOR_WEIGHT), output_field=FloatField())
    return {
        "total_ratings": count,
        "average_rating": Coalesce(
            _as_float(total) / NullIf(_as_float(count), Value(0.0)), Value(0.0), output_field=FloatField()
        ),
        "rating_score": (prior_sum + _as_float(total)) / (prior_weight + _as_float(count)),
    }


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


def agrees_with_ratings() -> Q:
    """Holds for a song of `with_true_aggregates` whose stored aggregates are its truth."""
    return Q(**{name: F(f"true_{name}") for name in AGGREGATE_FIELDS})


def ratings_by_song() -> QuerySet[Rating]:
    """The ratings grouped by song, each group with its song's stored aggregates, and
    `agrees` (a filter) holding for the groups whose song's aggregates are their truth."""
    return (
        Rating.objects.order_by()
        .values("song_id", *(f"song__{name}" for name in AGGREGATE_FIELDS))
        .annotate(count=Count("*"), total=Sum("score"))
    )


def group_agrees_with_its_song() -> Q:
    """Holds for a group of `ratings_by_song` whose song's stored aggregates are its truth."""
    values = aggregate_values(count=F("count"), total=F("total"))
    return Q(**{f"song__{name}": expression for name, expression in values.items()})


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
        locked = list(
            Song.objects.filter(pk__in=ids)
            .order_by("pk")
            .select_for_update(no_key=True)
            .values_list("pk", flat=True)
        )
        stale = with_true_aggregates(Song.objects.filter(pk__in=locked)).exclude(agrees_with_ratings())
        count, total = _ratings_of_outer_song(Count("*")), _ratings_of_outer_song(Sum("score"))
        return Song.objects.filter(pk__in=stale.values("pk")).update(
            **aggregate_values(count=count, total=total)
        )
