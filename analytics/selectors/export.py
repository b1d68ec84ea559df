"""A user's events as JSON lines, for them to take away.

Read in keyset chunks over (occurred_at, id), oldest first, each chunk one short query on
the (user, occurred_at) index: never the whole history in memory, and no server-side cursor
held open across a streaming response (which a transaction-pooling proxy would break).
Events added while the export runs are included if they sort after the chunk being read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import msgspec
from django.db.models import Q

from analytics.models import Action, Activity
from catalog.selectors.refs import song_refs

CHUNK = 1000
# Written to each line as they are stored, under the same names.
AS_STORED = ("occurred_at", "received_at", "event_id", "context", "excluded")
# One line per event; the field names are those POST /api/analytics/activity/ accepts, plus
# the event's `id`, `received_at` (when the server stored it) and `excluded`.
FIELDS = ("id", "song", "spotify_id", "action", *AS_STORED)


def _chunks(user_id: int, size: int) -> Iterator[list[Any]]:
    after: tuple[dt.datetime, int] | None = None
    while True:
        events = Activity.objects.filter(user_id=user_id)
        if after is not None:
            # Bounded on the index by occurred_at >= ...; ties on the time go by id.
            at, last_id = after
            events = events.filter(Q(occurred_at__gt=at) | Q(id__gt=last_id), occurred_at__gte=at)
        chunk = list(
            events.order_by("occurred_at", "id").values("id", "song_id", "action", *AS_STORED)[:size]
        )
        if chunk:
            yield chunk
        if len(chunk) < size:
            return
        after = (chunk[-1]["occurred_at"], chunk[-1]["id"])


def activity_export_lines(*, user_id: int, chunk: int = CHUNK) -> Iterator[bytes]:
    """`user_id`'s events as JSON lines (bytes, each ending in a newline), oldest first."""
    encoder = msgspec.json.Encoder()
    for events in _chunks(user_id, chunk):
        spotify = {ref.id: ref.spotify_id for ref in song_refs(ids={e["song_id"] for e in events})}
        lines = [
            encoder.encode(
                {
                    "id": e["id"],
                    "song": e["song_id"],
                    "spotify_id": spotify.get(e["song_id"]),
                    "action": Action(e["action"]).label,
                    **{field: e[field] for field in AS_STORED},
                }
            )
            for e in events
        ]
        yield b"\n".join(lines) + b"\n"


__all__ = ["activity_export_lines", "FIELDS"]
