"""The order in which writers of the songs table take their locks, on PostgreSQL (SQLite
runs one writing transaction at a time and has no such locks).

A load holds SHARE ROW EXCLUSIVE on the table for its whole transaction (`songs_lock_for_load`):
every other write of songs waits for it, readers do not. A write that first locks rows
(`SELECT ... FOR UPDATE`) and then updates them would get its rows before the load and ask
for the table after it (an UPDATE needs ROW EXCLUSIVE), while the load's own UPDATE waits for
those rows: a deadlock, which PostgreSQL breaks by failing one of them, the load as often as
not. So such a write takes ROW EXCLUSIVE before any row (`songs_lock_for_row_writes`), and
waits for a running load before it holds anything the load needs.
"""

from __future__ import annotations

from django.db import connection

from catalog.models import Song


def songs_lock_for_load() -> None:
    """Call first in a load's transaction."""
    _lock("SHARE ROW EXCLUSIVE")


def songs_lock_for_row_writes() -> None:
    """Call in a transaction before it locks song rows that it will then update."""
    _lock("ROW EXCLUSIVE")


def _lock(mode: str) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {Song._meta.db_table} IN {mode} MODE")
