"""The floor of `bench/load.py`: a raw binary COPY of the rows a load of a file writes into
bare copies of their tables, plus building those tables' indexes one after the other (what
any first load must at least do). Parsing is not counted.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent


def connect(url: str):
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)


def _ids_by_key(name_lists: list[tuple[str, ...]], name_key: Callable[[str], str]) -> dict[str, int]:
    """Ids from 1 for the distinct normalised names of `name_lists`, in order of first sight."""
    ids: dict[str, int] = {}
    for names in name_lists:
        for name in names:
            ids.setdefault(name_key(name), len(ids) + 1)
    return ids


def floor(url: str, path: Path) -> tuple[float, str]:
    """Seconds of a raw binary COPY of the rows a load of the file writes (its songs, and
    when it has them, the artists and the credits, the genres and their links) into bare
    copies of their tables, plus building those tables' indexes, one after the other;
    parsing is not counted."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")
    sys.path.insert(0, str(BASE_DIR))
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from catalog.loading import read_song_file
    from catalog.models import Song
    from catalog.naming import name_key
    from catalog.services.loading_postgres import _COPY_TYPES

    songs = read_song_file(path).songs
    fields = songs.fields
    tables: list[tuple[str, list[str], list[str], Any]] = [
        (
            "catalog_song",
            ["id", *fields],
            ["int8", *(_COPY_TYPES[Song._meta.get_field(name).get_internal_type()] for name in fields)],
            ((i, *row) for i, row in enumerate(songs.rows(), 1)),
        )
    ]
    if "artists" in songs.names:
        artist_ids = _ids_by_key(songs.names["artists"], name_key)
        tables.append(
            (
                "catalog_artist",
                ["id", "name", "name_key"],
                ["int8", "text", "text"],
                ((i, key, key) for key, i in artist_ids.items()),
            )
        )
        tables.append(
            (
                "catalog_songartist",
                ["song_id", "artist_id", "position"],
                ["int8", "int8", "int2"],
                (
                    (song, artist_ids[name_key(name)], position)
                    for song, names in enumerate(songs.names["artists"], 1)
                    for position, name in enumerate(names)
                ),
            )
        )
    if "genres" in songs.names:
        genre_ids = _ids_by_key(songs.names["genres"], name_key)
        tables.append(
            ("catalog_genre", ["id", "name"], ["int8", "text"], ((i, key) for key, i in genre_ids.items()))
        )
        tables.append(
            (
                "catalog_song_genres",
                ["song_id", "genre_id"],
                ["int8", "int8"],
                (
                    (song, genre_ids[key])
                    for song, names in enumerate(songs.names["genres"], 1)
                    for key in dict.fromkeys(map(name_key, names))
                ),
            )
        )
    notes: list[str] = []
    total = 0.0
    with connect(url) as conn:
        for table, columns, wire, rows in tables:
            copy_of = f"bench_floor_{table}"
            conn.execute(f"DROP TABLE IF EXISTS {copy_of}")
            conn.execute(f"CREATE TABLE {copy_of} (LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY)")
            indexes = [
                row[0]
                .replace(f" ON public.{table} ", f" ON public.{copy_of} ")
                .replace("INDEX ", "INDEX floor_", 1)
                for row in conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
            ]
            conn.execute("CHECKPOINT")
            started = time.perf_counter()
            with conn.cursor().copy(
                f"COPY {copy_of} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(wire)
                for row in rows:
                    copy.write_row(row)
            notes.append(f"{table}: COPY {time.perf_counter() - started:.1f}s")
            for definition in indexes:
                before = time.perf_counter()
                conn.execute(definition)
                notes.append(f"{definition.split(' USING ')[1][:30]} {time.perf_counter() - before:.1f}s")
            total += time.perf_counter() - started
            conn.execute(f"DROP TABLE {copy_of}")
    return total, ", ".join(notes)
