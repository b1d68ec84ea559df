"""The PostgreSQL path of `catalog.services.loading.song_upsert_many`.

The songs table is locked against other writers (SHARE ROW EXCLUSIVE: reads go on,
concurrent loads and rating updates wait). A file whose songs are those of the last
recorded load, with nothing written since to the songs, their credits, their genres or the
artists (a sequence that statement triggers move on, migrations 0008 and 0009), is found
unchanged without being compared. Otherwise the file is COPYed (binary) into a temporary
staging table and compared with the catalog in one statement that keeps only the new and
changed songs (values, credits or genres), and those are written set-wise: one INSERT of
the new songs, one UPDATE of the changed ones, and their credits and genres replaced. The
search word lists follow through their statement-level triggers, in one statement each.
New songs draw their ids and are written, with their credits, most popular first
(`_popular_first`), for the search.
Every index is maintained as the rows go in, so readers are never blocked (dropping the
indexes and building them after a first load's insert bought too little end to end to keep:
bench/README.md, "Loading", which has the figures of each step).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat
from typing import Any

from django.db import connection
from django.db.models import Field
from psycopg.adapt import Dumper
from psycopg.postgres import types as postgres_types
from psycopg.pq import Format

from catalog.loading import SongColumns
from catalog.models import Song, SongFileLoad
from catalog.naming import name_key
from catalog.services.loading import (
    PhaseTimer,
    ProgressCallback,
    SongUpsertResult,
    compared_keys,
    song_file_load_record,
)
from catalog.song_locks import songs_lock_for_load

_STAGING = "song_load_staging"
_CHANGES = "song_load_changes"
# Lets the comparison's hash of a million songs stay in memory.
_COMPARE_WORK_MEM = "256MB"
# Wire types of the loaded columns, which must match the staging table's for binary COPY.
_TEXT_ARRAY_OID = postgres_types["text"].array_oid
_COPY_TYPES = {
    "CharField": "text",
    "FloatField": "float8",
    "SmallIntegerField": "int2",
    "IntegerField": "int4",
    "BooleanField": "bool",
}


def song_upsert_many(
    *, songs: SongColumns, batch_size: int, progress: ProgressCallback, timer: PhaseTimer
) -> SongUpsertResult:
    """Call inside a transaction (the caller's `transaction.atomic`)."""
    content_hash = songs.content_hash()
    songs_lock_for_load()
    with connection.cursor() as cursor:
        if _holds_last_load(cursor, content_hash, len(songs)):
            progress(len(songs))
            timer.lap("unchanged since the last load of this file")
            unchanged = SongUpsertResult(total=len(songs), created=0, updated=0)
            # Recorded as every load is (the ORM path's too), with the same sequence value:
            # the next re-load of this file takes the same shortcut.
            song_file_load_record(
                content_hash=content_hash, result=unchanged, songs_generation=_songs_generation(cursor)
            )
            return unchanged
        _stage(cursor, songs, batch_size, progress)
        timer.lap("copy into staging")
        result = _write_changes(cursor, songs, timer)
        song_file_load_record(
            content_hash=content_hash, result=result, songs_generation=_songs_generation(cursor)
        )
    return result


def _songs_generation(cursor) -> int:
    cursor.execute("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM catalog_song_generation")
    return cursor.fetchone()[0]


def _holds_last_load(cursor, content_hash: str, total: int) -> bool:
    """Whether these songs are those of the last recorded load and nothing has written what a
    load writes since. The caller holds the lock that keeps other writers out."""
    last = SongFileLoad.objects.first()
    return (
        last is not None
        and last.content_hash == content_hash
        and last.songs == total
        and last.songs_generation == _songs_generation(cursor)
    )


def _column(field_name: str) -> str:
    field = Song._meta.get_field(field_name)
    # Only the songs table's own columns are named here, never a relation without one.
    assert isinstance(field, Field) and field.column is not None
    return connection.ops.quote_name(field.column)


def _columns(fields: list[str], template: str = "{}") -> str:
    return ", ".join(template.format(_column(name)) for name in fields)


def _stage(cursor, songs: SongColumns, batch_size: int, progress: ProgressCallback) -> None:
    """COPY the file into `_STAGING`: its song columns, its row number, and for the names
    columns it has, the names and their keys (credits in order, genres sorted)."""
    fields = songs.fields
    types = [_COPY_TYPES[Song._meta.get_field(name).get_internal_type()] for name in fields]
    names = list(songs.names)
    extra = [f"{column}_names" for column in names] + [f"{column}_keys" for column in names]
    cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")
    definitions = ", ".join(
        [f"{_column(name)} {kind}" for name, kind in zip(fields, types, strict=True)]
        + [f"{name} text[]" for name in extra]
        + ["ord int"]
    )
    cursor.execute(f"CREATE TEMPORARY TABLE {_STAGING} ({definitions}) ON COMMIT DROP")
    copied = ", ".join([_columns(fields), *extra, "ord"])
    with connection.connection.cursor() as copy_cursor:
        # psycopg dumps a list in Python, ~10 s for the four arrays of a million rows: each
        # distinct one is dumped once here, and the COPY takes those bytes as they are.
        dump_array = copy_cursor.adapters.get_dumper_by_oid(_TEXT_ARRAY_OID, Format.BINARY)(
            list, copy_cursor
        ).dump
        copy_cursor.adapters.register_dumper(None, _DumpedTextArray)
        staged = [_staged_names(column, songs.names[column], dump_array) for column in names]
        cells = [shown for shown, _ in staged] + [keys for _, keys in staged]
        with copy_cursor.copy(f"COPY {_STAGING} ({copied}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types + ["text[]"] * len(extra) + ["int4"])
            write_row = copy.write_row
            for start in range(0, len(songs), batch_size):
                stop = min(start + batch_size, len(songs))
                names_cells = (
                    zip(*(column[start:stop] for column in cells), strict=True)
                    if cells
                    else repeat((), stop - start)
                )
                rows = zip(songs.rows(start, stop), names_cells, strict=True)
                for position, (row, row_names) in enumerate(rows, start):
                    write_row((*row, *row_names, position))
                progress(stop - start)
    cursor.execute(f"ANALYZE {_STAGING}")


class _DumpedTextArray(Dumper):
    """A `text[]` already in PostgreSQL's binary form (registered by type oid only, on the
    staging COPY's own cursor)."""

    format = Format.BINARY
    oid = _TEXT_ARRAY_OID

    def dump(self, obj: bytes) -> bytes:
        return obj


def _staged_names(
    column: str, songs_names: list[tuple[str, ...]], dump_array: Callable[[list[str]], Any]
) -> tuple[list[bytes], list[bytes]]:
    """Each song's names of `column` and their keys, as staged `text[]` values. Validation
    gives the rows that repeat a cell one shared tuple, so each distinct tuple is worked
    out once (by identity, which stays unique while `songs_names` holds it)."""
    done: dict[int, tuple[bytes, bytes]] = {}
    shown: list[bytes] = []
    keys: list[bytes] = []
    for names in songs_names:
        if (cells := done.get(id(names))) is None:
            keyed = list(compared_keys(column, map(name_key, names)))
            cells = done[id(names)] = (bytes(dump_array(list(names))), bytes(dump_array(keyed)))
        shown.append(cells[0])
        keys.append(cells[1])
    return shown, keys


# What each names column links: (link table, its column to the named table, named table,
# the named table's key column, whether the link has a position).
_LINKS = {
    "artists": ("catalog_songartist", "artist_id", "catalog_artist", "name_key", True),
    "genres": ("catalog_song_genres", "genre_id", "catalog_genre", "name", False),
}


def _current_keys(column: str) -> str:
    """A subquery: each song's current names of `column` as `_names_cells` stages them."""
    link, link_column, named, key, positioned = _LINKS[column]
    # Unpositioned names in code-point order, as Python sorts the file's (`compared_keys`):
    # the database's own collation (en_US, ICU) orders them otherwise, and the song would
    # read as changed on every re-load.
    order = "l.position" if positioned else f'n.{key} COLLATE "C"'
    return (
        f"SELECT l.song_id, array_agg(n.{key}::text ORDER BY {order}) AS keys"
        f" FROM {link} l JOIN {named} n ON n.id = l.{link_column} GROUP BY l.song_id"
    )


def _write_changes(cursor, songs: SongColumns, timer: PhaseTimer) -> SongUpsertResult:
    fields = songs.fields
    compared = fields[1:]
    names = list(songs.names)
    table = Song._meta.db_table
    spotify_id = _column("spotify_id")
    differs = [f"({_columns(compared, 't.{}')}) IS DISTINCT FROM ({_columns(compared, 's.{}')})"]
    joins = []
    for column in names:
        joins.append(f" LEFT JOIN ({_current_keys(column)}) AS cur_{column} ON cur_{column}.song_id = t.id")
        differs.append(f"coalesce(cur_{column}.keys, '{{}}') IS DISTINCT FROM s.{column}_keys")
    flags = "".join(
        f", ({differ}) AS {column}_changed" for column, differ in zip(names, differs[1:], strict=True)
    )
    cursor.execute(f"SET LOCAL work_mem = '{_COMPARE_WORK_MEM}'")
    cursor.execute(f"DROP TABLE IF EXISTS {_CHANGES}")
    # The sequence named once: pg_get_serial_sequence() in the statement would run per row.
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    # A new song draws its id here: nextval() runs only for the rows that COALESCE reaches,
    # after the ORDER BY (PostgreSQL computes a volatile output column after sorting).
    cursor.execute(
        f"CREATE TEMPORARY TABLE {_CHANGES} ON COMMIT DROP AS"
        f" SELECT s.*, t.id IS NULL AS is_new,"
        f" coalesce(t.id, nextval(%s::regclass)) AS song_id{flags}"
        f" FROM {_STAGING} s LEFT JOIN {table} t ON t.{spotify_id} = s.{spotify_id}{''.join(joins)}"
        f" WHERE t.id IS NULL OR {' OR '.join(differs)}{_popular_first(fields)}",
        [sequence],
    )
    timer.lap("compare")
    if cursor.rowcount == 0:
        return SongUpsertResult(total=len(songs), created=0, updated=0)
    cursor.execute(
        f"INSERT INTO {table} (id, {_columns(fields)})"
        f" SELECT song_id, {_columns(fields)} FROM {_CHANGES} WHERE is_new{_laid_out(fields, '')}"
    )
    created = cursor.rowcount
    timer.lap("insert new songs")
    assignments = _columns(compared, "{0} = c.{0}")
    cursor.execute(
        f"UPDATE {table} t SET {assignments}, {_column('updated_at')} = statement_timestamp()"
        f" FROM {_CHANGES} c WHERE t.id = c.song_id AND NOT c.is_new"
    )
    updated = cursor.rowcount
    timer.lap("update changed songs")
    for column in names:
        _relink(cursor, column, _laid_out(fields, "c."))
        timer.lap(f"link {column}")
    return SongUpsertResult(total=len(songs), created=created, updated=updated)


def _popular_first(fields: list[str]) -> str:
    """The order in which new songs draw their ids and are written, with their credits:
    most popular first (when the file has popularity). A search reads a bounded number of
    matches of each way in table order (`catalog.selectors.search_ways`): laid out so, those
    are the most popular ones, where the file's order gave arbitrary ones (the best-known
    songs holding a common word could be out of reach of every page). Ids drawn in that order
    keep each index's inserts in key order."""
    if "popularity" not in fields:
        return ""
    return f" ORDER BY s.{_column('popularity')} DESC NULLS LAST, s.ord"


def _laid_out(fields: list[str], alias: str) -> str:
    """Rows of `_CHANGES` (as `alias`) in the order their songs' ids were drawn, which
    `_popular_first` chose."""
    return f" ORDER BY {alias}song_id" if _popular_first(fields) else ""


def _relink(cursor, column: str, order: str) -> None:
    """Replace the `column` links of the changed songs whose names changed (every new song's)
    with the staged ones, creating the named rows that do not exist yet; the links written
    in `order` (an ORDER BY on `_CHANGES c`, or nothing)."""
    link, link_column, named, key, positioned = _LINKS[column]
    changed = f"(c.is_new OR c.{column}_changed)"
    if named == "catalog_artist":
        cursor.execute(
            f"INSERT INTO {named} (name, {key}) SELECT DISTINCT ON (k) n, k"
            f" FROM {_CHANGES} c, unnest(c.{column}_names, c.{column}_keys) WITH ORDINALITY AS u (n, k, i)"
            f" WHERE {changed} ORDER BY k, c.ord, u.i ON CONFLICT ({key}) DO NOTHING"
        )
    else:
        cursor.execute(
            f"INSERT INTO {named} ({key}) SELECT DISTINCT k FROM {_CHANGES} c, unnest(c.{column}_keys) AS k"
            f" WHERE {changed} ON CONFLICT ({key}) DO NOTHING"
        )
    cursor.execute(
        f"DELETE FROM {link} WHERE song_id IN"
        f" (SELECT c.song_id FROM {_CHANGES} c WHERE NOT c.is_new AND {changed})"
    )
    position = ", position" if positioned else ""
    position_value = ", u.i - 1" if positioned else ""
    cursor.execute(
        f"INSERT INTO {link} (song_id, {link_column}{position})"
        f" SELECT c.song_id, n.id{position_value} FROM {_CHANGES} c,"
        f" unnest(c.{column}_keys) WITH ORDINALITY AS u (k, i) JOIN {named} n ON n.{key} = u.k"
        f" WHERE {changed}{order}"
    )
