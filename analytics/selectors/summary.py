"""Platform totals: accounts, songs, ratings, events by action, active users. Counts only,
never anyone's name or address.

Events are counted from the rollups (UserMonth), so they include events whose rows retention
has dropped and exclude those the rollup job has not applied yet (seconds old).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Max, Sum
from django.utils import timezone

from analytics.models import UserMonth, month_start
from analytics.scoring import COUNT_FIELDS
from catalog.ratings.selectors import rating_count
from catalog.selectors.songs import song_count
from users.selectors import user_count


def _active_since(since: dt.datetime) -> Any:
    """The UserMonth rows with an event at or after `since`: a row's `last_at` is its
    month's newest event, and no month before `since`'s has one that late."""
    first = month_start(since.astimezone(dt.UTC).date())
    return UserMonth.objects.filter(month__gte=first, last_at__gte=since)


def active_users(*, since: dt.datetime) -> int:
    """Users with an event at or after `since`."""
    return _active_since(since).values("user_id").distinct().count()


def users_active_since(*, since: dt.datetime, limit: int) -> list[int]:
    """Up to `limit` users with an event at or after `since`, most recently active first."""
    newest = _active_since(since).values("user_id").annotate(newest=Max("last_at"))
    newest = newest.order_by("-newest", "user_id")
    return [row["user_id"] for row in newest[:limit]]


def summary_compute(*, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    sums = UserMonth.objects.aggregate(
        **{action: Sum(field, default=0) for action, field in COUNT_FIELDS.items()}
    )
    return {
        "users": user_count(),
        "songs": song_count(),
        "ratings": rating_count(),
        "activities": sum(sums.values()),
        "activities_by_action": sums,
        "active_users_24h": active_users(since=now - dt.timedelta(hours=24)),
        "active_users_7d": active_users(since=now - dt.timedelta(days=7)),
        "as_of": now.isoformat(),
    }
