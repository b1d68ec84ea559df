"""Validation of a decoded song file: every value of every known column against
`catalog.loading.columns`, then the typed `SongColumns`."""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from typing import Any

from catalog.loading.columns import (
    COLUMNS,
    FEATURE_COLUMNS,
    MAX_NAMES,
    NAMES_COLUMNS,
    ColumnSpec,
)
from catalog.loading.problems import MISSING, NOT_A_ROW, Problems, RawTable, _Missing, describe
from catalog.loading.songfile import SkippedRow, SongColumns, SongFile
from catalog.naming import name_key
from music_discovery.storable import text_fault, too_many_bytes

# ------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------


def _text_problem(
    value: str, max_length: int | None, *, one_word: bool = False, max_bytes: int | None = None
) -> str | None:
    if not value or value.isspace():
        return "is empty"
    if max_length is not None and len(value) > max_length:
        return f"is {len(value)} characters long, longer than {max_length}"
    if max_bytes is not None and too_many_bytes(value, max_bytes):
        size = len(value.encode("utf-8", "surrogatepass"))
        return f"is {size} bytes long in UTF-8, longer than {max_bytes}"
    fault = text_fault(value)
    if fault == "nul":
        return "contains a NUL character"
    if fault == "not-utf8":
        return "contains an unpaired surrogate (\\ud800-\\udfff), which is not text"
    if one_word and not _one_word(value):
        return "contains white space or an invisible character"
    return None


def _one_word(text: str) -> bool:
    """No white space, no control or invisible (format) character: what Python counts
    printable, but for the space."""
    return text.isprintable() and " " not in text


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
    for index, name in enumerate(names, 1):
        if not name:
            return (), f"name {index} of {len(names)} is empty"
        problem = _text_problem(name, spec.max_length)
        if problem is not None:
            return (), f"name {describe(name)} {problem}"
        key = name_key(name)
        # A genre is stored as its key, which NFKC and case folding can make longer (`ß` is
        # `ss`, one ligature eighteen letters): bounded as the name is.
        if spec.max_length is not None and len(key) > spec.max_length:
            return (), f"name {describe(name)} is longer than {spec.max_length} characters once normalised"
        distinct.setdefault(key, name)
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
        return _text_problem(value, spec.max_length, one_word=spec.one_word, max_bytes=spec.max_bytes)
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
    """A names cell as a list of names, each trimmed: a list of strings as it is (a blank
    one kept, for validation to refuse: a list names each of its entries), a string split on
    `;` with the empty parts dropped (`a;;b`, a trailing `;`); None when it is neither."""
    if value is None or value is MISSING:
        return []
    if isinstance(value, list):
        if not all(isinstance(part, str) for part in value):
            return None
        return [part.strip() for part in value]
    if not isinstance(value, str):
        return None
    return [name for name in map(str.strip, value.split(";")) if name]


def validate(table: RawTable, *, skip_invalid: bool = False) -> SongFile:
    problems = table.problems
    _check_columns(table, problems)
    ids = table.columns.get("id")
    keep: list[int] | None = None
    if ids is not None:
        if table.merge_repeats is None:
            _check_duplicate_ids(ids, table, problems)
        elif not problems.of_file:
            # Every row is checked on its own first: only the valid ones are merged.
            keep = table.merge_repeats(table)
    if problems.total and (problems.of_file or not skip_invalid):
        raise problems.error()
    skipped = [SkippedRow(table.label(position), found) for position, found in sorted(problems.rows.items())]
    rows = len(table.columns["id"])
    if keep is None and skipped:
        keep = [i for i in range(rows) if i not in problems.rows]
    if keep is not None and len(keep) == rows:
        keep = None  # every row is a song of its own
    return SongFile(songs=_build(table, keep), skipped=skipped)


def _check_columns(table: RawTable, problems: Problems) -> None:
    """Each known column's values checked against its spec (names columns split into
    their names in place); what is wrong goes to `problems`."""
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
        return _texts_valid(spec, values)
    return _numbers_valid(spec, values, has_floats=float in types)


def _texts_valid(spec: ColumnSpec, values: Sequence[str]) -> bool:
    if min(map(len, values)) < 1 or max(map(len, values)) > (spec.max_length or 0):
        return False
    if spec.max_bytes is not None:
        # Filtered by length first: a call per value would cost a large file's titles ~0.2 s.
        shortest = spec.max_bytes // 4
        if any(too_many_bytes(v, spec.max_bytes) for v in values if len(v) > shortest):
            return False
    if any(map(str.isspace, values)):
        return False
    if spec.one_word and not _one_word("".join(values)):
        return False
    return text_fault("\n".join(values)) is None


def _numbers_valid(spec: ColumnSpec, values: Sequence[Any], *, has_floats: bool) -> bool:
    # A sum is finite only if every term is; it can overflow on huge finite values (a float
    # beside an integer too large for one raises), which the per-value pass then sorts out.
    if has_floats:
        try:
            if not math.isfinite(sum(values)):
                return False
        except OverflowError:
            return False
    low, high = min(values), max(values)
    if spec.minimum is not None and (low <= spec.minimum if spec.minimum_exclusive else low < spec.minimum):
        return False
    return not (spec.maximum is not None and high > spec.maximum)


def _names_column(
    spec: ColumnSpec, values: Sequence[Any], table: RawTable, problems: Problems
) -> list[tuple[str, ...]]:
    """A names column checked, and turned into one tuple of distinct names per row. A catalog
    repeats its genres and artists across many songs, so each distinct cell is parsed once
    and its tuple shared by the rows that repeat it: a text by its value, any other value by
    its identity (a JSON file's repeated cells are one object, `jsonfile`), which stays
    unique while `values` holds it."""
    parsed: list[tuple[str, ...]] = []
    seen: dict[str | int, tuple[tuple[str, ...], str | None]] = {}
    for position, value in enumerate(values):
        if value is MISSING or value is None or value is NOT_A_ROW:
            parsed.append(())
            continue
        cell = value if type(value) is str else id(value)
        if (found := seen.get(cell)) is None:
            found = seen[cell] = parse_names(spec, value)
        names, message = found
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


def _build(table: RawTable, positions: list[int] | None) -> SongColumns:
    """The songs of the rows at `positions` (None: every row), in that order. The rows are
    picked before the columns are typed: a row left out may hold any value (text in a
    number column)."""
    columns = table.columns

    def pick(name: str) -> Sequence[Any]:
        values = columns[name]
        return values if positions is None else [values[i] for i in positions]

    return SongColumns(
        spotify_ids=_listed(pick("id")),
        titles=_listed(pick("title")),
        features={
            spec.name: _typed(spec, pick(spec.name)) for spec in FEATURE_COLUMNS if spec.name in columns
        },
        names={spec.name: _listed(pick(spec.name)) for spec in NAMES_COLUMNS if spec.name in columns},
    )


def _listed(values: Sequence[Any]) -> list[Any]:
    return values if isinstance(values, list) else list(values)
