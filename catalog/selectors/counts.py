"""Counts of the catalog's lists: exact up to a bound, the planner's estimate past it, or
exact with the page for a set read whole (`WholePage`)."""

from __future__ import annotations

import json
from typing import Any

from django.db import connections
from django.db.models import Count, QuerySet, Window

# Pages report an exact count up to this many matches; past it, counting every row would
# cost more than the page itself at a million songs, so the planner's estimate is used.
EXACT_COUNT_LIMIT = 1000


def count_up_to(queryset: QuerySet, limit: int) -> int:
    """How many rows `queryset` has, counted no further than `limit` + 1: asking costs the
    same for a million rows as for just past the limit."""
    return queryset.order_by()[: limit + 1].count()


def queryset_count_bounded(queryset: QuerySet) -> tuple[int, bool]:
    """(count, exact). Exact up to EXACT_COUNT_LIMIT; beyond it on PostgreSQL the planner's
    row estimate (never less than the limit + 1). Elsewhere always exact."""
    vendor = connections[queryset.db].vendor
    if vendor != "postgresql":
        return queryset.count(), True
    counted = count_up_to(queryset, EXACT_COUNT_LIMIT)
    if counted <= EXACT_COUNT_LIMIT:
        return counted, True
    try:
        plan = json.loads(queryset.order_by().explain(format="json"))
        estimate = int(plan[0]["Plan"]["Plan Rows"])
    except (ValueError, KeyError, IndexError, TypeError):
        estimate = 0
    return max(estimate, counted), False


# The annotation that carries a set's count on each row of its page (`WholePage`).
_WHOLE_COUNT = "whole_count"


class WholePage:
    """For results that read every row to give any page (a set sorted whole): the page a
    paginator will take, announced before it counts (`expect`), read together with the
    count of every row (`COUNT(*) OVER ()`), so that the exact count costs little more than
    the page; the page is then kept for the slice that follows."""

    def __init__(self) -> None:
        self.expected: tuple[int, int] | None = None
        self.rows: list[Any] = []

    def expect(self, *, start: int, stop: int) -> None:
        self.expected = (start, stop)

    def count(self, queryset: QuerySet) -> int | None:
        """The count of `queryset`, read with the expected page; None when no page was
        announced, or when it is empty (no rows, or a page past the end): count apart then."""
        if self.expected is None:
            return None
        start, stop = self.expected
        self.rows = list(queryset.annotate(**{_WHOLE_COUNT: Window(Count("*"))})[start:stop])
        return getattr(self.rows[0], _WHOLE_COUNT) if self.rows else None

    def slice(self, index: slice) -> list[Any] | None:
        """The rows read by `count` when `index` starts that page (the paginator's last page
        stops at the count, where those rows end too); None otherwise."""
        if not self.rows or self.expected is None or (index.start or 0) != self.expected[0]:
            return None
        return self.rows
