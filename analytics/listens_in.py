"""Reading a ListenBrainz listens export: a JSON array of listens, or JSON lines (one listen
a line, blank lines ignored). Each listen needs `listened_at` (unix seconds) and
`track_metadata.artist_name` and `.track_name`; any other field (`recording_msid`,
`track_metadata.additional_info`, `release_name`, ...) is allowed and ignored.

The whole file is checked before anything is stored: the first bad listen is a ListensError
naming its position (and its line, for JSON lines) and field. A byte order mark at the start,
which some editors write, is skipped.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from django.utils import timezone

from analytics.services.listens import Listen
from analytics.storable import text_problem
from music_discovery.parsers import MAX_JSON_DEPTH, json_depth_exceeds

# ListenBrainz refuses listens before this (Last.fm's start, 2002-10-01); it also bounds how
# many monthly partitions one file can make the import create.
EARLIEST = 1033430400
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class TrackMetadata(msgspec.Struct):
    artist_name: Name
    track_name: Name


class ListenPayload(msgspec.Struct):
    listened_at: int
    track_metadata: TrackMetadata
    # Kept (in the event's context) only when it is what ListenBrainz writes there, a UUID.
    recording_msid: Any = None


@dataclass(frozen=True)
class ListensError(Exception):
    """What is wrong with a file: the bad listen's position (0-based) and line (1-based, JSON
    lines only) when one is to blame, its field, and why."""

    message: str
    index: int | None = None
    line: int | None = None
    field: str | None = None

    def as_json(self) -> dict[str, Any]:
        where = []
        if self.line is not None:
            where.append(f"Line {self.line}")
        elif self.index is not None:
            where.append(f"Listen {self.index}")
        if self.field:
            where.append(self.field)
        body: dict[str, Any] = {"detail": ": ".join([*where, self.message]), "field": self.field}
        if self.index is not None:
            body["index"] = self.index
        if self.line is not None:
            body["line"] = self.line
        return body


_PATH = re.compile(r" - at `\$(?:\[\d+\])?\.?([\w.]*)`$")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_MISSING = re.compile(r"missing required field `(\w+)`")


def _field(text: str) -> tuple[str, str | None]:
    """msgspec's message without its path, and the field it names (a dotted path)."""
    match = _PATH.search(text)
    message = text[: match.start()] if match else text
    path = match.group(1) if match else ""
    missing = _MISSING.search(message)
    if missing:
        path = f"{path}.{missing.group(1)}" if path else missing.group(1)
    return message, path or None


def _listen(item: Any, *, index: int, line: int | None, now: dt.datetime, utf8: bool) -> Listen:
    # The API's bound on nesting (a listen is a few levels deep; the file's array is one more).
    if json_depth_exceeds(item, MAX_JSON_DEPTH - 1):
        raise ListensError(f"Nested more than {MAX_JSON_DEPTH} levels deep.", index, line)
    try:
        payload = msgspec.convert(item, ListenPayload)
    except msgspec.ValidationError as error:
        message, field = _field(str(error))
        raise ListensError(message, index, line, field) from None
    if not EARLIEST <= payload.listened_at <= (now + FUTURE_TOLERANCE).timestamp():
        message = "Not a time ListenBrainz accepts (unix seconds, from 2002-10-01 to now)."
        raise ListensError(message, index, line, "listened_at")
    meta = payload.track_metadata
    # The names are hashed into the event's id and the artist's is looked up in the catalog.
    for field, name in (("artist_name", meta.artist_name), ("track_name", meta.track_name)):
        if (problem := text_problem(name)) is not None:
            raise ListensError(problem, index, line, f"track_metadata.{field}")
    if not utf8:
        _check_utf8(item, index=index, line=line)
    msid = payload.recording_msid
    return Listen(
        payload.listened_at,
        meta.artist_name,
        meta.track_name,
        msid if isinstance(msid, str) and _UUID.fullmatch(msid) else None,
    )


def parse_listens(raw: bytes, *, now: dt.datetime | None = None) -> list[Listen]:
    """The listens of a file, all valid, or ListensError for the first problem."""
    now = now or timezone.now()
    raw = raw.removeprefix(codecs.BOM_UTF8)
    text = raw.lstrip()
    if text.startswith(b"["):
        items, utf8 = _decode(text, index=None, line=None)
        listens = [_listen(item, index=i, line=None, now=now, utf8=utf8) for i, item in enumerate(items)]
    else:
        listens = _lines(raw, now=now)
    if not listens:
        raise ListensError("The file is empty: send a ListenBrainz listens export.")
    return listens


def _lines(raw: bytes, *, now: dt.datetime) -> list[Listen]:
    listens: list[Listen] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        item, utf8 = _decode(line, index=len(listens), line=number)
        listens.append(_listen(item, index=len(listens), line=number, now=now, utf8=utf8))
    return listens


def _decode(data: bytes, *, index: int | None, line: int | None) -> tuple[Any, bool]:
    """`data` decoded, and whether it was UTF-8. msgspec refuses bytes that are not UTF-8,
    and an escaped lone surrogate (`"\\ud800"`, valid JSON but no text), without saying
    where they are: Python's decoder then reads them as lone surrogates (surrogateescape),
    which the checks of each listen find, naming the listen and field."""
    try:
        return msgspec.json.decode(data), True
    except UnicodeDecodeError:
        pass
    except (msgspec.DecodeError, RecursionError) as error:
        if b"\\u" not in data:
            raise ListensError(f"Not JSON: {error}", index, line) from None
    try:
        return json.loads(data.decode("utf-8", "surrogateescape")), False
    except (ValueError, RecursionError) as error:
        raise ListensError(f"Not JSON: {error}", index, line) from None


def _check_utf8(item: Any, *, index: int, line: int | None) -> None:
    """For a listen decoded from bytes that are not all UTF-8, whose names passed their check:
    such bytes in a field the import ignores still make it a bad file."""
    try:
        json.dumps(item, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise ListensError(
            "Holds text that is not UTF-8 (an invalid byte, or an escaped lone surrogate: \\ud800).",
            index,
            line,
        ) from None
