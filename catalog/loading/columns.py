"""The columns of a song file and the values each accepts.

The bounds mirror `catalog.models.Song`: its CheckConstraints, its `max_length`s and the
sizes of its integer columns, so that a file which validates can never be refused by the
database half way through a load (tests/catalog/test_loading_validation.py keeps the two
in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

INT32_MAX = 2**31 - 1


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str  # the key in the file
    field: str  # the Song field it fills
    kind: Literal["str", "float", "int"]
    minimum: float | None = None
    maximum: float | None = None
    minimum_exclusive: bool = False
    max_length: int | None = None

    def describe_range(self) -> str:
        low = "" if self.minimum is None else f"{'>' if self.minimum_exclusive else '>='} {self.minimum:g}"
        high = "" if self.maximum is None else f"<= {self.maximum:g}"
        return " and ".join(part for part in (low, high) if part)


def _unit(name: str) -> ColumnSpec:
    return ColumnSpec(name, name, "float", 0, 1)


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("id", "spotify_id", "str", max_length=64),
    ColumnSpec("title", "title", "str", max_length=500),
    _unit("danceability"),
    _unit("energy"),
    ColumnSpec("key", "key", "int", -1, 11),
    ColumnSpec("loudness", "loudness", "float"),
    ColumnSpec("mode", "mode", "int", 0, 1),
    _unit("acousticness"),
    _unit("instrumentalness"),
    _unit("liveness"),
    _unit("valence"),
    ColumnSpec("tempo", "tempo", "float", 0),
    ColumnSpec("duration_ms", "duration_ms", "int", 0, INT32_MAX, minimum_exclusive=True),
    ColumnSpec("time_signature", "time_signature", "int", 0, 12),
    ColumnSpec("num_bars", "num_bars", "int", 0, INT32_MAX),
    ColumnSpec("num_sections", "num_sections", "int", 0, INT32_MAX),
    ColumnSpec("num_segments", "num_segments", "int", 0, INT32_MAX),
)

COLUMN_NAMES: tuple[str, ...] = tuple(spec.name for spec in COLUMNS)
FEATURE_COLUMNS: tuple[ColumnSpec, ...] = COLUMNS[2:]
# Song fields in the order `SongColumns.rows()` yields them.
SONG_FIELDS: tuple[str, ...] = tuple(spec.field for spec in COLUMNS)
