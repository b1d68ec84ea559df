"""PostgreSQL's way of writing a batch: COPY instead of INSERTs built by the ORM.

Kept because it makes the API's batch ingest several times cheaper (bench/README.md,
"Analytics", ingest paths); the portable path in ingest.py writes the same rows.
Precondition: inside the batch's transaction, with the months' partitions created.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec
from django.db import connection
from psycopg.types.json import Jsonb

from analytics.services.events import EventIn, PendingCount, first_of_each_key


def claim_keys_postgres(*, user_id: int, events: Sequence[EventIn]) -> list[EventIn]:
    """Store the keys of `events` not stored yet, in one statement that also says which
    were new; returns the events to store. A concurrent claim of the same key waits for
    the other transaction and then finds it stored: no retry needed. Keys are inserted in
    their sorted order, whatever the batch's: two claims holding some of each other's keys
    and waiting for the rest would deadlock (a client retrying a batch in another order)."""
    keyed = [e for e in events if e.event_id is not None]
    if not keyed:
        return list(events)
    with connection.cursor() as cursor:
        # The keys travel as one JSON document: one parameter to quote, not two arrays of
        # 500 that the client adapts value by value.
        cursor.execute(
            "INSERT INTO analytics_activitykey (user_id, event_id, occurred_at) "
            "SELECT %s, key, at FROM json_to_recordset(%s::json) AS batch (key varchar, at timestamptz) "
            "ORDER BY key ON CONFLICT (user_id, event_id) DO NOTHING RETURNING event_id",
            [
                user_id,
                msgspec.json.encode([{"key": e.event_id, "at": e.occurred_at} for e in keyed]).decode(),
            ],
        )
        claimed = {row[0] for row in cursor.fetchall()}
    return first_of_each_key(events, claimed=claimed)


def write_postgres(
    *, user_id: int, events: Sequence[EventIn], pending: Sequence[PendingCount], received_at: dt.datetime
) -> None:
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        with cursor.copy(
            "COPY analytics_activity (user_id, song_id, action, occurred_at, received_at, context, event_id, "
            "excluded, duration_ms) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(
                ["int8", "int8", "int2", "timestamptz", "timestamptz", "jsonb", "varchar", "bool", "int4"]
            )
            for e in events:
                copy.write_row(
                    (
                        user_id,
                        e.song_id,
                        int(e.action),
                        e.occurred_at,
                        received_at,
                        Jsonb(e.context),
                        e.event_id,
                        e.excluded,
                        e.duration_ms,
                    )
                )
        with cursor.copy(
            "COPY analytics_pendingrollup (day, user_id, song_id, action, count, listen_ms, last_at) "
            "FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["date", "int8", "int8", "int2", "int4", "int8", "timestamptz"])
            for p in pending:
                copy.write_row((p.day, user_id, p.song_id, int(p.action), p.count, p.listen_ms, p.last_at))
