"""Read and validate a song file without touching the database.

Three formats, told apart by the file's first character (or named with `--format`):

* JSON, columnar, as pandas' `DataFrame.to_json()` writes it:
  `{"id": {"0": "...", "1": "..."}, "title": {...}, "danceability": {...}, ...}`;
* JSON, a list of row objects: `[{"id": "...", "title": "...", ...}, ...]`;
* CSV with a header row, as the Spotify tracks dataset writes it (`catalog.loading.csvfile`).

Each format is decoded into a `RawTable` (one list of values per column, with row labels
for messages); one validation (`validate`) then checks every value of every known column
against `catalog.loading.columns` and returns a complete, typed `SongColumns`, or raises a
`SongFileError` listing the problems. With `skip_invalid`, rows with a problem are left
out and reported instead, while problems of the file as a whole still refuse it.
"""

from __future__ import annotations

import hashlib
import json
import math
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from catalog.loading.columns import (
    COLUMNS,
    COLUMNS_BY_NAME,
    FEATURE_COLUMNS,
    MAX_NAMES,
    NAMES_COLUMNS,
    ColumnSpec,
)
from catalog.naming import name_key

MAX_REPORTED_PROBLEMS = 20

Format = Literal["json", "csv"]


class _Missing:
    """A value absent from one row (a row object without the key, an empty CSV cell)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
# Stands for every value of a row that is not an object at all (reported once, as a row).
NOT_A_ROW: Any = object()


@dataclass(frozen=True, slots=True)
class Problem:
    column: str | None
    row: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.column is not None:
            where.append(f'column "{self.column}"')
        if self.row is not None:
            where.append(f"row {self.row}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class SongFileError(ValueError):
    """The file cannot be loaded. `problems` holds the first few (in file order), `total`
    counts them all."""

    def __init__(self, problems: Sequence[Problem], total: int | None = None) -> None:
        self.problems = list(problems)
        self.total = len(self.problems) if total is None else total
        super().__init__(self.report())

    def report(self) -> str:
        noun = "problem" if self.total == 1 else "problems"
        head = f"{self.total} {noun}"
        if self.total > len(self.problems):
            head += f" (the first {len(self.problems)} shown)"
        return "\n".join([head + ":", *(f"  {problem}" for problem in self.problems)])


def file_error(message: str) -> SongFileError:
    return SongFileError([Problem(None, None, message)])


@dataclass(slots=True)
class SongColumns:
    """A validated song file, column by column. `features` holds the song-row columns the
    file has after the id and the title (required ones in typed arrays, optional ones in
    lists that may hold None); `names` the names columns it has (artists, genres), one
    tuple of names per song. A column the file does not have is in neither."""

    spotify_ids: list[str]
    titles: list[str]
    features: dict[str, Sequence[Any]] = field(default_factory=dict)
    names: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.spotify_ids)

    @property
    def fields(self) -> list[str]:
        """The Song fields the file gives, in the order `rows()` yields them."""
        return ["spotify_id", "title", *(COLUMNS_BY_NAME[name].field for name in self.features)]

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[tuple]:
        """Rows as tuples in `fields` order."""
        stop = len(self) if stop is None else stop
        return zip(
            self.spotify_ids[start:stop],
            self.titles[start:stop],
            *(values[start:stop] for values in self.features.values()),
            strict=True,
        )

    def content_hash(self) -> str:
        """SHA-256 of the columns' names and every value: two files hash alike when they load
        the same songs in the same order. Validated strings hold no NUL, so NUL separates
        them without ambiguity; typed numbers go in as their arrays' bytes."""
        digest = hashlib.sha256(f"{len(self)}|{','.join(self.features)}|{','.join(self.names)}".encode())
        for strings in (self.spotify_ids, self.titles):
            digest.update(b"\x00")
            digest.update("\x00".join(strings).encode())
        for values in self.features.values():
            digest.update(b"\x01")
            if isinstance(values, array):
                digest.update(values.typecode.encode())
                digest.update(values)
            else:
                digest.update(repr(values).encode())
        for names in self.names.values():
            digest.update(b"\x02")
            digest.update("\x00".join("\x1f".join(song) for song in names).encode())
        return digest.hexdigest()

    def take(self, positions: Iterable[int]) -> SongColumns:
        """The songs at `positions`, in that order."""
        positions = list(positions)

        def pick(values: Sequence[Any]) -> Any:
            picked = [values[i] for i in positions]
            return array(values.typecode, picked) if isinstance(values, array) else picked

        return SongColumns(
            spotify_ids=pick(self.spotify_ids),
            titles=pick(self.titles),
            features={name: pick(values) for name, values in self.features.items()},
            names={name: pick(values) for name, values in self.names.items()},
        )


@dataclass(slots=True)
class SkippedRow:
    row: str
    problems: list[Problem]


@dataclass(slots=True)
class SongFile:
    """What a read gives: the valid songs, and with `skip_invalid` the rows left out."""

    songs: SongColumns
    skipped: list[SkippedRow] = field(default_factory=list)


# ------------------------------------------------------------------------------
# Problems
# ------------------------------------------------------------------------------


class Problems:
    """Keeps the first problems of each column (enough to know the first ones overall, in
    row order), counts all of them, and remembers which rows had one."""

    def __init__(self) -> None:
        self.kept: list[tuple[int, int, Problem]] = []
        self.per_column: dict[str | None, int] = {}
        self.total = 0
        self.of_file = 0  # problems that are no row's: they refuse the file whatever
        self.rows: dict[int, list[Problem]] = {}

    def add(self, column: str | None, position: int | None, label: str | None, message: str) -> None:
        self.total += 1
        problem = Problem(column, label, message)
        if position is None:
            self.of_file += 1
        else:
            self.rows.setdefault(position, []).append(problem)
        seen = self.per_column.get(column, 0)
        self.per_column[column] = seen + 1
        if seen < MAX_REPORTED_PROBLEMS:
            order = list(COLUMNS_BY_NAME).index(column) if column in COLUMNS_BY_NAME else -1
            self.kept.append((-1 if position is None else position, order, problem))

    def error(self) -> SongFileError:
        self.kept.sort(key=lambda item: item[:2])
        return SongFileError([problem for *_, problem in self.kept[:MAX_REPORTED_PROBLEMS]], self.total)


@dataclass(slots=True)
class RawTable:
    """A decoded file before validation: one sequence of raw values per known column present
    (MISSING where a row lacks it), the row labels used in messages (None: row positions),
    the columns a typed decoder has already checked value by value, and the problems
    decoding found."""

    columns: dict[str, Sequence[Any]]
    labels: Sequence[Any] | None = None
    checked: set[str] = field(default_factory=set)
    problems: Problems = field(default_factory=Problems)
    # Whether a repeated id is a problem (JSON) or was already merged (CSV).
    ids_merged: bool = False
    # Columns the file has but decoding could not use (already reported).
    unusable: set[str] = field(default_factory=set)

    def label(self, position: int) -> str:
        return str(position if self.labels is None else self.labels[position])


# ------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------


def read_song_file(path: str | Path, *, format: Format | None = None, skip_invalid: bool = False) -> SongFile:
    """Parse and validate the song file at `path`. Raises SongFileError, or OSError when
    the file cannot be read."""
    return parse_song_file(Path(path).read_bytes(), format=format, skip_invalid=skip_invalid)


def parse_song_file(data: bytes, *, format: Format | None = None, skip_invalid: bool = False) -> SongFile:
    from catalog.loading import csvfile, jsonfile

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
    from catalog.loading import jsonfile

    return validate(jsonfile.table_from_rows(list(rows))).songs


def detect_format(data: bytes) -> Format:
    """JSON when the file starts with `{` or `[`; otherwise CSV when its first line has a
    comma (a header naming columns), JSON when not (which then says what it found)."""
    start = data.lstrip()
    if start[:1] in (b"{", b"[") or b"," not in start.split(b"\n", 1)[0]:
        return "json"
    return "csv"


# ------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({json.dumps(shown, ensure_ascii=False)})"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _text_problem(value: str, max_length: int | None) -> str | None:
    if not value or value.isspace():
        return "is empty"
    if max_length is not None and len(value) > max_length:
        return f"is {len(value)} characters long, longer than {max_length}"
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode()
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (\\ud800-\\udfff), which is not text"
    return None


def _number_problem(spec: ColumnSpec, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        expected = "an integer" if spec.kind == "int" else "a number"
        return f"expected {expected}, got {describe(value)}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return f"{value} is not a finite number"
        if spec.kind == "int":
            return f"expected an integer, got {value!r}"
    elif spec.kind == "float":
        try:
            float(value)
        except OverflowError:
            return f"{value} is too large"
    too_low = spec.minimum is not None and (
        value <= spec.minimum if spec.minimum_exclusive else value < spec.minimum
    )
    too_high = spec.maximum is not None and value > spec.maximum
    if too_low or too_high:
        return f"{value!r} is out of range (must be {spec.describe_range()})"
    return None


def parse_names(spec: ColumnSpec, value: Any) -> tuple[tuple[str, ...], str | None]:
    """A names cell as its distinct names (the first spelling of each normalised name), and
    what is wrong with it, if anything."""
    names = split_names(value)
    if names is None:
        return (), f"expected a list of names or a string of names separated by ';', got {describe(value)}"
    if len(names) > MAX_NAMES:
        return (), f"has {len(names)} names, more than {MAX_NAMES}"
    distinct: dict[str, str] = {}
    for name in names:
        problem = _text_problem(name, spec.max_length)
        if problem is not None:
            return (), f"name {describe(name)} {problem}"
        distinct.setdefault(name_key(name), name)
    return tuple(distinct.values()), None


def value_problem(spec: ColumnSpec, value: Any) -> str | None:
    """What is wrong with `value` in column `spec`, or None."""
    if value is NOT_A_ROW:
        return None
    if value is MISSING or value is None:
        if not spec.required:
            return None
        return "missing value" if value is MISSING else f"expected {_expected(spec)}, got null"
    if spec.kind == "str":
        if not isinstance(value, str):
            return f"expected a string, got {describe(value)}"
        if not spec.required and value == "":
            return None  # an empty optional text is no value
        return _text_problem(value, spec.max_length)
    if spec.kind == "bool":
        return None if isinstance(value, bool) else f"expected true or false, got {describe(value)}"
    if spec.kind == "names":
        return parse_names(spec, value)[1]
    return _number_problem(spec, value)


def _expected(spec: ColumnSpec) -> str:
    return {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false"}.get(
        spec.kind, "names"
    )


def split_names(value: Any) -> list[str] | None:
    """A names cell as a list of names: a list of strings as it is, a string split on `;`,
    each name trimmed and empty ones dropped; None when it is neither."""
    if value is None or value is MISSING:
        return []
    if isinstance(value, str):
        if ";" not in value:
            return [value.strip()] if value.strip() else []
        parts: list[Any] = value.split(";")
    elif isinstance(value, list):
        parts = value
    else:
        return None
    if not all(isinstance(part, str) for part in parts):
        return None
    return [part.strip() for part in parts if part.strip()]


def validate(table: RawTable, *, skip_invalid: bool = False) -> SongFile:
    problems = table.problems
    for spec in COLUMNS:
        values = table.columns.get(spec.name)
        if values is None:
            if spec.required and spec.name not in table.unusable:
                problems.add(spec.name, None, None, "missing required column")
            continue
        if spec.name in table.checked and spec.kind != "str":
            continue  # typed, and in range: msgspec checked it while decoding
        if spec.required and len(values) and all(value is MISSING for value in values):
            problems.add(spec.name, None, None, "missing required column (in every row)")
            continue
        if spec.kind == "names":
            table.columns[spec.name] = _names_column(spec, values, table, problems)
        elif not _column_valid(spec, values):
            for position, value in enumerate(values):
                message = value_problem(spec, value)
                if message is not None:
                    problems.add(spec.name, position, table.label(position), message)
    ids = table.columns.get("id")
    if ids is not None and not table.ids_merged:
        _check_duplicate_ids(ids, table, problems)
    if problems.total and (problems.of_file or not skip_invalid):
        raise problems.error()
    skipped = [SkippedRow(table.label(position), found) for position, found in sorted(problems.rows.items())]
    songs = _build(table)
    if skipped:
        bad = set(problems.rows)
        songs = songs.take(i for i in range(len(songs)) if i not in bad)
    return SongFile(songs=songs, skipped=skipped)


_NO_VALUE = (type(None), _Missing)
_TYPES: dict[str, set[type]] = {"str": {str}, "int": {int}, "float": {int, float}, "bool": {bool}}


def _column_valid(spec: ColumnSpec, values: Sequence[Any]) -> bool:
    """C-speed checks of a whole column; False means look at every value."""
    if isinstance(values, array):
        values = values.tolist()
    types = set(map(type, values))
    if not spec.required:
        types.difference_update(_NO_VALUE)
        values = [value for value in values if value is not None and value is not MISSING]
    if not values or not types <= _TYPES[spec.kind]:
        return not values
    if spec.kind == "bool":
        return True
    if spec.kind == "str":
        if min(map(len, values)) < 1 or max(map(len, values)) > (spec.max_length or 0):
            return False
        if any(map(str.isspace, values)):
            return False
        joined = "\n".join(values)
        return "\x00" not in joined and (joined.isascii() or _encodable(joined))
    # A sum is finite only if every term is; it can overflow on huge finite values, which
    # the per-value pass then sorts out.
    if float in types and not math.isfinite(sum(values)):
        return False
    low, high = min(values), max(values)
    if spec.minimum is not None and (low <= spec.minimum if spec.minimum_exclusive else low < spec.minimum):
        return False
    return not (spec.maximum is not None and high > spec.maximum)


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _names_column(
    spec: ColumnSpec, values: Sequence[Any], table: RawTable, problems: Problems
) -> list[tuple[str, ...]]:
    """A names column checked, and turned into one tuple of distinct names per row."""
    parsed: list[tuple[str, ...]] = []
    for position, value in enumerate(values):
        if value is MISSING or value is None or value is NOT_A_ROW:
            parsed.append(())
            continue
        names, message = parse_names(spec, value)
        if message is not None:
            problems.add(spec.name, position, table.label(position), message)
        parsed.append(names)
    return parsed


def _check_duplicate_ids(ids: Sequence[Any], table: RawTable, problems: Problems) -> None:
    if len(set(map(str, ids))) == len(ids):
        return
    first_seen: dict[Any, int] = {}
    for position, spotify_id in enumerate(ids):
        if not isinstance(spotify_id, str):
            continue
        earlier = first_seen.setdefault(spotify_id, position)
        if earlier != position:
            problems.add(
                "id",
                position,
                table.label(position),
                f"duplicate id {spotify_id!r}, first seen at row {table.label(earlier)}",
            )


def _typed(spec: ColumnSpec, values: Sequence[Any]) -> Sequence[Any]:
    """A column's valid values: required numbers in a typed array, the rest in a list with
    None for no value."""
    if spec.kind == "str":
        if spec.required:
            return values if isinstance(values, list) else list(values)
        return [None if value is MISSING or value == "" else value for value in values]
    if spec.required:
        typecode = "q" if spec.kind == "int" else "d"
        if isinstance(values, array) and values.typecode == typecode:
            return values
        return array(typecode, values)
    return [None if value is MISSING else value for value in values]


def _build(table: RawTable) -> SongFile | Any:
    columns = table.columns
    return SongColumns(
        spotify_ids=list(columns["id"]),
        titles=list(columns["title"]),
        features={
            spec.name: _typed(spec, columns[spec.name]) for spec in FEATURE_COLUMNS if spec.name in columns
        },
        names={spec.name: list(columns[spec.name]) for spec in NAMES_COLUMNS if spec.name in columns},
    )
