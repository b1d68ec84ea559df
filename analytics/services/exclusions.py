"""Keeping events out of a listener's taste, and letting them back in.

An excluded event stays in the user's history and export; nothing counts it. Ingest writes
no pending counts for an event stored as excluded. Excluding events already stored writes
their counts negated as pending rows (including them back, positive ones) in the same
transaction that flips the flag, so the rollup job takes them out of, or puts them back into,
every rollup (trends, statistics, the recommendation signals) exactly once, as it adds new
events, and recounts the active days and latest times those rows touch
(`rollups_markers`); a rebuild counts the flag directly. Only events whose flag changes are counted, so
asking twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from analytics.models import Action, Activity
from analytics.services.events import EventIn
from analytics.services.ingest import pending_counts, pending_store, with_durations
from analytics.services.rollups import rollups_catch_up_in_process
from music_discovery.signals import signals_changed

# Events flipped per statement: a bounded list of ids whichever database.
CHUNK = 500


@dataclass(frozen=True)
class Selection:
    """Which of a user's events: by id (as the export gives them), those of a time window
    [since, until), or those of one import. Exactly one of the three."""

    ids: Sequence[int] = ()
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    import_id: str | None = None

    def condition(self) -> Q:
        if self.ids:
            return Q(id__in=list(self.ids))
        if self.import_id is not None:
            return Q(context__import=self.import_id)
        return Q(occurred_at__gte=self.since, occurred_at__lt=self.until)


@dataclass(frozen=True)
class Excluded:
    # The user's events the selection names.
    matched: int
    # Of those, the ones whose flag this call changed.
    changed: int


def activity_exclude(*, user_id: int, selection: Selection, excluded: bool = True) -> Excluded:
    """Marks `user_id`'s events of `selection` as kept out of their taste (or, with
    `excluded=False`, counted again), and takes their counts out of (or back into) the
    rollups through pending rows."""
    with transaction.atomic():
        events = Activity.objects.filter(selection.condition(), user_id=user_id)
        matched = events.count()
        # Locked: a concurrent call flipping the same events waits, then finds them flipped.
        # In the order of their ids, as every such call takes them: two calls locking
        # overlapping events each in its own order deadlocked (one of them a 503).
        flipping = list(
            events.filter(excluded=not excluded)
            .order_by("id")
            .select_for_update()
            .values_list("id", "song_id", "action", "occurred_at", "duration_ms")
        )
        for start in range(0, len(flipping), CHUNK):
            ids = [row[0] for row in flipping[start : start + CHUNK]]
            Activity.objects.filter(user_id=user_id, id__in=ids).update(excluded=excluded)
        # Each play's listening time as it was counted (`Activity.duration_ms`; the song's now
        # for a play stored before events kept it).
        counted = with_durations(
            [
                EventIn(song_id=song_id, action=Action(action), occurred_at=at, duration_ms=duration)
                for _, song_id, action, at, duration in flipping
            ]
        )
        pending_store(user_id=user_id, pending=pending_counts(events=counted, sign=-1 if excluded else 1))
        if flipping:
            signals_changed(user_id=user_id)
            transaction.on_commit(rollups_catch_up_in_process, robust=True)
    return Excluded(matched=matched, changed=len(flipping))
