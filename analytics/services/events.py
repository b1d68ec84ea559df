"""The records a batch of events passes through on its way in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analytics.models import Action


@dataclass(frozen=True, slots=True)
class EventIn:
    """One validated event. `song_id` must name an existing song (callers resolve names)."""

    song_id: int
    action: Action
    occurred_at: dt.datetime
    event_id: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    # The song's duration, when the caller has it at hand (it counts a play's listening
    # time); looked up otherwise.
    duration_ms: int | None = None
    # Kept out of the user's taste: stored, never counted (Activity.excluded).
    excluded: bool = False


@dataclass(frozen=True, slots=True)
class Recorded:
    stored: int
    duplicates: int


@dataclass(slots=True)
class PendingCount:
    """A batch's count for one (day, song, action): a PendingRollup row to be."""

    day: dt.date
    song_id: int
    action: Action
    last_at: dt.datetime
    count: int = 0
    listen_ms: int = 0


def first_of_each_key(events: Sequence[EventIn], *, claimed: set[str]) -> list[EventIn]:
    """The events without a key, and the first event of each key in `claimed`."""
    fresh = []
    claimed = set(claimed)
    for event in events:
        if event.event_id is not None:
            if event.event_id not in claimed:
                continue
            claimed.discard(event.event_id)
        fresh.append(event)
    return fresh
