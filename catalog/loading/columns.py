"""The columns of a song file and the values each accepts.

The bounds mirror `catalog.models.Song`: its CheckConstraints, its `max_length`s, its
nullable fields and the sizes of its integer columns, so that a file which validates can
never be refused by the database half way through a load
(tests/catalog/test_loading_validation.py keeps the two in step).

A required column must be in the file and hold a value in every row. An optional column
may be absent (the load then leaves that field of existing songs alone) or hold null in a
row. `names` columns (artists, genres) hold a list of names or one string of names
separated by `;`, as the Spotify tracks CSV writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from catalog.audio import LOUDNESS_RANGE, MAX_TEMPO

INT32_MAX = 2**31 - 1
# A song credits at most this many artists and carries at most this many genres.
MAX_NAMES = 100
NAME_MAX_LENGTH = 500
GENRE_MAX_LENGTH = 100
# A title in UTF-8 bytes: PostgreSQL's B-tree indexes on the lowercased title hold at most
# ~2,700 bytes a row, and lower() can make a title half as long again in bytes (`Ⱥ`, 2 bytes,
# is `ⱥ`, 3). 1,000 characters of CJK or emoji are 3,000-4,000 bytes: refused, where the
# longest real title (511 characters) is 517.
TITLE_MAX_BYTES = 1600

Kind = Literal["str", "float", "int", "bool", "names"]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str  # the key in the file
    field: str  # the Song field it fills (for names: the relation)
    kind: Kind
    minimum: float | None = None
    maximum: float | None = None
    minimum_exclusive: bool = False
    max_length: int | None = None
    required: bool = True
    # Text that is one word: no white space, no control or invisible character (an id).
    one_word: bool = False
    max_bytes: int | None = None  # in UTF-8

    def describe_range(self) -> str:
        low = "" if self.minimum is None else f"{'>' if self.minimum_exclusive else '>='} {self.minimum:g}"
        high = "" if self.maximum is None else f"<= {self.maximum:g}"
        return " and ".join(part for part in (low, high) if part)


def _unit(name: str, *, required: bool = True) -> ColumnSpec:
    return ColumnSpec(name, name, "float", 0, 1, required=required)


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("id", "spotify_id", "str", max_length=64, one_word=True),
    ColumnSpec("title", "title", "str", max_length=1000, max_bytes=TITLE_MAX_BYTES),
    _unit("danceability"),
    _unit("energy"),
    ColumnSpec("key", "key", "int", -1, 11),
    ColumnSpec("loudness", "loudness", "float", *LOUDNESS_RANGE),
    ColumnSpec("mode", "mode", "int", 0, 1),
    _unit("acousticness"),
    _unit("instrumentalness"),
    _unit("liveness"),
    _unit("valence"),
    ColumnSpec("tempo", "tempo", "float", 0, MAX_TEMPO),
    ColumnSpec("duration_ms", "duration_ms", "int", 0, INT32_MAX, minimum_exclusive=True),
    ColumnSpec("time_signature", "time_signature", "int", 0, 12),
    ColumnSpec("num_bars", "num_bars", "int", 0, INT32_MAX, required=False),
    ColumnSpec("num_sections", "num_sections", "int", 0, INT32_MAX, required=False),
    ColumnSpec("num_segments", "num_segments", "int", 0, INT32_MAX, required=False),
    ColumnSpec("album", "album", "str", max_length=500, required=False),
    ColumnSpec("popularity", "popularity", "int", 0, 100, required=False),
    ColumnSpec("explicit", "explicit", "bool", required=False),
    _unit("speechiness", required=False),
    ColumnSpec("artists", "artists", "names", max_length=NAME_MAX_LENGTH, required=False),
    ColumnSpec("genres", "genres", "names", max_length=GENRE_MAX_LENGTH, required=False),
)

COLUMNS_BY_NAME: dict[str, ColumnSpec] = {spec.name: spec for spec in COLUMNS}
COLUMN_NAMES: tuple[str, ...] = tuple(COLUMNS_BY_NAME)
# Columns that fill a field of the song row itself, after the id and the title.
FEATURE_COLUMNS: tuple[ColumnSpec, ...] = tuple(spec for spec in COLUMNS[2:] if spec.kind != "names")
NAMES_COLUMNS: tuple[ColumnSpec, ...] = tuple(spec for spec in COLUMNS if spec.kind == "names")
