"""The rollup job: pending counts into the day and user rollups, exactly once.

Ingest writes, with every batch and in its transaction, one `PendingRollup` row per (day,
song, action). A refresh takes the "rollups" FillState row lock, reads up to REFRESH_CAP
pending rows, adds them into SongDay, UserDay and UserSong and deletes exactly the rows it
read, all in one transaction. So an event is counted once whatever its `occurred_at` (late
events, imported history) and whatever order ids were drawn and batches committed in; a
re-run finds nothing to add; a crash rolls the whole run back. Its cost is the pending rows',
never the events table's. (Why not a time watermark as Zulip's FillState keeps: events arrive
up to 30 days late or years late by import, and an id sequence's order is not commit order.)
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from analytics.models import FillState, PendingRollup
from analytics.services.rollups_merge import pending_delete, pending_of_existing, pending_read, rollups_add
from analytics.services.rollups_postgres import pending_apply_postgres
from analytics.services.snapshots import snapshots_refresh

FILL_STATE = "rollups"
# Pending rows one run applies at most: a run stays short (bench/README.md) and a backlog
# (a bulk import) is worked off over several.
REFRESH_CAP = 200_000
# How long one catch-up keeps running refreshes while a backlog remains.
CATCH_UP_SECONDS = 30.0
# The rollups' `total_applied` when the cached trends and summary were last computed.
SNAPSHOTS_OF_KEY = "analytics:snapshots:of-applied"


@dataclass(frozen=True)
class Refreshed:
    applied: int
    # Pending rows remained past the cap.
    more: bool
    # Another run held the lock: this one did nothing.
    skipped: bool = False


def fill_state_get_or_create() -> FillState:
    try:
        with transaction.atomic():
            state, _ = FillState.objects.get_or_create(name=FILL_STATE)
    except IntegrityError:  # another run created it first
        state = FillState.objects.get(name=FILL_STATE)
    return state


def fill_state_lock(*, wait: bool) -> FillState | None:
    """The "rollups" FillState row, locked until the current transaction ends; None if
    another transaction holds it and `wait` is false. Every writer of the rollup tables
    holds it (on SQLite, where there is no row lock, a writing transaction holds the whole
    database)."""
    fill_state_get_or_create()
    rows = FillState.objects.filter(name=FILL_STATE)
    return (rows.select_for_update() if wait else rows.select_for_update(skip_locked=True)).first()


def use_sql() -> bool:
    """Whether pending rows are applied by rollups_postgres's single statement."""
    return connection.vendor == "postgresql"


def pending_apply(*, cap: int | None, before: dt.date | None = None) -> int:
    """Moves up to `cap` pending rows (all if None; of days before `before` only, if given)
    into the rollups and deletes them; returns how many. Precondition: inside a transaction
    holding `fill_state_lock`."""
    if use_sql():
        return pending_apply_postgres(cap=cap, before=before)
    picked = pending_read(cap=cap, before=before)
    rollups_add(pending_of_existing([row for _, row in picked]))
    pending_delete([pending_id for pending_id, _ in picked])
    return len(picked)


def fill_state_record(state: FillState, *, applied: int) -> None:
    state.last_run_at = timezone.now()
    state.last_applied = applied
    state.total_applied = F("total_applied") + applied
    state.save(update_fields=["last_run_at", "last_applied", "total_applied"])


def rollups_refresh(*, cap: int = REFRESH_CAP) -> Refreshed:
    """Adds up to `cap` pending rows into the rollups, in one transaction. A run that finds
    another one under way returns at once (`skipped`): that one does the work."""
    with transaction.atomic():
        state = fill_state_lock(wait=False)
        if state is None:
            return Refreshed(applied=0, more=False, skipped=True)
        applied = pending_apply(cap=cap)
        more = applied >= cap and PendingRollup.objects.exists()
        fill_state_record(state, applied=applied)
    return Refreshed(applied=applied, more=more)


def rollups_catch_up(*, budget_seconds: float = CATCH_UP_SECONDS, snapshots: bool = True) -> int:
    """Refreshes until nothing is pending (or `budget_seconds` have passed), then, if anything
    was applied and `snapshots`, recomputes the cached trends and summary; returns the rows
    applied. Beat's job passes `snapshots=False`: `snapshots_catch_up` runs on its own period."""
    started = time.monotonic()
    applied = 0
    while True:
        refreshed = rollups_refresh()
        applied += refreshed.applied
        if not refreshed.more or time.monotonic() - started > budget_seconds:
            break
    if applied and snapshots:
        snapshots_refresh()
    return applied


def snapshots_catch_up() -> bool:
    """Recomputes the cached trends and summary if the rollups took rows since they were last
    computed, or once half of their lifetime has passed (so that readers do not find them
    expired, and a new day moves the windows); returns whether it did. Recomputing reads every
    window's day rows (bench/README.md, "Analytics": longer than the rollup job's period at
    10M events), which is why it has a period of its own, ANALYTICS_TRENDS_SECONDS."""
    applied = FillState.objects.filter(name=FILL_STATE).values_list("total_applied", flat=True).first()
    if applied is not None and cache.get(SNAPSHOTS_OF_KEY) == applied:
        return False
    snapshots_refresh()
    cache.set(SNAPSHOTS_OF_KEY, applied, settings.ANALYTICS_SNAPSHOT_SECONDS // 2)
    return True


def rollups_catch_up_in_process() -> None:
    """The embedded default has no beat: ingest calls this once its batch is committed.
    With Redis, beat's periodic task does the work and this does nothing."""
    if not settings.REDIS_URL:
        rollups_catch_up()
