"""Recording listening events: stored in the database before anyone is told they are.

A batch is one user's, written in one transaction: the events, their client keys, and the
pending counts the rollup job will add (`PendingRollup`). Nothing goes through a queue first,
so a Redis outage loses nothing; the only thing sent after commit is "this user's signals
changed", and a receiver failing cannot undo the write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from analytics import partitions
from analytics.models import Action, Activity, ActivityKey, PendingRollup
from analytics.services.events import EventIn, PendingCount, Recorded, first_of_each_key
from analytics.services.ingest_postgres import claim_keys_postgres, write_postgres
from analytics.services.rollups import rollups_catch_up_in_process
from catalog.selectors.refs import song_refs
from music_discovery.signals import signals_changed
from users.services import account_hold

# A concurrent retry of the same batch can take a key between our check and our insert;
# the next attempt then sees it as a duplicate.
KEY_RACE_ATTEMPTS = 3


def activity_record(*, user_id: int, events: Sequence[EventIn]) -> Recorded:
    """Store `user_id`'s `events`, each `event_id` at most once per user (a repeat, in this
    batch or an earlier one, is counted as a duplicate and not stored)."""
    partitions.ensure_for(event.occurred_at for event in events)
    events = with_durations(events)
    for attempt in range(KEY_RACE_ATTEMPTS):
        try:
            with transaction.atomic():
                recorded = _record(user_id=user_id, events=events, received_at=timezone.now())
            break
        except IntegrityError:
            if attempt == KEY_RACE_ATTEMPTS - 1:
                raise
    if recorded.stored:
        signals_changed(user_id=user_id)
        # The embedded default has no beat: the rollups catch up after each committed batch.
        transaction.on_commit(rollups_catch_up_in_process, robust=True)
    return recorded


def _record(*, user_id: int, events: Sequence[EventIn], received_at: dt.datetime) -> Recorded:
    # Events reference their user without a foreign key: the account's row is held as a
    # key's check would, so that a deletion running meanwhile takes these events with it, or
    # has deleted the account and they are refused.
    account_hold(user_id=user_id)
    if connection.vendor == "postgresql":
        fresh = claim_keys_postgres(user_id=user_id, events=events)
        write_postgres(user_id=user_id, events=fresh, pending=_pending(events=fresh), received_at=received_at)
    else:
        fresh = _claim_keys_orm(user_id=user_id, events=events)
        _write_orm(user_id=user_id, events=fresh, pending=_pending(events=fresh), received_at=received_at)
    return Recorded(stored=len(fresh), duplicates=len(events) - len(fresh))


def _write_orm(
    *, user_id: int, events: Sequence[EventIn], pending: Sequence[PendingCount], received_at: dt.datetime
) -> None:
    Activity.objects.bulk_create(
        Activity(
            user_id=user_id,
            song_id=e.song_id,
            action=e.action,
            occurred_at=e.occurred_at,
            received_at=received_at,
            context=dict(e.context),
            event_id=e.event_id,
            excluded=e.excluded,
            duration_ms=e.duration_ms,
        )
        for e in events
    )
    pending_store(user_id=user_id, pending=pending)


def pending_store(*, user_id: int, pending: Sequence[PendingCount]) -> None:
    """Writes `user_id`'s pending counts for the rollup job (portably: ingest's PostgreSQL
    path COPYs them with its events)."""
    PendingRollup.objects.bulk_create(
        PendingRollup(
            day=p.day,
            user_id=user_id,
            song_id=p.song_id,
            action=p.action,
            count=p.count,
            listen_ms=p.listen_ms,
            last_at=p.last_at,
        )
        for p in pending
    )


def _claim_keys_orm(*, user_id: int, events: Sequence[EventIn]) -> list[EventIn]:
    """Store the keys of `events` not stored yet; returns the events to store (those without
    a key, and the first event of each new key). A concurrent claim of the same key makes
    the insert fail with IntegrityError, which activity_record retries."""
    keys = {e.event_id for e in events if e.event_id is not None}
    stored = set(
        ActivityKey.objects.filter(user_id=user_id, event_id__in=keys).values_list("event_id", flat=True)
        if keys
        else ()
    )
    fresh = first_of_each_key(events, claimed=keys - stored)
    ActivityKey.objects.bulk_create(
        ActivityKey(user_id=user_id, event_id=e.event_id, occurred_at=e.occurred_at)
        for e in fresh
        if e.event_id is not None
    )
    return fresh


def _pending(*, events: Sequence[EventIn]) -> list[PendingCount]:
    """One pending row per (day, song, action) of the batch's counted events (not those
    kept out of the user's taste). Listening time is the played song's duration: what a play
    is worth when clients do not say how long they listened."""
    return pending_counts(events=[e for e in events if not e.excluded])


def with_durations(events: Sequence[EventIn]) -> list[EventIn]:
    """`events` with each play's listening time (`duration_ms`): the one given (stored with
    the event, or the song's as the caller read it), else the song's duration now; None for
    the other actions. What a play counts, stored with it (`Activity.duration_ms`)."""
    unknown = {e.song_id for e in events if e.duration_ms is None and e.action == Action.PLAY}
    durations = {ref.id: ref.duration_ms for ref in song_refs(ids=unknown)} if unknown else {}

    def counted(e: EventIn) -> int | None:
        if e.action != Action.PLAY:
            return None
        return e.duration_ms if e.duration_ms is not None else durations.get(e.song_id) or 0

    return [replace(e, duration_ms=counted(e)) for e in events]


def pending_counts(*, events: Sequence[EventIn], sign: int = 1) -> list[PendingCount]:
    """The (day, song, action) counts of `events`, each counted `sign` times: 1 to add them
    to the rollups, -1 to take back events already counted. Precondition: each play carries
    its listening time (`with_durations`)."""
    rows: dict[tuple[dt.date, int, int], PendingCount] = {}
    for e in events:
        day = e.occurred_at.astimezone(dt.UTC).date()
        row = rows.get((day, e.song_id, e.action))
        if row is None:
            row = rows[(day, e.song_id, e.action)] = PendingCount(day, e.song_id, e.action, e.occurred_at)
        row.count += sign
        row.last_at = max(row.last_at, e.occurred_at)
        if e.action == Action.PLAY:
            row.listen_ms += sign * (e.duration_ms or 0)
    return list(rows.values())
