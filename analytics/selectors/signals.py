"""What each user's activity says about each song, for the recommendation model.

Counts come from the all-time rollup (`UserSong`) plus the counts not yet rolled up into it
(`PendingRollup`, `PendingUserRollup`), read in one statement (UNION ALL): each stage of the
rollup job moves rows from one of these tables to the next in one transaction, so a single
snapshot counts every committed event exactly once, whichever stages have run; and it never
scans the raw events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from django.db.models import Case, F, IntegerField, QuerySet, Value, When

from analytics.models import Action, Activity, PendingRollup, PendingUserRollup, UserSong
from analytics.scoring import ACTION_WEIGHTS, COUNT_FIELDS
from music_discovery.arrays import numeric_array


@dataclass(frozen=True)
class SongSignals:
    """One entry per (user, song) with any event: the weighted score of its counts
    (analytics.scoring's weights: share 4, like 3, play 1, skip -2) and its skip count."""

    user_ids: npt.NDArray[np.int64]
    song_ids: npt.NDArray[np.int64]
    score: npt.NDArray[np.float64]
    skips: npt.NDArray[np.int64]


def _pending_counts(model: type[PendingRollup] | type[PendingUserRollup]) -> QuerySet:
    counters = {
        field: Case(
            When(action=Action[action.upper()], then=F("count")),
            default=Value(0),
            output_field=IntegerField(),
        )
        for action, field in COUNT_FIELDS.items()
    }
    return model.objects.order_by().annotate(**counters)


def user_song_signals(*, user_id: int | None = None) -> SongSignals:
    """Every user's signals (or `user_id`'s), summed per (user, song), ordered by user then
    song; pairs with no counted event left are not listed."""
    fields = ["user_id", "song_id", *COUNT_FIELDS.values()]
    parts = [UserSong.objects.order_by(), _pending_counts(PendingRollup), _pending_counts(PendingUserRollup)]
    if user_id is not None:
        parts = [part.filter(user_id=user_id) for part in parts]
    settled, *pending = (part.values_list(*fields) for part in parts)
    rows = settled.union(*pending, all=True)
    table = numeric_array(rows, len(fields), floats=False)
    pairs, where = np.unique(table[:, :2], axis=0, return_inverse=True)
    counts = np.zeros((len(pairs), len(COUNT_FIELDS)), np.int64)
    np.add.at(counts, where.ravel(), table[:, 2:])
    # A pair whose events were all kept out of the user's taste sums to nothing: it is no
    # signal, not even "heard".
    kept = counts.any(axis=1)
    pairs, counts = pairs[kept], counts[kept]
    weights = np.array([ACTION_WEIGHTS[action] for action in COUNT_FIELDS], np.float64)
    skips = counts[:, list(COUNT_FIELDS).index("skip")]
    return SongSignals(user_ids=pairs[:, 0], song_ids=pairs[:, 1], score=counts @ weights, skips=skips)


def songs_heard_since(*, user_id: int, since: dt.datetime) -> set[int]:
    """The songs `user_id` played, liked, shared or skipped at or after `since`, events kept
    out of their taste left out. Read from the user's events of the window (their
    `(user, occurred_at)` index): a rollup's latest time cannot tell counted events from
    excluded ones."""
    return set(
        Activity.objects.filter(user_id=user_id, occurred_at__gte=since, excluded=False)
        .values_list("song_id", flat=True)
        .distinct()
    )
