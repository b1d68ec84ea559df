"""PostgreSQL's way of writing a batch: COPY instead of INSERTs built by the ORM.

Kept because it makes the API's batch ingest several times cheaper (bench/README.md,
"Analytics", ingest paths); the portable path in ingest.py writes the same rows.
Precondition: inside the batch's transaction, with the months' partitions created.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import connection
from psycopg.types.json import Jsonb

if TYPE_CHECKING:
    from analytics.services.ingest import EventIn, PendingCount


def write_postgres(
    *, user_id: int, events: Sequence[EventIn], pending: Sequence[PendingCount], received_at: dt.datetime
) -> None:
    # Django's error wrapper turns a unique violation on the keys (a concurrent retry) into
    # the IntegrityError the caller retries on.
    with connection.wrap_database_errors, connection.cursor() as wrapper:
        cursor = wrapper.cursor
        keyed = [e for e in events if e.event_id is not None]
        if keyed:
            with cursor.copy(
                "COPY analytics_activitykey (user_id, event_id, occurred_at) FROM STDIN"
            ) as copy:
                for e in keyed:
                    copy.write_row((user_id, e.event_id, e.occurred_at))
        with cursor.copy(
            "COPY analytics_activity (user_id, song_id, action, occurred_at, received_at, context, event_id) "
            "FROM STDIN"
        ) as copy:
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
                    )
                )
        with cursor.copy(
            "COPY analytics_pendingrollup (day, user_id, song_id, action, count, listen_ms, last_at) "
            "FROM STDIN"
        ) as copy:
            for p in pending:
                copy.write_row((p.day, user_id, p.song_id, int(p.action), p.count, p.listen_ms, p.last_at))
