"""Builders of song files for the loader tests, what the parser makes of them, and the titles a
search lists (no tests here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from catalog.loading import COLUMNS, SongFileError, parse_song_json, songs_from_rows
from catalog.services.loading import SongUpsertResult, song_upsert_many


def upsert(rows: list[dict[str, Any]], **kwargs: Any) -> SongUpsertResult:
    """Load `rows` (of `song_row`'s format) as `load_music` would, in one upsert."""
    return song_upsert_many(songs=songs_from_rows(rows), **kwargs)


def song_row(i: int, **overrides: Any) -> dict[str, Any]:
    """A valid row of the playlist format (with the `class` column the loader ignores)."""
    row = {
        "id": f"{i:022d}",
        "title": f"Song number {i}",
        "danceability": 0.5,
        "energy": 0.75,
        "key": i % 12,
        "loudness": -6.25,
        "mode": i % 2,
        "acousticness": 0.125,
        "instrumentalness": 0.0,
        "liveness": 0.1,
        "valence": 0.5,
        "tempo": 120.5,
        "duration_ms": 200_000 + i,
        "time_signature": 4,
        "num_bars": 100,
        "num_sections": 8,
        "num_segments": 800,
        "class": 1,
    }
    row.update(overrides)
    return row


def columnar(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The columnar layout of `rows` (pandas' to_json): {column: {"0": value, ...}}."""
    given = [spec.name for spec in COLUMNS] + ["class"]
    names = [name for name in given if any(name in row for row in rows)] if rows else list(song_row(0))
    return {name: {str(i): row[name] for i, row in enumerate(rows) if name in row} for name in names}


def write_json(path: Path, document: Any) -> Path:
    # allow_nan: the files must be able to carry NaN/Infinity for the loader to refuse them.
    path.write_text(json.dumps(document, allow_nan=True), encoding="utf-8")
    return path


CSV_HEADER = (
    "track_id,artists,album_name,track_name,popularity,duration_ms,explicit,danceability,energy,key,"
    "loudness,mode,speechiness,acousticness,instrumentalness,liveness,valence,tempo,time_signature,track_genre"
)


def csv_line(i: int, **overrides: Any) -> str:
    """A row of the Spotify tracks CSV format (cells as text)."""
    cells = {
        "track_id": f"{i:022d}",
        "artists": "Ed Sheeran",
        "album_name": "Divide",
        "track_name": f"Song number {i}",
        "popularity": "73",
        "duration_ms": str(200_000 + i),
        "explicit": "False",
        "danceability": "0.5",
        "energy": "0.75",
        "key": str(i % 12),
        "loudness": "-6.25",
        "mode": str(i % 2),
        "speechiness": "0.05",
        "acousticness": "0.125",
        "instrumentalness": "0",
        "liveness": "0.1",
        "valence": "0.5",
        "tempo": "120.5",
        "time_signature": "4",
        "track_genre": "pop",
    }
    cells.update({key: str(value) for key, value in overrides.items()})
    return ",".join(f'"{value}"' if "," in value else value for value in cells.values())


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([CSV_HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def parse(document) -> object:
    """`document` (any JSON value, NaN and infinities allowed) read as a song file."""
    return parse_song_json(json.dumps(document, allow_nan=True))


def problems_of(document) -> SongFileError:
    """The error `document` is refused with."""
    with pytest.raises(SongFileError) as caught:
        parse(document)
    return caught.value


def only_problem(document) -> str:
    """The one problem `document` is refused for."""
    error = problems_of(document)
    assert error.total == 1, error.report()
    return str(error.problems[0])


def searched_titles(api_client, query: str, **params: Any) -> list[str]:
    """The titles of the first page of `GET /api/songs/?search=query`, in order."""
    response = api_client.get("/api/songs/", {"search": query, **params})
    assert response.status_code == 200, response.json()
    return [song["title"] for song in response.json()["results"]]
