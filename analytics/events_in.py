"""The shape of an event a client posts, and its validation: the whole batch or nothing.

Validated by msgspec rather than a DRF serializer: a batch is up to 500 events, and a
per-field serializer costs more than storing them (bench/README.md, "Analytics"). The
OpenAPI schema is generated from the same definition (`EVENT_SCHEMA`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from django.conf import settings
from django.utils import timezone

from analytics.models import ACTION_BY_NAME, ACTION_NAMES
from analytics.services import EventIn
from analytics.services.retention import retention_cutoff
from analytics.storable import json_problem, text_problem
from catalog.selectors.refs import SongRef, song_refs

MAX_BATCH = 500
# Ids are PostgreSQL bigints.
MAX_ID = 2**63 - 1
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
MAX_AGE = dt.timedelta(days=30)

Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID, description="Id of the song.")]
SpotifyId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="Spotify id of the song.")]
EventKey = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        description="The client's id for the event, unique per user: an event whose id is already "
        "stored for the caller is counted as a duplicate and not stored again.",
    ),
]
Moment = Annotated[
    dt.datetime,
    msgspec.Meta(
        tz=True,
        description="When it happened (RFC 3339 with a timezone); at most 5 minutes ahead, at most "
        "30 days ago. Default: when it is received.",
    ),
]


class EventPayload(msgspec.Struct, forbid_unknown_fields=True):
    """One listening event. Name the song by `song` or by `spotify_id`, not both."""

    action: Literal["play", "like", "skip", "share"]
    song: Id | None = None
    spotify_id: SpotifyId | None = None
    occurred_at: Moment | None = None
    event_id: EventKey | None = None
    context: Annotated[
        dict[str, Any],
        msgspec.Meta(
            description="Free-form client context (bounded size), stored as JSON: its strings "
            "hold no NUL character or unpaired surrogate, its numbers are finite. A number keeps "
            "its value, not its spelling: on PostgreSQL (jsonb) `1e20` comes back as "
            "`100000000000000000000`."
        ),
    ] = {}
    excluded: Annotated[
        bool,
        msgspec.Meta(
            description="Keep this event out of the listener's taste (a party, a child, a shared "
            "account): stored and exported, but no statistic, trend or recommendation uses it."
        ),
    ] = False


def _openapi_30(schema: dict[str, Any]) -> dict[str, Any]:
    """msgspec writes JSON Schema (`anyOf: [T, {type: null}]`); OpenAPI 3.0 says `nullable`."""
    properties = {}
    for name, prop in schema["properties"].items():
        options = [o for o in prop.get("anyOf", []) if o != {"type": "null"}]
        if len(options) == 1 and len(prop["anyOf"]) == 2:
            prop = {**options[0], "nullable": True, **{k: v for k, v in prop.items() if k != "anyOf"}}
        properties[name] = prop
    return {**schema, "properties": properties}


def _openapi_schema() -> dict[str, Any]:
    event = _openapi_30(msgspec.json.schema(EventPayload)["$defs"]["EventPayload"])
    return {
        "oneOf": [
            event,
            {"type": "array", "items": event, "minItems": 1, "maxItems": MAX_BATCH},
        ]
    }


EVENT_SCHEMA = _openapi_schema()


@dataclass(frozen=True)
class BatchError(Exception):
    """What is wrong with a batch: the first bad event's index (None for a single event)
    and field, and why."""

    index: int | None
    field: str | None
    message: str

    def as_json(self) -> dict[str, Any]:
        where = f"Event {self.index}" if self.index is not None else "Event"
        detail = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        body: dict[str, Any] = {"detail": detail, "field": self.field}
        if self.index is not None:
            body["index"] = self.index
        return body


_PATH = re.compile(r" - at `\$(?:\[(\d+)\])?(?:\.(\w+))?`$")
# msgspec names a field in its message, not its path, when it is unknown or missing.
_NAMED = re.compile(r"(?:unknown|missing required) field `([^`]*)`")


def _from_msgspec(error: msgspec.ValidationError, *, single: bool) -> BatchError:
    text = str(error)
    match = _PATH.search(text)
    message = text[: match.start()] if match else text
    index = int(match.group(1)) if match and match.group(1) is not None else None
    field = match.group(2) if match else None
    if field == "action" and message.startswith("Invalid enum value"):
        message = f"{message}: must be one of {', '.join(ACTION_NAMES)}."
    named = _NAMED.search(message)
    if named and field is None:
        field = named.group(1)
    return BatchError(index=None if single else index, field=field, message=message)


def parse_batch(data: Any, *, now: dt.datetime | None = None) -> list[EventIn]:
    """The events of a request body (one event object or a list of 1..500), all valid and
    naming existing songs, or BatchError for the first that is not."""
    single = isinstance(data, dict)
    if not single and not isinstance(data, list):
        raise BatchError(None, None, "Expected one event (an object) or a list of events.")
    items = [data] if single else data
    if not items:
        raise BatchError(None, None, "The list is empty: send at least one event.")
    if len(items) > MAX_BATCH:
        raise BatchError(None, None, f"At most {MAX_BATCH} events a request; got {len(items)}.")
    for index, item in enumerate(items):
        _check_storable(item, index=None if single else index)
    try:
        payloads = msgspec.convert(items, list[EventPayload])
    except msgspec.ValidationError as error:
        raise _from_msgspec(error, single=single) from None
    now = now or timezone.now()
    context_limit = settings.ANALYTICS_CONTEXT_MAX_BYTES
    for index, payload in enumerate(payloads):
        _check(payload, index=None if single else index, now=now, context_limit=context_limit)
    songs = _resolve(payloads, single=single)
    return [
        EventIn(
            song_id=songs[i].id,
            duration_ms=songs[i].duration_ms,
            action=ACTION_BY_NAME[p.action],
            occurred_at=p.occurred_at or now,
            event_id=p.event_id,
            context=p.context,
            excluded=p.excluded,
        )
        for i, p in enumerate(payloads)
    ]


def _check_storable(item: Any, *, index: int | None) -> None:
    """BatchError for the first field of `item` that PostgreSQL cannot store (analytics.storable).
    Checked before msgspec sees the item: its messages quote what they refuse, and a lone
    surrogate quoted would fail the answer itself."""
    if not isinstance(item, dict) or json_problem(item) is None:
        return
    for name, value in item.items():
        if (problem := text_problem(name)) is not None:
            raise BatchError(index, None, f"A field's name: {problem}")
        if (problem := json_problem(value)) is not None:
            raise BatchError(index, name, problem)


def _check(payload: EventPayload, *, index: int | None, now: dt.datetime, context_limit: int) -> None:
    if (payload.song is None) == (payload.spotify_id is None):
        raise BatchError(index, "song", "Name the song by `song` (id) or `spotify_id`, exactly one of them.")
    if payload.occurred_at is not None:
        if payload.occurred_at > now + FUTURE_TOLERANCE:
            raise BatchError(index, "occurred_at", "In the future (more than 5 minutes ahead).")
        if payload.occurred_at < now - MAX_AGE:
            raise BatchError(index, "occurred_at", "Older than 30 days.")
        # Early in a month, 30 days ago may lie before the retention's first kept month: an
        # event there would be dropped with its key, and a retry of it stored again.
        cutoff = retention_cutoff(now=now)
        if cutoff is not None and payload.occurred_at < cutoff:
            raise BatchError(
                index, "occurred_at", "Before the first month kept (ANALYTICS_RETENTION_MONTHS)."
            )
    if payload.context and len(msgspec.json.encode(payload.context)) > context_limit:
        raise BatchError(index, "context", f"Larger than {context_limit} bytes as JSON.")


def _resolve(payloads: Sequence[EventPayload], *, single: bool) -> list[SongRef]:
    """Each event's song, in order; BatchError for the first that names no song."""
    refs = song_refs(
        ids={p.song for p in payloads if p.song is not None},
        spotify_ids={p.spotify_id for p in payloads if p.spotify_id is not None},
    )
    by_id: dict[int, SongRef] = {ref.id: ref for ref in refs}
    by_spotify: dict[str, SongRef] = {ref.spotify_id: ref for ref in refs}
    songs = []
    for index, p in enumerate(payloads):
        ref = by_id.get(p.song) if p.song is not None else by_spotify.get(p.spotify_id or "")
        if ref is None:
            field = "song" if p.song is not None else "spotify_id"
            raise BatchError(None if single else index, field, "No song with this id.")
        songs.append(ref)
    return songs
