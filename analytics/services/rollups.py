"""The rollup job: pending counts into the day and user rollups, exactly once.

Ingest writes, with every batch and in its transaction, one `PendingRollup` row per (day,
song, action). The day stage takes the "rollups" FillState row lock, reads up to REFRESH_CAP
pending rows, adds them into SongDay and UserMonth, moves them on to the user stage
(`PendingUserRollup`) and deletes exactly the rows it read, all in one transaction. The user
stage, on a longer period, does the same from its own table into SongTotal, UserSong, UserArtist and
UserGenre under the "user-rollups" lock (why two stages: `PendingUserRollup`). So an event
is counted once in each rollup whatever its `occurred_at` (late events, imported history)
and whatever order ids were drawn and batches committed in; a re-run finds nothing to add; a
crash rolls the whole run back. Its cost is the pending rows', never the events table's.
(Why not a time watermark as Zulip's FillState keeps: events arrive up to 30 days late or
years late by import, and an id sequence's order is not commit order.)
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from analytics.models import FillState, PendingRollup, PendingUserRollup, month_start
from analytics.services.rollups_markers import user_months_recount, user_songs_recount
from analytics.services.rollups_merge import (
    of_existing,
    pending_delete,
    pending_read,
    rollups_add,
    user_rollups_add,
)
from analytics.services.rollups_postgres import pending_apply_postgres, user_pending_apply_postgres
from analytics.services.snapshots import snapshots_refresh

FILL_STATE = "rollups"
USER_FILL_STATE = "user-rollups"
# Pending rows one day-stage run applies at most: a run stays short (bench/README.md) and a
# backlog (a bulk import) is worked off over several.
REFRESH_CAP = 200_000
# Rows one user-stage run applies at most: several day runs' worth, so that a listener's
# rows meet in one run, and a run still ends well inside its task's time limit.
USER_REFRESH_CAP = 1_000_000
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


def fill_state_get_or_create(name: str = FILL_STATE) -> FillState:
    try:
        with transaction.atomic():
            state, _ = FillState.objects.get_or_create(name=name)
    except IntegrityError:  # another run created it first
        state = FillState.objects.get(name=name)
    return state


def fill_state_lock(*, wait: bool, name: str = FILL_STATE) -> FillState | None:
    """The FillState row `name`, locked until the current transaction ends; None if another
    transaction holds it and `wait` is false. Every writer of a stage's rollup tables holds
    its row: "rollups" for SongDay, UserMonth and the user stage's pending rows, "user-rollups"
    for SongTotal, UserSong, UserArtist and UserGenre; a writer of both takes them in that order. (On
    SQLite, where there is no row lock, a writing transaction holds the whole database.)"""
    fill_state_get_or_create(name)
    rows = FillState.objects.filter(name=name)
    return (rows.select_for_update() if wait else rows.select_for_update(skip_locked=True)).first()


def use_sql() -> bool:
    """Whether pending rows are applied by rollups_postgres's statements."""
    return connection.vendor == "postgresql"


def pending_apply(*, cap: int | None, before: dt.date | None = None) -> int:
    """Moves up to `cap` pending rows (all if None; of days before `before` only, if given)
    into the day rollups and on to the user stage, and recounts the month markers an
    exclusion's rows touched; returns how many. Precondition: inside a transaction holding
    the "rollups" lock."""
    if use_sql():
        applied = pending_apply_postgres(cap=cap, before=before)
        user_months_recount((user_id, month_start(day)) for user_id, day in applied.taken_back)
        return applied.rows
    picked = pending_read(PendingRollup, cap=cap, before=before)
    kept = of_existing([row for _, row in picked], user_at=1, song_at=2)
    rollups_add(kept)
    pending_delete(PendingRollup, [pending_id for pending_id, _ in picked])
    user_months_recount((user_id, month_start(day)) for day, user_id, _, _, count, *_ in kept if count < 0)
    return len(picked)


def user_pending_apply(*, cap: int | None) -> int:
    """Moves up to `cap` rows of the user stage (all if None) into the per-user all-time
    rollups, and recounts the song markers an exclusion's rows touched; returns how many.
    Precondition: inside a transaction holding the "user-rollups" lock."""
    if use_sql():
        applied = user_pending_apply_postgres(cap=cap)
        user_songs_recount(applied.taken_back)
        return applied.rows
    picked = pending_read(PendingUserRollup, cap=cap)
    kept = of_existing([row for _, row in picked], user_at=0, song_at=1)
    user_rollups_add(kept)
    pending_delete(PendingUserRollup, [pending_id for pending_id, _ in picked])
    user_songs_recount((user_id, song_id) for user_id, song_id, _, count, _ in kept if count < 0)
    return len(picked)


def fill_state_record(state: FillState, *, applied: int) -> None:
    state.last_run_at = timezone.now()
    state.last_applied = applied
    state.total_applied = F("total_applied") + applied
    state.save(update_fields=["last_run_at", "last_applied", "total_applied"])


@dataclass(frozen=True)
class _Stage:
    state: str
    pending: type[PendingRollup] | type[PendingUserRollup]
    apply: Callable[..., int]


_DAYS = _Stage(FILL_STATE, PendingRollup, pending_apply)
_USERS = _Stage(USER_FILL_STATE, PendingUserRollup, user_pending_apply)


def _refresh(stage: _Stage, *, cap: int) -> Refreshed:
    with transaction.atomic():
        state = fill_state_lock(wait=False, name=stage.state)
        if state is None:
            return Refreshed(applied=0, more=False, skipped=True)
        applied = stage.apply(cap=cap)
        more = applied >= cap and stage.pending.objects.exists()
        fill_state_record(state, applied=applied)
    return Refreshed(applied=applied, more=more)


def days_refresh(*, cap: int = REFRESH_CAP) -> Refreshed:
    """The day stage: adds up to `cap` pending rows into SongDay and UserMonth and moves them on
    to the user stage, in one transaction. A run that finds another one under way returns at
    once (`skipped`): that one does the work."""
    return _refresh(_DAYS, cap=cap)


def user_rollups_refresh(*, cap: int = USER_REFRESH_CAP) -> Refreshed:
    """The user stage: adds up to `cap` of its rows into SongTotal, UserSong, UserArtist and UserGenre,
    in one transaction; skipped as `days_refresh` is."""
    return _refresh(_USERS, cap=cap)


def rollups_refresh(*, cap: int = REFRESH_CAP) -> Refreshed:
    """Both stages, one after the other: every rollup counts what was pending (up to the
    caps). Returns the day stage's outcome."""
    refreshed = days_refresh(cap=cap)
    user_rollups_refresh()
    return refreshed


def _catch_up(refresh: Callable[[], Refreshed], budget_seconds: float) -> int:
    started = time.monotonic()
    applied = 0
    while True:
        refreshed = refresh()
        applied += refreshed.applied
        if not refreshed.more or time.monotonic() - started > budget_seconds:
            return applied


def rollups_catch_up(
    *, budget_seconds: float = CATCH_UP_SECONDS, snapshots: bool = True, users: bool = True
) -> int:
    """Runs the day stage until nothing is pending (or `budget_seconds` have passed), then, if
    `users`, the user stage likewise, then, if anything was applied and `snapshots`,
    recomputes the cached trends and summary; returns the day rows applied. Beat's job passes
    `users=False` and `snapshots=False`: `user_rollups_catch_up` and `snapshots_catch_up` run
    on periods of their own."""
    applied = _catch_up(days_refresh, budget_seconds)
    if users:
        user_rollups_catch_up(budget_seconds=budget_seconds)
    if applied and snapshots:
        snapshots_refresh()
    return applied


def user_rollups_catch_up(*, budget_seconds: float = CATCH_UP_SECONDS) -> int:
    """Runs the user stage until nothing is left (or `budget_seconds` have passed); returns
    the rows applied."""
    return _catch_up(user_rollups_refresh, budget_seconds)


def snapshots_catch_up() -> bool:
    """Recomputes the cached trends and summary if the rollups took rows since they were last
    computed, or once half of their lifetime has passed (so that readers do not find them
    expired, and a new day moves the windows); returns whether it did. Recomputing reads the
    day, week and month windows' day rows (bench/README.md, "Analytics": most of the rollup
    job's period at 10M events), which is why it has a period of its own,
    ANALYTICS_TRENDS_SECONDS."""
    applied = FillState.objects.filter(name=FILL_STATE).values_list("total_applied", flat=True).first()
    if applied is not None and cache.get(SNAPSHOTS_OF_KEY) == applied:
        return False
    snapshots_refresh()
    cache.set(SNAPSHOTS_OF_KEY, applied, settings.ANALYTICS_SNAPSHOT_SECONDS // 2)
    return True


def snapshots_stale() -> None:
    """The rollups changed outside a refresh (an account's counts taken out at its deletion):
    beat's snapshot job, which recomputes only once refreshes applied rows, recomputes at its
    next run; the embedded default, which has no beat, recomputes at once."""
    if settings.REDIS_URL:
        cache.delete(SNAPSHOTS_OF_KEY)
    else:
        snapshots_refresh()


def rollups_catch_up_in_process() -> None:
    """The embedded default has no beat: ingest calls this once its batch is committed.
    With Redis, beat's periodic task does the work and this does nothing."""
    if not settings.REDIS_URL:
        rollups_catch_up()
