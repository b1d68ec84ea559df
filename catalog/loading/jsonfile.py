"""JSON song files (columnar or a list of rows) decoded into a `RawTable`.

A columnar file goes through msgspec, column by column, with a decoder per column that
checks types and ranges in C while it parses (`_checked`): on a valid file, validation is
then left with the checks msgspec cannot express. A column that fails its checked decode is
decoded untyped, and validation names every bad value by row. Anything msgspec refuses
(invalid JSON, NaN, a repeated key, another layout) goes through the standard library's
decoder, which phrases syntax errors with a line and a column, accepts NaN so that it can
be reported by column and row, and reports repeated keys.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Annotated, Any

import msgspec

from catalog.loading.columns import COLUMNS, COLUMNS_BY_NAME, ColumnSpec
from catalog.loading.problems import MISSING, NOT_A_ROW, Problems, RawTable, describe, file_error


def decode(data: bytes) -> RawTable:
    if data.lstrip()[:1] == b"{":
        table = _columnar_fast(data)
        if table is not None:
            return table
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise file_error(f"not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    try:
        document = json.loads(text, object_pairs_hook=_Object.from_pairs)
    except json.JSONDecodeError as exc:
        raise file_error(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise file_error("not valid JSON: nested too deeply") from None
    if isinstance(document, _Object):
        return _table_from_columns(document)
    if isinstance(document, list):
        return table_from_rows(document)
    raise file_error(f"expected an object of columns or a list of rows, got {describe(document)}")


class _Object(dict):
    """A JSON object from the standard library's decoder, with the keys it gave twice."""

    duplicates: list[str]

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, Any]]) -> _Object:
        obj = cls(pairs)
        obj.duplicates = []
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _value in pairs:
                if key in seen:
                    obj.duplicates.append(key)
                seen.add(key)
        return obj


def _table_from_columns(document: _Object) -> RawTable:
    problems = Problems()
    for name in document.duplicates:
        if name in COLUMNS_BY_NAME:
            problems.add(name, None, None, "column given more than once")
    columns: dict[str, Any] = {}
    unusable: set[str] = set()
    for spec in COLUMNS:
        column = document.get(spec.name)
        if column is None and spec.name not in document:
            continue
        if not isinstance(column, dict):
            problems.add(
                spec.name,
                None,
                None,
                f"expected an object mapping row keys to values, got {describe(column)}",
            )
            unusable.add(spec.name)
            continue
        for key in getattr(column, "duplicates", ()):
            problems.add(spec.name, None, key, "row key given more than once")
        columns[spec.name] = column
    table = _aligned(((name, column, False) for name, column in columns.items()), problems)
    table.unusable |= unusable
    return table


def _aligned(columns: Iterable[tuple[str, dict, bool]], problems: Problems) -> RawTable:
    """Columns keyed by row (name, column, whether its values were checked while decoding),
    turned into value lists one at a time, so that only one column is held as a dict at
    once. The first column's row keys (the id column's, when present) are the reference; a
    column whose keys differ is reported, not used."""
    reference_name: str | None = None
    labels: list[Any] = []
    unusable: set[str] = set()
    checked: set[str] = set()
    values: dict[str, Any] = {}
    for name, column, column_checked in columns:
        keys = list(column)
        if reference_name is None:
            reference_name, labels = name, keys
        if len(keys) != len(labels):
            problems.add(
                name,
                None,
                None,
                f'has {len(keys)} rows but "{reference_name}" has {len(labels)}: columns must line up',
            )
            unusable.add(name)
            continue
        if keys != labels:
            # Compared as written: a column with one key that is no integer was decoded with
            # text keys, the others with integer ones, and `"0"` is not 0.
            texts, reference = [str(key) for key in keys], [str(key) for key in labels]
            position = next((i for i, (a, b) in enumerate(zip(texts, reference, strict=True)) if a != b), 0)
            problems.add(
                name,
                position,
                texts[position],
                f'row keys do not line up with column "{reference_name}": '
                f"key {texts[position]} where it has {reference[position]}",
            )
            unusable.add(name)
            continue
        values[name] = column_values(COLUMNS_BY_NAME[name], column, checked=column_checked)
        if column_checked:
            checked.add(name)
    if reference_name is None:
        return RawTable(columns={}, problems=problems)
    return RawTable(columns=values, labels=labels, checked=checked, problems=problems, unusable=unusable)


def column_values(spec: ColumnSpec, column: dict, *, checked: bool) -> Any:
    """A column's values; a checked required numeric column straight into a typed array."""
    values = list(column.values())
    if checked and spec.required and spec.kind in ("int", "float"):
        return array("q" if spec.kind == "int" else "d", values)
    return values


def table_from_rows(rows: list) -> RawTable:
    """A list of row objects as columns (MISSING where a row lacks a column)."""
    problems = Problems()
    names = [spec.name for spec in COLUMNS]
    columns: dict[str, list] = {name: [] for name in names}
    for position, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.add(None, position, str(position), f"expected an object, got {describe(row)}")
            row = dict.fromkeys(names, NOT_A_ROW)
        for key in getattr(row, "duplicates", ()):
            if key in COLUMNS_BY_NAME:
                problems.add(key, position, str(position), "given more than once in the row")
        for name in names:
            columns[name].append(row.get(name, MISSING))
    present: dict[str, Sequence[Any]] = {
        name: values
        for name, values in columns.items()
        if COLUMNS_BY_NAME[name].required or any(value is not MISSING for value in values)
    }
    return RawTable(columns=present, problems=problems)


# ------------------------------------------------------------------------------
# The msgspec path for columnar files
# ------------------------------------------------------------------------------


def _checked_type(spec: ColumnSpec) -> Any:
    if spec.kind == "str":
        value: Any = Annotated[str, msgspec.Meta(min_length=1, max_length=spec.max_length)]
    elif spec.kind == "bool":
        value = bool
    else:
        bounds: dict[str, Any] = {}
        if spec.minimum is not None:
            bounds["gt" if spec.minimum_exclusive else "ge"] = spec.minimum
        if spec.maximum is not None:
            bounds["le"] = spec.maximum
        value = Annotated[int if spec.kind == "int" else float, msgspec.Meta(**bounds)]
    return value if spec.required else value | None


# Row keys are decoded as integers where they are (twice as fast as strings), else as
# strings. Names columns are always checked in Python (a list or a `;` string). The value
# types are built from the column specs at import time, which mypy cannot follow.
_checked = {
    spec.name: msgspec.json.Decoder(dict[int, _checked_type(spec)]).decode  # type: ignore[misc]
    for spec in COLUMNS
    if spec.kind != "names"
}
_decode_top = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_decode_int_keyed = msgspec.json.Decoder(dict[int, Any]).decode
_decode_str_keyed = msgspec.json.Decoder(dict[str, Any]).decode
_cells_int_keyed = msgspec.json.Decoder(dict[int, msgspec.Raw]).decode
_cells_str_keyed = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_decode_any = msgspec.json.Decoder().decode
_MSGSPEC_REFUSED = (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError)


def _columnar_fast(data: bytes) -> RawTable | None:
    """None when the standard library's decoder must have the file: msgspec refused it, or
    a key may be repeated (msgspec keeps the last one silently)."""
    try:
        top = _decode_top(data)
    except _MSGSPEC_REFUSED:
        return None
    # Every column object's key is followed by `":{` (or `": {`), and nothing else in a
    # valid file is: as many of them as distinct column objects means no name came twice.
    objects = sum(1 for raw in top.values() if memoryview(raw)[:1] == b"{")
    if data.count(b'":{') + data.count(b'": {') != objects:
        return None
    try:
        return _aligned(_decoded_columns(top), Problems())
    except _NeedsStandardLibraryError:
        return None


class _NeedsStandardLibraryError(Exception):
    pass


def _decoded_columns(top: dict[str, msgspec.Raw]) -> Iterator[tuple[str, dict, bool]]:
    for spec in COLUMNS:
        raw = top.pop(spec.name, None)
        if raw is None:
            continue
        decoded = _decode_column(spec, raw)
        if decoded is None or _may_repeat_keys(raw, len(decoded[0])):
            raise _NeedsStandardLibraryError
        del raw
        yield spec.name, *decoded


def _decode_column(spec: ColumnSpec, raw: msgspec.Raw) -> tuple[dict, bool] | None:
    """The column, and whether its values were checked while decoding; None when msgspec
    cannot decode it as an object (the slow path then says why)."""
    if spec.name in _checked:
        try:
            return _checked[spec.name](raw), True
        except msgspec.ValidationError:
            pass  # a bad value, or keys that are not integers: decoded untyped below
        except _MSGSPEC_REFUSED:
            return None
    decoders = (
        (_cells_int_keyed, _cells_str_keyed)
        if spec.kind == "names"
        else (_decode_int_keyed, _decode_str_keyed)
    )
    for decode in decoders:
        try:
            column = decode(raw)
        except msgspec.ValidationError:
            continue
        except _MSGSPEC_REFUSED:
            return None
        if spec.kind == "names":
            try:
                _decode_cells_shared(column)
            except _MSGSPEC_REFUSED:
                return None
        return column, False
    return None


def _decode_cells_shared(column: dict[Any, Any]) -> None:
    """Decodes a names column's cells (as raw JSON texts) in place, each distinct text once,
    its value shared by every row that repeats it: a catalog repeats its genres and artists
    across many songs, and a value per row would give each row strings of its own (the peak
    memory of a large load: bench/README.md, "The catalog with the columns real data
    carries"). Validation builds new lists from these values and never changes them."""
    decoded: dict[bytes, Any] = {}
    for key, cell in column.items():
        text = bytes(cell)
        if text not in decoded:
            decoded[text] = _decode_any(text)
        column[key] = decoded[text]


# A JSON string, read whole (escapes included), and the colon after it when it is a key.
_STRING_OR_KEY = re.compile(rb'"(?:[^"\\]|\\.)*"(\s*:)?')


def _may_repeat_keys(raw: msgspec.Raw, decoded: int) -> bool:
    """Whether the column object may have a repeated row key (or keys that decode to the
    same integer, such as "1" and "01"): whether it holds more keys than members decoded.
    Where no `\\":` stands in it, each `":` is a quote that closes a key (a value cannot hold
    a bare quote, and one is followed by a colon only where a value starts with one), so
    as many of them as members decoded means none came twice. Otherwise (a value that starts
    with a colon: the artist ":Wumpscut:") the keys are counted exactly, each string read
    whole, before the whole file is handed to the standard library's decoder."""
    raw_bytes = bytes(raw)
    if raw_bytes.count(b'":') == decoded and b'\\":' not in raw_bytes:
        return False
    keys = sum(1 for colon in _STRING_OR_KEY.findall(raw_bytes) if colon)
    return keys != decoded
