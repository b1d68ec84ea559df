"""Events per day and action, for the staff dashboard's chart (from SongDay, never events)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from analytics.models import SongDay
from analytics.scoring import COUNT_FIELDS


def daily_actions(*, days: int = 30, today: dt.date | None = None) -> list[tuple[dt.date, dict[str, int]]]:
    """The last `days` days, oldest first, each with its events by action (days without
    events included, as zeros)."""
    today = today or timezone.now().date()
    first = today - dt.timedelta(days=days - 1)
    sums = {action: Sum(field) for action, field in COUNT_FIELDS.items()}
    rows: QuerySet[Any, Any] = SongDay.objects.filter(day__gte=first, day__lte=today).values("day")
    by_day: dict[dt.date, dict[str, int]] = {
        row["day"]: {action: row[action] or 0 for action in COUNT_FIELDS} for row in rows.annotate(**sums)
    }
    zero = dict.fromkeys(COUNT_FIELDS, 0)
    return [
        (day, by_day.get(day, zero)) for day in (first + dt.timedelta(days=offset) for offset in range(days))
    ]
