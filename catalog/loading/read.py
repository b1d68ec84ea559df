"""Read and validate a song file without touching the database.

Three formats, told apart by the file's first character (or named with `--format`):

* JSON, columnar, as pandas' `DataFrame.to_json()` writes it:
  `{"id": {"0": "...", "1": "..."}, "title": {...}, "danceability": {...}, ...}`;
* JSON, a list of row objects: `[{"id": "...", "title": "...", ...}, ...]`;
* CSV with a header row, as the Spotify tracks dataset writes it (`catalog.loading.csvfile`).

Each format is decoded into a `RawTable` (one list of values per column, with row labels
for messages); one validation (`catalog.loading.validation`) then checks every value of
every known column against `catalog.loading.columns` (for CSV, then merges the valid rows
that repeat a track id) and returns a complete, typed `SongColumns`, or raises a
`SongFileError` listing the problems. With `skip_invalid`, rows with a problem are left out
and reported instead, while problems of the file as a whole still refuse it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from catalog.loading import csvfile, jsonfile
from catalog.loading.songfile import SongColumns, SongFile
from catalog.loading.validation import validate

Format = Literal["json", "csv"]


def read_song_file(path: str | Path, *, format: Format | None = None, skip_invalid: bool = False) -> SongFile:
    """Parse and validate the song file at `path`. Raises SongFileError, or OSError when
    the file cannot be read."""
    return parse_song_file(Path(path).read_bytes(), format=format, skip_invalid=skip_invalid)


def parse_song_file(data: bytes, *, format: Format | None = None, skip_invalid: bool = False) -> SongFile:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    format = format or detect_format(data)
    table = csvfile.decode(data) if format == "csv" else jsonfile.decode(data)
    return validate(table, skip_invalid=skip_invalid)


def parse_song_json(data: str | bytes) -> SongColumns:
    """Parse and validate a JSON song file's content."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return parse_song_file(data, format="json").songs


def songs_from_rows(rows: Iterable[Mapping[str, Any]]) -> SongColumns:
    """Validate rows already in memory (the row-list layout as Python objects)."""
    return validate(jsonfile.table_from_rows(list(rows))).songs


def detect_format(data: bytes) -> Format:
    """JSON when the file starts with `{` or `[`; otherwise CSV when its first line has a
    comma (a header naming columns), JSON when not (which then says what it found)."""
    start = data.lstrip()
    if start[:1] in (b"{", b"[") or b"," not in start.split(b"\n", 1)[0]:
        return "json"
    return "csv"
