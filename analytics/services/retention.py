"""Keeping the events table ready ahead and within its retention."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics import partitions
from analytics.models import Activity, ActivityKey


@dataclass(frozen=True)
class Maintained:
    created_through: tuple[int, int]
    cutoff: dt.datetime | None
    dropped: list[str]
    deleted_keys: int


def retention_cutoff(*, now: dt.datetime) -> dt.datetime | None:
    """The first moment ANALYTICS_RETENTION_MONTHS keeps events of at `now` (the first of a
    month, UTC); None when they are kept forever."""
    months = settings.ANALYTICS_RETENTION_MONTHS
    if months <= 0:
        return None
    first_kept = partitions.add_months(partitions.month_of(now), -months)
    return dt.datetime(first_kept[0], first_kept[1], 1, tzinfo=dt.UTC)


def partitions_maintain(*, now: dt.datetime | None = None) -> Maintained:
    """Create the event partitions from last month to ANALYTICS_PARTITIONS_AHEAD months ahead,
    then forget events (and their client keys) from before the retention's first month.
    Idempotent: a re-run finds everything done."""
    now = now or timezone.now()
    this_month = partitions.month_of(now)
    ahead = partitions.add_months(this_month, settings.ANALYTICS_PARTITIONS_AHEAD)
    partitions.ensure_months(
        partitions.add_months(this_month, k) for k in range(-1, settings.ANALYTICS_PARTITIONS_AHEAD + 1)
    )
    cutoff = retention_cutoff(now=now)
    if cutoff is None:
        return Maintained(created_through=ahead, cutoff=None, dropped=[], deleted_keys=0)
    first_kept = partitions.month_of(cutoff)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            dropped = partitions.drop_before(first_kept)
        else:
            Activity.objects.filter(occurred_at__lt=cutoff).delete()
            dropped = []
        deleted_keys, _ = ActivityKey.objects.filter(occurred_at__lt=cutoff).delete()
    return Maintained(created_through=ahead, cutoff=cutoff, dropped=dropped, deleted_keys=deleted_keys)
