"""Reading and validating song files: pure code, no database (see `read`)."""

from catalog.loading.columns import COLUMNS, FEATURE_COLUMNS, NAMES_COLUMNS, ColumnSpec
from catalog.loading.problems import MAX_REPORTED_PROBLEMS, Problem, SongFileError
from catalog.loading.read import parse_song_file, parse_song_json, read_song_file, songs_from_rows
from catalog.loading.songfile import SkippedRow, SongColumns, SongFile

__all__ = [
    "COLUMNS",
    "FEATURE_COLUMNS",
    "MAX_REPORTED_PROBLEMS",
    "NAMES_COLUMNS",
    "ColumnSpec",
    "Problem",
    "SkippedRow",
    "SongColumns",
    "SongFile",
    "SongFileError",
    "parse_song_file",
    "parse_song_json",
    "read_song_file",
    "songs_from_rows",
]
