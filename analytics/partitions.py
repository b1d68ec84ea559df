"""Monthly partitions of the events table (PostgreSQL only; elsewhere the table is plain).

Partitions are named `analytics_activity_YYYYMM` and hold [first of month, first of next
month) in UTC. Beat creates the coming months ahead (`activity_partitions_maintain`); a write
also makes sure the months it needs exist (an imported history reaches back years), keeping
the months it has seen in this process so that the check costs a set lookup per batch.
Retention drops whole partitions: no row-by-row delete on a table of billions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction

PARENT = "analytics_activity"
_known: set[tuple[int, int]] = set()


def month_of(moment: dt.datetime) -> tuple[int, int]:
    moment = moment.astimezone(dt.UTC)
    return moment.year, moment.month


def _next(month: tuple[int, int]) -> tuple[int, int]:
    year, m = month
    return (year + 1, 1) if m == 12 else (year, m + 1)


def add_months(month: tuple[int, int], count: int) -> tuple[int, int]:
    index = month[0] * 12 + month[1] - 1 + count
    return index // 12, index % 12 + 1


def partition_name(month: tuple[int, int]) -> str:
    return f"{PARENT}_{month[0]:04d}{month[1]:02d}"


def _bound(month: tuple[int, int]) -> str:
    return f"{month[0]:04d}-{month[1]:02d}-01 00:00:00+00"


def ensure_months(months: Iterable[tuple[int, int]]) -> None:
    """Create the partitions of `months` that do not exist yet. Idempotent and safe under
    concurrency; no-op off PostgreSQL.

    CREATE TABLE IF NOT EXISTS alone is not safe: two writers both find a month's name free,
    and the second one's CREATE fails on it. So creators take turns under a transaction's
    advisory lock (keyed by the parent table's oid), each seeing what the one before committed.
    """
    if connection.vendor != "postgresql":
        return
    missing = sorted(set(months) - _known)
    if not missing:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s::regclass::oid::bigint)", [PARENT])
        for month in missing:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {partition_name(month)} PARTITION OF {PARENT} "
                f"FOR VALUES FROM ('{_bound(month)}') TO ('{_bound(_next(month))}')"
            )
    _known.update(missing)


def ensure_for(moments: Iterable[dt.datetime]) -> None:
    ensure_months({month_of(moment) for moment in moments})


def existing_months() -> list[tuple[int, int]]:
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits "
            "JOIN pg_class parent ON parent.oid = pg_inherits.inhparent "
            "JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "WHERE parent.relname = %s",
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    suffix = len(PARENT) + 1
    return sorted((int(n[suffix : suffix + 4]), int(n[suffix + 4 : suffix + 6])) for n in names)


def drop_before(month: tuple[int, int]) -> list[str]:
    """Drop every partition wholly before `month`; returns the dropped tables' names."""
    dropped = []
    with connection.cursor() as cursor:
        for old in existing_months():
            if old < month:
                cursor.execute(f"DROP TABLE IF EXISTS {partition_name(old)}")
                dropped.append(partition_name(old))
                _known.discard(old)
    return dropped


def forget_known() -> None:
    """Tests drop and re-create tables under this process: forget what it has seen."""
    _known.clear()
