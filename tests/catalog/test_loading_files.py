"""Builders of song files for the loader tests (no tests here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from catalog.loading import COLUMNS


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
    names = [spec.name for spec in COLUMNS] + ["class"]
    return {name: {str(i): row[name] for i, row in enumerate(rows) if name in row} for name in names}


def write_json(path: Path, document: Any) -> Path:
    # allow_nan: the files must be able to carry NaN/Infinity for the loader to refuse them.
    path.write_text(json.dumps(document, allow_nan=True), encoding="utf-8")
    return path
