"""Reading and validating song files: pure code, no database (see `songfile`)."""

from catalog.loading.columns import COLUMNS, FEATURE_COLUMNS, SONG_FIELDS, ColumnSpec
from catalog.loading.songfile import (
    MAX_REPORTED_PROBLEMS,
    Problem,
    SongColumns,
    SongFileError,
    parse_song_json,
    read_song_file,
    songs_from_rows,
)

__all__ = [
    "COLUMNS",
    "FEATURE_COLUMNS",
    "MAX_REPORTED_PROBLEMS",
    "SONG_FIELDS",
    "ColumnSpec",
    "Problem",
    "SongColumns",
    "SongFileError",
    "parse_song_json",
    "read_song_file",
    "songs_from_rows",
]
