"""The rating formula, defined once: a song's aggregates as database expressions of the
count and the sum of its ratings.

Everything that stores or checks aggregates evaluates these expressions in the database
(the PostgreSQL statements of `aggregates` and `drift` compile them into their SQL with
`aggregate_sql`), so a stored value and its truth come from the same arithmetic and are
compared exactly, without tolerance.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Expression, F, FloatField, IntegerField, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, NullIf

from catalog.models import RATING_PRIOR_MEAN, RATING_PRIOR_WEIGHT, Song

AGGREGATE_FIELDS = ("total_ratings", "average_rating", "rating_score")


def _as_float(expression: Expression | F) -> Cast:
    return Cast(expression, output_field=FloatField())


def aggregate_values(*, count: Expression | F, total: Expression | F) -> dict[str, Expression | F]:
    """The aggregates of a song whose ratings number `count` and sum to `total` (both never
    NULL), keyed by Song field:

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


def agrees(*, prefix: str = "", count: Expression | F, total: Expression | F) -> Q:
    """Holds where the stored aggregates (fields `prefix` + name) are those of `count` and
    `total`."""
    values = aggregate_values(count=count, total=total)
    return Q(**{f"{prefix}{name}": expression for name, expression in values.items()})


def aggregate_sql(*, count: str, total: str) -> tuple[dict[str, str], list[object]]:
    """The formula as SQL for a hand-written statement whose columns `count` and `total`
    hold a song's rating count and sum: ({field: sql}, params, in field order)."""
    compiler = Song.objects.all().query.get_compiler(connection=connection)
    values = aggregate_values(
        count=RawSQL(count, [], output_field=IntegerField()),
        total=RawSQL(total, [], output_field=IntegerField()),
    )
    sql: dict[str, str] = {}
    params: list[object] = []
    for name, expression in values.items():
        part, part_params = compiler.compile(expression.resolve_expression(compiler.query))
        sql[name] = part
        params.extend(part_params)
    return sql, params
