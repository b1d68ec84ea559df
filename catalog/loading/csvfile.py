"""CSV song files, as the Spotify tracks dataset writes them, decoded into a `RawTable`.

The header names the columns. The dataset's names are mapped onto the loader's
(`track_id` -> id, `track_name` -> title, `album_name` -> album, `track_genre` -> genres);
the loader's own names work too, and unknown columns (such as a leading index) are
ignored. Cells are text: numbers, `True`/`False` and `;`-separated names are converted
here, and a cell that does not convert is kept as text for validation to report. An empty
cell is no value. Rows are labelled by their line in the file.

The dataset lists a track once per genre it is filed under: rows that share an id are one
song. Every row is validated on its own, under its own line, first; then the valid rows of
a track are merged (`merge_repeated_tracks`): the song has the genres of all of them (in
order of first appearance) and the highest popularity among them, and every other value
comes from the first valid one (a later row that gives another title, say, is not
reported: its value is ignored). A row without an id is invalid on its own line, never
merged with another.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any, cast

from catalog.loading.columns import COLUMNS_BY_NAME, MAX_NAMES, ColumnSpec
from catalog.loading.problems import MISSING, Problems, RawTable, file_error
from catalog.naming import name_key

HEADER_ALIASES = {"track_id": "id", "track_name": "title", "album_name": "album", "track_genre": "genres"}
_TRUE = {"true": True, "1": True, "false": False, "0": False}
EMPTY = "empty file: expected a header row naming the columns"


def decode(data: bytes) -> RawTable:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise file_error(f"not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    if not text or text.isspace():
        # White space only: as empty as a file of no bytes (the reader would take a blank
        # line for a header naming no known column). `isspace` stops at the first other
        # character, where `strip` would copy a whole file ending in a line break.
        raise file_error(EMPTY)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise file_error(EMPTY)
        positions = _header_positions(header)
        problems = Problems()
        # Each row by the line it starts on: `line_num` is where the reader stopped, the
        # record's last line when a quoted field spans several.
        rows = []
        ended = reader.line_num
        for row in reader:
            if row:
                rows.append((ended + 1, row))
            ended = reader.line_num
    except csv.Error as exc:
        raise file_error(f"not valid CSV: {exc} (line {reader.line_num})") from None
    width = len(header)
    for line, row in rows:
        if len(row) != width:
            problems.add(None, None, None, f"line {line}: {len(row)} fields, the header has {width}")
    rows = [(line, row) for line, row in rows if len(row) == width] if problems.total else rows
    labels = [line for line, _row in rows]
    transposed = list(zip(*(row for _line, row in rows), strict=True)) or [() for _ in header]
    cells = {name: transposed[index] for name, index in positions.items()}
    columns = {name: _convert(COLUMNS_BY_NAME[name], values) for name, values in cells.items()}
    return RawTable(
        columns={**columns}, labels=labels, problems=problems, merge_repeats=merge_repeated_tracks
    )


def _header_positions(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = HEADER_ALIASES.get(raw.strip(), raw.strip())
        if name in COLUMNS_BY_NAME:
            if name in positions:
                raise file_error(f'column "{name}" given more than once in the header')
            positions[name] = index
    if not positions:
        raise file_error("no known column in the header: is this a song file?")
    return positions


def _convert(spec: ColumnSpec, cells: tuple[str, ...]) -> list[Any]:
    if spec.kind in ("str", "names"):
        return [cell if cell else MISSING for cell in cells]
    converters: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "bool": _bool}
    convert = converters[spec.kind]
    if _plain("".join(cells)):
        try:
            return list(map(convert, cells))
        except ValueError:
            pass
    return [_convert_one(convert, cell) for cell in cells]


def _plain(text: str) -> bool:
    """No `_` and no character past ASCII: Python's int() and float() read `1_000` and the
    digits of other scripts (`１`) as numbers, which a file's numbers are not."""
    return "_" not in text and text.isascii()


def _bool(cell: str) -> bool:
    try:
        return _TRUE[cell.strip().lower()]
    except KeyError:
        raise ValueError(cell) from None


def _convert_one(convert: Any, cell: str) -> Any:
    if not cell.strip():
        return MISSING
    if not _plain(cell):
        return cell  # reported by validation as the text it is
    try:
        return convert(cell)
    except ValueError:
        return cell


def merge_repeated_tracks(table: RawTable) -> list[int]:
    """The valid rows repeating a track id folded into the first valid row of that id (its
    genres joined, the highest popularity kept), once validation has checked every row and
    parsed the names columns: the positions of the rows that stay. Invalid rows take no
    part. A row whose genres would give the song more than MAX_NAMES is a problem of its
    own line."""
    columns, problems = table.columns, table.problems
    invalid = problems.rows
    genres = cast("list[tuple[str, ...]] | None", columns.get("genres"))
    popularity = columns.get("popularity")
    first: dict[str, int] = {}
    keep: list[int] = []
    for position, track in enumerate(columns["id"]):
        if position in invalid:
            continue
        earlier = first.setdefault(track, position)
        if earlier == position:
            keep.append(position)
            continue
        if genres is not None and genres[position]:
            joined = _joined_names(genres[earlier], genres[position])
            if len(joined) > MAX_NAMES:
                problems.add(
                    "genres",
                    position,
                    table.label(position),
                    f"gives track {track!r} {len(joined)} genres with its earlier rows"
                    f" (from row {table.label(earlier)}), more than {MAX_NAMES}",
                )
                continue
            genres[earlier] = joined
        if popularity is not None and isinstance(popularity[position], int):
            known = popularity[earlier]
            if not isinstance(known, int) or popularity[position] > known:
                cast("list[Any]", popularity)[earlier] = popularity[position]
    return keep


def _joined_names(known: tuple[str, ...], more: tuple[str, ...]) -> tuple[str, ...]:
    """`known` followed by the names of `more` it does not have (by normalised name)."""
    keys = set(map(name_key, known))
    added = tuple(name for name in more if name_key(name) not in keys)
    return known + added if added else known
