"""An account's deletion: its events' counts taken out of the per-song rollups, in the
deletion's transaction (`music_discovery.signals.user_deleting`, sent by
`users.services.user_delete` before the account's rows cascade away).

The cascade removes the account's events, its pending rows of both stages and its per-user
rollups (UserMonth, UserSong, UserArtist, UserGenre). SongDay and SongTotal hold everyone's
counts: left alone they kept the account's, so trends and the dashboard showed them until a
rebuild recounted the remaining events, and the figures depended on whether one had run.

Why not an exclusion of all the account's events (`activity_exclude`): it takes counts out
through negative pending rows that the rollup job applies later, and those rows carry the
account's id, so the cascade deletes them, and the job would drop them anyway as rows of an
account that no longer exists (`rollups_merge.of_existing`). So the counts come out here, under
both stages' locks, as the job would have applied them.

What the per-song rollups hold of the account, per (day, song, action): its counted events
(`rollups_markers.counted_events`, what a rebuild counts) less its rows still waiting for the
day stage, which the cascade deletes uncounted; SongTotal holds that less its rows waiting
for the user stage as well. Events and day-stage rows are read in one statement, so in one
snapshot: a batch or an exclusion of the account committing meanwhile adds as much to both
(or nothing), and the difference stands. No stage runs meanwhile (the locks), so no row
moves from one stage to the next between the reads. Days whose events retention has dropped
keep their counts, as they keep everyone's: a rebuild does not recount them either.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, F, IntegerField, QuerySet, Sum, Value
from django.db.models.functions import TruncDate

from analytics.models import PendingRollup, PendingUserRollup
from analytics.services.rollups import USER_FILL_STATE, fill_state_lock, snapshots_stale
from analytics.services.rollups_markers import counted_events
from analytics.services.rollups_merge import COUNTERS, FIELD_OF, SONG_DAY, SONG_TOTAL, Totals, merge
from catalog.selectors.songs import song_list


@dataclass(frozen=True)
class Forgotten:
    # The account's counted events.
    events: int
    # Per-song rollup rows whose counts changed.
    song_days: int
    song_totals: int


def activity_forget(*, user_id: int) -> Forgotten:
    """Takes `user_id`'s counts out of SongDay and SongTotal, inside the caller's
    transaction, which goes on to delete the account (and with it, through the cascade, its
    events, pending rows and per-user rollups). Its cost is the account's: one grouped read
    of its events and pending rows, and a write per (day, song) it has counts on.

    Precondition: called by the `user_deleting` signal, which refuses to be sent outside a
    transaction (`music_discovery.signals.account_deleting`): committed on its own, the
    subtraction would stand whether or not the account goes."""
    with transaction.atomic():
        # In the order every writer of both stages' tables takes them (`fill_state_lock`).
        fill_state_lock(wait=True)
        fill_state_lock(wait=True, name=USER_FILL_STATE)
        song_days: defaultdict[tuple, Totals] = defaultdict(Totals)
        song_totals: defaultdict[tuple, Totals] = defaultdict(Totals)
        events = 0
        for row in _held_by_day(user_id):
            held = row["events"] - row["pending"]
            events += row["events"]
            _take(song_days[(row["held_day"], row["song_id"])], FIELD_OF[row["action"]], held)
            _take(song_totals[(row["song_id"],)], FIELD_OF[row["action"]], held)
        waiting = (
            PendingUserRollup.objects.filter(user_id=user_id, song_id__in=song_list().values("id"))
            .values_list("song_id", "action")
            .annotate(waiting=Sum("count"))
            .order_by()
        )
        for song_id, action, count in waiting:
            # In SongDay already, not yet in SongTotal.
            _take(song_totals[(song_id,)], FIELD_OF[action], -count)
        changed_days, changed_totals = _changed(song_days), _changed(song_totals)
        merge(SONG_DAY, changed_days)
        merge(SONG_TOTAL, changed_totals)
        if changed_days or changed_totals:
            # No refresh applied rows, so beat's snapshot job would not know to recompute.
            transaction.on_commit(snapshots_stale, robust=True)
    return Forgotten(events=events, song_days=len(changed_days), song_totals=len(changed_totals))


def _held_by_day(user_id: int) -> list[dict[str, Any]]:
    """Per (song, action, day), the account's counted events and the counts of its rows
    waiting for the day stage, of existing songs, in one statement."""
    events = (
        counted_events()
        .filter(user_id=user_id)
        .annotate(held_day=TruncDate("occurred_at", tzinfo=dt.UTC))
        .values("song_id", "action", "held_day")
        .annotate(events=Count("id"), pending=Value(0, output_field=IntegerField()))
        .order_by()
    )
    pending = (
        PendingRollup.objects.filter(user_id=user_id, song_id__in=song_list().values("id"))
        .annotate(held_day=F("day"))
        .values("song_id", "action", "held_day")
        .annotate(events=Value(0, output_field=IntegerField()), pending=Sum("count"))
        .order_by()
    )
    # Typed loosely: the stubs cannot follow the annotated columns through the union.
    rows: QuerySet[Any, Any] = events.union(pending, all=True)
    return list(rows)


def _take(totals: Totals, field: str, count: int) -> None:
    setattr(totals, field, getattr(totals, field) - count)


def _changed(totals: dict[tuple, Totals]) -> dict[tuple, Totals]:
    return {key: total for key, total in totals.items() if any(getattr(total, f) for f in COUNTERS)}
