"""Read and validate a song file without touching the database.

Two layouts are accepted and told apart by their first character:

* columnar, as pandas' `DataFrame.to_json()` writes it:
  `{"id": {"0": "...", "1": "..."}, "title": {...}, "danceability": {...}, ...}`;
* a list of row objects: `[{"id": "...", "title": "...", ...}, ...]`.

Columns the loader does not know (such as `class`) are ignored. Every value of every known
column is checked before anything is returned, so a caller either gets a complete, typed
`SongColumns` or a `SongFileError` listing the problems.

Memory stays compact for a million songs: the JSON decoder hands every object to
`object_pairs_hook` as soon as it is parsed, and the hook turns a column into a typed
`array` (or a list of strings) on the spot, so neither per-row dicts nor million-key dicts
outlive their own parsing.

A large columnar file has about half of its numeric columns decoded by a forked child
process while this one decodes the others (`_ChildDecode`); validation and its messages do
not depend on which process decoded a column.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import math
import mmap
import multiprocessing
import operator
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Annotated, Any

import msgspec

from catalog.loading.columns import COLUMN_NAMES, COLUMNS, FEATURE_COLUMNS, ColumnSpec

MAX_REPORTED_PROBLEMS = 20
# Columnar files at least this large (in bytes) have their columns decoded by two processes.
# msgspec holds the GIL while it decodes, so threads would not help; a fork shares the file's
# bytes for free and costs a few milliseconds, worth it from a few thousand songs up.
PARALLEL_DECODE_MIN_BYTES = 4_000_000

_first = operator.itemgetter(0)
_second = operator.itemgetter(1)


class _Missing:
    """A value absent from one row of a row-list file."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
# Stands for the values of a row that is not an object at all (reported once, as a row).
_NOT_A_ROW: Any = object()


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


@dataclass(slots=True)
class SongColumns:
    """A validated song file, column by column (floats and integers in typed arrays)."""

    spotify_ids: list[str]
    titles: list[str]
    features: dict[str, array] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.spotify_ids)

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[tuple]:
        """Rows as tuples in `SONG_FIELDS` order."""
        stop = len(self) if stop is None else stop
        return zip(
            self.spotify_ids[start:stop],
            self.titles[start:stop],
            *(self.features[spec.name][start:stop] for spec in FEATURE_COLUMNS),
            strict=True,
        )

    def content_hash(self) -> str:
        """SHA-256 of every value, column by column: two files hash alike when they load the
        same songs in the same order. Validated strings hold no NUL, so NUL separates them
        without ambiguity; numbers go in as their typed arrays' bytes."""
        digest = hashlib.sha256(str(len(self)).encode())
        for strings in (self.spotify_ids, self.titles):
            digest.update(b"\x00")
            digest.update("\x00".join(strings).encode())
        for spec in FEATURE_COLUMNS:
            values = self.features[spec.name]
            digest.update(values.typecode.encode())
            digest.update(values)
        return digest.hexdigest()

    def take(self, positions: Iterable[int]) -> SongColumns:
        """The songs at `positions`, in that order."""
        positions = list(positions)
        return SongColumns(
            spotify_ids=[self.spotify_ids[i] for i in positions],
            titles=[self.titles[i] for i in positions],
            features={
                name: array(values.typecode, [values[i] for i in positions])
                for name, values in self.features.items()
            },
        )


# ------------------------------------------------------------------------------
# Decoding
# ------------------------------------------------------------------------------


class _Object:
    """A JSON object as the decoder hands it over: its keys and its compacted values.

    `kind` says how `values` is stored: "str" (list of str), "int" (array 'q'), "float"
    (array 'd'; `float_mask` marks which were floats when ints were mixed in), "empty",
    or "raw" (list of whatever the file held, kept only when something is wrong or odd).
    `valid` and `distinct` are the answers of `_all_valid` and of the duplicate check when
    they were worked out ahead of validation (else None)."""

    __slots__ = ("keys", "values", "kind", "float_mask", "checked", "valid", "distinct")

    def __init__(
        self,
        keys: list[Any],
        values: Any,
        kind: str,
        float_mask: bytes | None = None,
        *,
        checked: bool = False,
    ) -> None:
        self.keys = keys
        self.values = values
        self.kind = kind
        self.float_mask = float_mask
        # True when msgspec already enforced the column's type and range.
        self.checked = checked
        self.valid: bool | None = None
        self.distinct: bool | None = None

    def __len__(self) -> int:
        return len(self.keys)


class _RowColumns:
    """A row-list file turned into one list of values per known column (MISSING where a
    row lacks the column)."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, list]) -> None:
        self.values = values


class _Row(tuple):
    """One object of a row-list file: its known columns' values in `COLUMN_NAMES` order."""

    __slots__ = ()


def _compact(values: list) -> tuple[Any, str, bytes | None]:
    if not values:
        return values, "empty", None
    types = set(map(type, values))
    try:
        if types == {str}:
            return values, "str", None
        if types == {int}:
            return array("q", values), "int", None
        if types == {float}:
            return array("d", values), "float", None
        if types == {int, float}:
            mask = bytes(map(operator.is_, map(type, values), repeat(float)))
            return array("d", values), "float", mask
    except OverflowError:
        pass
    return values, "raw", None


def _columnar_hook():
    reference_keys: list[list[str]] = []

    def hook(pairs: list[tuple[str, Any]]) -> _Object:
        keys = list(map(_first, pairs))
        values = list(map(_second, pairs))
        del pairs
        # The decoder memoizes key strings, so identical key lists compare by identity
        # and every column can share the first one's list.
        if reference_keys and keys == reference_keys[0]:
            keys = reference_keys[0]
        elif not reference_keys and len(keys) > 1:
            reference_keys.append(keys)
        values, kind, mask = _compact(values)
        return _Object(keys, values, kind, mask)

    return hook


def _row_hook(pairs: list[tuple[str, Any]]) -> _Row:
    values = dict(pairs)
    return _Row(map(values.get, COLUMN_NAMES, repeat(MISSING)))


def _decode_slow(text: str) -> Any:
    """The standard library's decoder with compacting hooks: accepts what msgspec refuses
    (NaN, Infinity) so such values can be reported by column and row, and phrases JSON
    syntax errors with a line and column."""
    start = text.lstrip()[:1]
    if start == "{":
        hook = _columnar_hook()
    elif start == "[":
        hook = _row_hook
    else:
        hook = None
    try:
        return json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        raise SongFileError(
            [Problem(None, None, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")]
        ) from None
    except RecursionError:
        raise SongFileError([Problem(None, None, "not valid JSON: nested too deeply")]) from None


_RowStruct = msgspec.defstruct("_RowStruct", [(name, Any, msgspec.UNSET) for name in COLUMN_NAMES])
_decode_any = msgspec.json.Decoder().decode
_decode_int_keyed = msgspec.json.Decoder(dict[int, Any]).decode
_decode_str_keyed = msgspec.json.Decoder(dict[str, Any]).decode
_decode_top = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_decode_rows = msgspec.json.Decoder(list[_RowStruct]).decode


def _decode_fast(data: bytes) -> Any:
    """msgspec, several times faster than the standard library on a million-row file.
    Returns None when the file needs the slow decoder (invalid JSON for msgspec, or a
    shape the fast path does not handle), which then also phrases the errors."""
    start = data.lstrip()[:1]
    try:
        if start == b"[":
            return _row_columns(_decode_rows(data))
        if start != b"{":
            return None
        raw_columns = _decode_top(data)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
        return None
    child = _ChildDecode.start(raw_columns) if len(data) >= PARALLEL_DECODE_MIN_BYTES else None
    try:
        return _decode_columns(raw_columns, child)
    finally:
        if child is not None:
            child.close()


def _decode_columns(raw_columns: dict[str, msgspec.Raw], child: _ChildDecode | None) -> _Object | None:
    names: list[str] = []
    values: list[Any] = []
    reference: list | None = None
    reference_is_range: bool | None = None
    for spec in COLUMNS:
        raw = raw_columns.pop(spec.name, None)
        if raw is None:
            continue
        decoded = child.result(spec.name) if child is not None else None
        if decoded is not None:
            # Decoded and checked by the child, exactly as below.
            keys, compact = decoded
            if keys is None:
                # The child found the keys to be 0..n-1 and did not send them.
                if reference is not None and len(reference) == len(compact):
                    if reference_is_range is None:
                        reference_is_range = reference == list(range(len(reference)))
                    keys = reference if reference_is_range else None
                if keys is None:
                    keys = list(range(len(compact)))
            if reference is None:
                reference = keys
            elif keys is not reference and keys == reference:
                keys = reference
            names.append(spec.name)
            values.append(_Object(keys, compact, spec.kind, None, checked=True))
            continue
        try:
            column = _decode_checked[spec.name](raw)
            checked = True
        except msgspec.ValidationError:
            # Something in this column is wrong or unusual: decode it untyped so that
            # validation can name every bad value by row.
            checked = False
            try:
                try:
                    column = _decode_int_keyed(raw)
                except msgspec.ValidationError:
                    column = _decode_str_keyed(raw)
            except msgspec.ValidationError:
                try:
                    not_an_object = _decode_any(raw)
                except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
                    return None
                names.append(spec.name)
                values.append(not_an_object)
                continue
        except (msgspec.DecodeError, UnicodeDecodeError):
            return None
        keys = list(column)
        if reference is None:
            reference = keys
        elif keys == reference:
            # Every column then shares one key list instead of a million ints each.
            keys = reference
        if checked:
            compact: Any = _checked_values(spec, column)
            kind = spec.kind
            mask = None
        else:
            compact, kind, mask = _compact(list(column.values()))
        del column
        decoded_column = _Object(keys, compact, kind, mask, checked=checked)
        if child is not None and checked and kind == "str":
            # The string checks validation makes first, done while the child still decodes.
            decoded_column.valid = _all_valid(spec, decoded_column)
            if spec.name == "id":
                decoded_column.distinct = len(set(compact)) == len(compact)
        names.append(spec.name)
        values.append(decoded_column)
    return _Object(names, values, "raw")


def _checked_values(spec: ColumnSpec, column: dict[int, Any]) -> list[str] | array:
    values: Any = list(column.values())
    if spec.kind != "str":
        values = array("q" if spec.kind == "int" else "d", values)
    return values


class _ChildDecode:
    """A forked child process that decodes and checks the numeric columns at the end of
    `COLUMNS` (about half of the file's bytes) with the same checked decoders, while the
    parent decodes the others.

    The child writes the values of each column that passed the checked decoder into a
    shared anonymous mapping (pickling them through a pipe costs several times more) and
    sends where they are, with the keys, or None when they are exactly 0..n-1. A column it
    could not decode that way is left out, so the parent decodes it again on its usual path
    and reports its problems as it always does. Should the fork or the child fail, every
    column is decoded by the parent."""

    def __init__(self, process: Any, connection: Any, shared: mmap.mmap, names: frozenset[str]) -> None:
        self.process = process
        self.connection = connection
        self.shared = shared
        self.names = names
        self.results: dict[str, tuple[list | None, array]] | None = None

    @classmethod
    def start(cls, raw_columns: dict[str, msgspec.Raw]) -> _ChildDecode | None:
        specs = _child_share(raw_columns)
        # A daemonic process may not start children (multiprocessing refuses).
        if not specs or multiprocessing.current_process().daemon:
            return None
        try:
            context = multiprocessing.get_context("fork")
        except ValueError:
            return None  # no fork on this platform
        columns = {spec.name: raw_columns[spec.name] for spec in specs}
        try:
            # Room for every value at 8 bytes; pages are only allocated as they are written.
            shared = mmap.mmap(-1, sum(_max_values(raw) for raw in columns.values()) * 8)
        except OSError:
            return None
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_decode_in_child, args=(columns, shared, sender), daemon=True)
        try:
            process.start()
        except OSError:
            receiver.close()
            sender.close()
            shared.close()
            return None
        # Only the child writes: the parent's end must close for a dead child to read as EOF.
        sender.close()
        return cls(process, receiver, shared, frozenset(columns))

    def result(self, name: str) -> tuple[list | None, array] | None:
        """The child's keys and values of column `name`, or None if the parent must decode it."""
        if name not in self.names:
            return None
        if self.results is None:
            self.results = {}
            try:
                placed = self.connection.recv()
            except (EOFError, OSError):
                placed = {}
            with memoryview(self.shared) as view:
                for column, (keys, typecode, start, stop) in placed.items():
                    values = array(typecode)
                    values.frombytes(view[start:stop])
                    self.results[column] = (keys, values)
            self.close()
        return self.results.pop(name, None)

    def close(self) -> None:
        if self.process.is_alive() and self.results is None:
            self.process.kill()
        self.process.join()
        self.connection.close()
        self.shared.close()


def _max_values(raw: msgspec.Raw) -> int:
    # Each member of a JSON object takes at least 6 bytes: `"k":0,`.
    return len(raw) // 6 + 1


def _child_share(raw_columns: dict[str, msgspec.Raw]) -> list[ColumnSpec]:
    """The trailing numeric columns that hold no more than half the known columns' bytes."""
    present = [spec for spec in COLUMNS if spec.name in raw_columns]
    half = sum(len(raw_columns[spec.name]) for spec in present) / 2
    share: list[ColumnSpec] = []
    size = 0
    for spec in reversed(present):
        size += len(raw_columns[spec.name])
        if spec.kind == "str" or size > half:
            break
        share.append(spec)
    return share


def _decode_in_child(columns: dict[str, msgspec.Raw], shared: mmap.mmap, connection: Any) -> None:
    placed: dict[str, tuple[list | None, str, int, int]] = {}
    count_keys: list[int] = []
    start = 0
    for name, raw in columns.items():
        spec = COLUMNS[COLUMN_NAMES.index(name)]
        try:
            column = _decode_checked[name](raw)
        except Exception:
            continue  # the parent decodes it again and says what is wrong
        keys = list(column)
        if len(count_keys) != len(keys):
            count_keys = list(range(len(keys)))
        values = _checked_values(spec, column)
        del column
        stop = start + len(values) * values.itemsize
        shared[start:stop] = values
        placed[name] = (None if keys == count_keys else keys, values.typecode, start, stop)
        start = stop
    connection.send(placed)
    connection.close()


def _checked_type(spec: ColumnSpec) -> Any:
    if spec.kind == "str":
        return Annotated[str, msgspec.Meta(min_length=1, max_length=spec.max_length)]
    bounds: dict[str, float] = {}
    if spec.minimum is not None:
        bounds["gt" if spec.minimum_exclusive else "ge"] = spec.minimum
    if spec.maximum is not None:
        bounds["le"] = spec.maximum
    return Annotated[int if spec.kind == "int" else float, msgspec.Meta(**bounds)]


# Decoders that check types and ranges in C while parsing: on a valid file, validation
# is then down to the checks msgspec cannot express (blank strings, NUL, duplicate ids).
_decode_checked = {spec.name: msgspec.json.Decoder(dict[int, _checked_type(spec)]).decode for spec in COLUMNS}


def _row_columns(rows: list) -> _RowColumns:
    """Rows decoded by msgspec, one list of values per column: no tuple per row."""
    values: dict[str, list] = {}
    for name in COLUMN_NAMES:
        column = list(map(operator.attrgetter(name), rows))
        if column.count(msgspec.UNSET):
            column = [MISSING if value is msgspec.UNSET else value for value in column]
        values[name] = column
    return _RowColumns(values)


def read_song_file(path: str | Path) -> SongColumns:
    """Parse and validate the song file at `path`. Raises SongFileError, or OSError when
    the file cannot be read."""
    return parse_song_json(Path(path).read_bytes())


def parse_song_json(data: str | bytes) -> SongColumns:
    """Parse and validate a song file's content."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    document = _decode_fast(data)
    if document is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SongFileError(
                [Problem(None, None, f"not UTF-8 text (byte {exc.start}: {exc.reason})")]
            ) from None
        del data
        document = _decode_slow(text)
        del text
    return _validate_document(document)


def songs_from_rows(rows: Iterable[Mapping[str, Any]]) -> SongColumns:
    """Validate rows already in memory (the row-list layout as Python objects)."""
    document = [_row_hook(list(row.items())) if isinstance(row, Mapping) else row for row in rows]
    return _validate_document(document)


# ------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------


class _Problems:
    """Keeps the first problems of each column (enough to know the first ones overall,
    in row order) and counts all of them."""

    def __init__(self) -> None:
        self.kept: list[tuple[int, int, Problem]] = []
        self.per_column: dict[str | None, int] = {}
        self.total = 0

    def add(self, column: str | None, position: int | None, label: str | None, message: str) -> None:
        self.total += 1
        seen = self.per_column.get(column, 0)
        self.per_column[column] = seen + 1
        if seen < MAX_REPORTED_PROBLEMS:
            order = COLUMN_NAMES.index(column) if column in COLUMN_NAMES else -1
            self.kept.append((-1 if position is None else position, order, Problem(column, label, message)))

    def raise_if_any(self) -> None:
        if self.total:
            self.kept.sort(key=lambda item: item[:2])
            raise SongFileError([problem for *_, problem in self.kept[:MAX_REPORTED_PROBLEMS]], self.total)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({json.dumps(shown, ensure_ascii=False)})"
    if isinstance(value, _Object | _Row | dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _value_problem(spec: ColumnSpec, value: Any) -> str | None:
    if value is MISSING:
        return "missing value"
    if value is _NOT_A_ROW:
        return None
    if spec.kind == "str":
        if not isinstance(value, str):
            return f"expected a string, got {_describe(value)}"
        if not value or value.isspace():
            return "is empty"
        if len(value) > spec.max_length:
            return f"is {len(value)} characters long, longer than {spec.max_length}"
        if "\x00" in value:
            return "contains a NUL character"
        if not _encodable([value]):
            return "contains an unpaired surrogate (\\ud800-\\udfff), which is not text"
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        expected = "an integer" if spec.kind == "int" else "a number"
        return f"expected {expected}, got {_describe(value)}"
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


def _encodable(values: list[str]) -> bool:
    """Whether every string encodes as UTF-8, as the database needs: the standard library's
    decoder (the slow path) accepts an escaped lone surrogate such as "\\ud800"."""
    try:
        "\n".join(values).encode()
    except UnicodeEncodeError:
        return False
    return True


def _all_valid(spec: ColumnSpec, column: _Object) -> bool:
    """C-speed checks of a whole column; False means look at every value."""
    values = column.values
    if not len(values) or (column.checked and spec.kind != "str"):
        return True
    if spec.kind == "str":
        if column.kind != "str":
            return False
        # msgspec has enforced a checked column's lengths, and refuses lone surrogates.
        return (
            (
                column.checked
                or (
                    min(map(len, values)) >= 1
                    and max(map(len, values)) <= spec.max_length
                    and _encodable(values)
                )
            )
            and not any(map(str.isspace, values))
            and not any(map(operator.contains, values, repeat("\x00")))
        )
    if spec.kind == "int" and column.kind != "int":
        return False
    if column.kind not in ("int", "float"):
        return False
    # A sum is finite only if every term is; it can overflow on huge finite values,
    # which the per-value pass then sorts out.
    if column.kind == "float" and not math.isfinite(sum(values)):
        return False
    low, high = min(values), max(values)
    if spec.minimum is not None and (low <= spec.minimum if spec.minimum_exclusive else low < spec.minimum):
        return False
    return not (spec.maximum is not None and high > spec.maximum)


def _original_values(column: _Object) -> Iterable[Any]:
    if column.kind == "float" and column.float_mask is not None:
        return (
            v if is_float else int(v) for v, is_float in zip(column.values, column.float_mask, strict=True)
        )
    return column.values


def _check_column(
    spec: ColumnSpec, column: _Object, labels: Sequence[str] | None, problems: _Problems
) -> None:
    if column.valid if column.valid is not None else _all_valid(spec, column):
        return
    for position, value in enumerate(_original_values(column)):
        message = _value_problem(spec, value)
        if message is not None:
            problems.add(spec.name, position, _label(labels, position), message)


def _label(labels: Sequence[Any] | None, position: int) -> str:
    return str(position if labels is None else labels[position])


def _typed(spec: ColumnSpec, column: _Object) -> Any:
    if spec.kind == "str":
        return column.values if column.kind == "str" else []
    typecode = "q" if spec.kind == "int" else "d"
    if isinstance(column.values, array) and column.values.typecode == typecode:
        return column.values
    return array(typecode, column.values)


def _check_duplicates(
    ids: list[str], labels: Sequence[str] | None, problems: _Problems, *, distinct: bool | None = None
) -> None:
    if distinct if distinct is not None else len(set(ids)) == len(ids):
        return
    first_seen: dict[str, int] = {}
    for position, spotify_id in enumerate(ids):
        earlier = first_seen.setdefault(spotify_id, position)
        if earlier != position:
            problems.add(
                "id",
                position,
                _label(labels, position),
                f"duplicate id {spotify_id!r}, first seen at row {_label(labels, earlier)}",
            )


def _validate_document(document: Any) -> SongColumns:
    if isinstance(document, _Object):
        return _validate_columnar(document)
    if isinstance(document, list):
        return _validate_rows(document)
    if isinstance(document, _RowColumns):
        return _validate_row_columns(document)
    raise SongFileError(
        [Problem(None, None, f"expected an object of columns or a list of rows, got {_describe(document)}")]
    )


def _validate_columnar(document: _Object) -> SongColumns:
    problems = _Problems()
    given = dict(zip(document.keys, document.values, strict=True)) if document.kind != "empty" else {}
    columns: dict[str, _Object] = {}
    for spec in COLUMNS:
        if spec.name not in given:
            problems.add(spec.name, None, None, "missing required column")
        elif not isinstance(given[spec.name], _Object):
            problems.add(
                spec.name,
                None,
                None,
                f"expected an object mapping row keys to values, got {_describe(given[spec.name])}",
            )
        else:
            columns[spec.name] = given[spec.name]
    if not columns:
        problems.raise_if_any()
    reference_name = "id" if "id" in columns else next(iter(columns))
    reference = columns[reference_name]
    labels = reference.keys
    for name, column in columns.items():
        if column.keys is labels:
            continue
        if len(column) != len(reference):
            problems.add(
                name,
                None,
                None,
                f'has {len(column)} rows but "{reference_name}" has {len(reference)}: columns must line up',
            )
            continue
        if column.keys != labels:
            position = next(i for i, (a, b) in enumerate(zip(column.keys, labels, strict=True)) if a != b)
            problems.add(
                name,
                position,
                str(column.keys[position]),
                f'row keys do not line up with column "{reference_name}": '
                f"key {column.keys[position]!r} where it has {labels[position]!r}",
            )
    for spec in COLUMNS:
        if spec.name in columns:
            _check_column(spec, columns[spec.name], columns[spec.name].keys, problems)
    if "id" in columns and columns["id"].kind == "str":
        _check_duplicates(columns["id"].values, labels, problems, distinct=columns["id"].distinct)
    problems.raise_if_any()
    return _build(columns)


def _validate_rows(document: list) -> SongColumns:
    """A row-list file from the standard library's decoder: rows of `_Row`, or anything
    else where a row is not an object."""
    problems = _Problems()
    if not all(type(row) is _Row for row in document):
        for position, row in enumerate(document):
            if type(row) is not _Row:
                problems.add(None, position, str(position), f"expected an object, got {_describe(row)}")
        document = [row if type(row) is _Row else _Row(repeat(_NOT_A_ROW, len(COLUMNS))) for row in document]
    if document:
        values = dict(zip(COLUMN_NAMES, map(list, zip(*document, strict=True)), strict=True))
    else:
        values = {name: [] for name in COLUMN_NAMES}
    del document
    return _validate_row_columns(_RowColumns(values), problems)


def _validate_row_columns(document: _RowColumns, problems: _Problems | None = None) -> SongColumns:
    problems = problems or _Problems()
    columns: dict[str, _Object] = {}
    for spec in COLUMNS:
        values = document.values.pop(spec.name)
        if values and all(value is MISSING for value in values):
            problems.add(spec.name, None, None, "missing required column (in every row)")
            continue
        compact, kind, mask = _compact(values)
        del values
        columns[spec.name] = _Object([], compact, kind, mask)
        _check_column(spec, columns[spec.name], None, problems)
    if "id" in columns and columns["id"].kind == "str":
        _check_duplicates(columns["id"].values, None, problems)
    problems.raise_if_any()
    return _build(columns)


def _build(columns: dict[str, _Object]) -> SongColumns:
    return SongColumns(
        spotify_ids=_typed(COLUMNS[0], columns["id"]),
        titles=_typed(COLUMNS[1], columns["title"]),
        features={spec.name: _typed(spec, columns[spec.name]) for spec in FEATURE_COLUMNS},
    )
