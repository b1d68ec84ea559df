"""Read and validate a song file without touching the database.

Three formats, told apart by the file's first character and its name (or named with
`--format`):

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

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from catalog.loading import csvfile, jsonfile
from catalog.loading.problems import file_error
from catalog.loading.songfile import SongColumns, SongFile
from catalog.loading.validation import validate

Format = Literal["json", "csv"]


def read_song_file(path: str | Path, *, format: Format | None = None, skip_invalid: bool = False) -> SongFile:
    """Parse and validate the song file at `path`. Raises SongFileError, or OSError when
    the file cannot be read."""
    path = Path(path)
    return parse_song_file(path.read_bytes(), format=format, skip_invalid=skip_invalid, suffix=path.suffix)


def parse_song_file(
    data: bytes, *, format: Format | None = None, skip_invalid: bool = False, suffix: str = ""
) -> SongFile:
    """`suffix`: the file name's extension, which `detect_format` reads when `format` is
    not given."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    format = format or detect_format(data, suffix)
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


def detect_format(data: bytes, suffix: str = "") -> Format:
    """JSON when the file starts with `{` or `[`; otherwise CSV when its name ends in `.csv`
    or its first line has a comma (a header naming columns). Otherwise JSON if it is JSON of
    another shape (its decoder then says what it holds); else it is neither, and a
    SongFileError says so, naming both (a JSON syntax error alone would read as if the file
    were meant to be JSON: an empty or garbled `tracks.csv`)."""
    start = data.lstrip()
    if start[:1] in (b"{", b"["):
        return "json"
    if suffix.lower() == ".csv" or b"," in start.split(b"\n", 1)[0]:
        return "csv"
    if not start:
        raise file_error(
            "empty file: expected JSON (an object of columns or a list of rows) or CSV (a header row"
            " naming the columns)"
        )
    try:
        # Not `{` or `[`: a scalar or garbage, whose decoding stops early and nests nothing.
        json.loads(start.decode("utf-8"))
    except UnicodeDecodeError:
        return "json"  # whose decoder says where the text is not UTF-8
    except ValueError as error:
        raise file_error(
            f"neither JSON nor CSV: not valid JSON ({error}), and no CSV header (its first line"
            " has no comma between column names); name the format with --format"
        ) from None
    return "json"
