"""Bulk upsert of songs from a validated song file (`catalog.loading`).

One call is one transaction: either every song of the file is in the catalog afterwards
(inserted, updated or found unchanged) or none of the file's changes is. Songs are matched
on `spotify_id`; an unchanged song is not written at all (its `updated_at` keeps its
value), and the rating aggregates (`average_rating`, `total_ratings`, `rating_score`) are
never written by a load, so they survive any re-load.

PostgreSQL: the songs table is locked against other writers (SHARE ROW EXCLUSIVE: reads go
on, concurrent loads and rating updates wait). A large load into an empty table, in a
transaction of its own, goes through a copy of the table (`catalog.services.table_swap`):
the file is COPYed into the copy, which is committed, so that its indexes can be built on
two connections at once; the copy is then swapped in for the table inside this transaction,
and the search word list written once from the loaded titles. Readers see the empty catalog
until the commit, then the whole file. Any other load into an empty table COPYs the file
straight into it (with the word list's insert trigger off for a large one). Otherwise the
file is COPYed (binary) into an unlogged staging table (created and dropped inside the
transaction), compared with the catalog in one parallel hash join that keeps only the new
and changed songs, and those are written by one
`INSERT ... ON CONFLICT (spotify_id) DO UPDATE ... WHERE ... IS DISTINCT FROM`, whose
`RETURNING (xmax = 0)` tells inserts from updates. When the songs to write are a large share
of the table (a first load, say), the secondary indexes (and, into an empty table, the unique
`spotify_id` constraint) are dropped first and rebuilt after the write, inside the same
transaction: one build is several times cheaper than row-by-row maintenance. DROP INDEX holds
an exclusive lock until commit, so readers wait for such a load instead of seeing part of it.
Figures: bench/README.md, "Loading".

SQLite: batches of `bulk_create(update_conflicts=True)`, unchanged songs filtered out first.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection, transaction

from catalog.loading import SONG_FIELDS, SongColumns
from catalog.models import Song, SongFileLoad
from catalog.selectors.search_text import WORD_SPLIT
from catalog.services.search_index import search_index_refresh
from catalog.services.table_swap import TableSwap, own_cursor

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5_000
# Rebuild secondary indexes instead of maintaining them when at least this many songs are
# written and they are at least this share of the table after the load.
INDEX_REBUILD_MIN_ROWS = 50_000
INDEX_REBUILD_MIN_SHARE = 0.25

# The statement-level trigger of migration 0003 that keeps the search word list in step
# with inserted titles.
WORD_LIST_INSERT_TRIGGER = "catalog_song_words_insert"
_WORD_TABLE = "catalog_searchword"

_STAGING = "catalog_song_load_staging"
_CHANGES = "song_load_changes"
# Lets the comparison's hash of a million songs (~200 MB) stay in memory.
COMPARE_WORK_MEM = "256MB"
# Wire types of the loaded columns, which must match the table's exactly for binary COPY.
_COPY_TYPES = {
    "CharField": ("text", "text"),
    "FloatField": ("float8", "double precision"),
    "SmallIntegerField": ("int2", "smallint"),
    "IntegerField": ("int4", "integer"),
    "BigAutoField": ("int8", "bigint"),
}

ProgressCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class SongUpsertResult:
    total: int
    created: int
    updated: int

    @property
    def unchanged(self) -> int:
        return self.total - self.created - self.updated


def song_upsert_many(
    *,
    songs: SongColumns,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
) -> SongUpsertResult:
    """Insert new songs, update changed ones, leave unchanged ones alone, all in one
    transaction. `songs` must come from `catalog.loading` (validated, no duplicate id).
    `on_progress(n)` is called as each batch of `n` songs has been sent to the database.

    Calls `search_index_refresh()` once, inside the transaction, when anything was written,
    and records the load (`SongFileLoad`). On PostgreSQL, a file whose songs are those of the
    last recorded load, with nothing written to the songs table since, is found unchanged
    without being compared.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    progress = on_progress or (lambda n: None)
    # Only a transaction of its own can lean on other connections seeing committed work.
    own_transaction = not connection.in_atomic_block and connection.get_autocommit()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with _ContentHash(songs) as content_hash:
                result, words_rebuilt = _upsert_postgres(
                    songs, batch_size, progress, own_transaction=own_transaction, content_hash=content_hash
                )
        else:
            result, words_rebuilt = _upsert_batched(songs, batch_size, progress), False
            _load_record(songs.content_hash(), result, songs_generation=None)
        if result.created or result.updated:
            timer = _Timer()
            if words_rebuilt:
                search_index_refresh(rebuild=True)
            else:
                search_index_refresh()
            timer.lap("search index refresh")
    return result


# ------------------------------------------------------------------------------
# PostgreSQL
# ------------------------------------------------------------------------------


class _Timer:
    """Phase timings at DEBUG level, which bench/load.py reports."""

    def __init__(self) -> None:
        self.last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        logger.debug("load phase %s: %.3f s", phase, now - self.last)
        self.last = now


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(field_name: str) -> str:
    return _quoted(Song._meta.get_field(field_name).column)


def _column_list(field_names, template: str = "{}") -> str:
    return ", ".join(template.format(_column(name)) for name in field_names)


def _upsert_postgres(
    songs: SongColumns,
    batch_size: int,
    progress: ProgressCallback,
    *,
    own_transaction: bool,
    content_hash: _ContentHash,
) -> tuple[SongUpsertResult, bool]:
    """The result, and whether the search word list must be rebuilt from the titles (its
    trigger was off during the write). Records the load (`SongFileLoad`) unless the catalog
    already held the file."""
    table = _quoted(Song._meta.db_table)
    timer = _Timer()
    with connection.cursor() as cursor:
        # Loads run one after the other (the mode conflicts with itself) and no other
        # writer can slip a song in between the count and the write; readers go on.
        cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        # Counting a million songs takes a fifth of a second: only the index rebuild
        # decision below needs the count, and only once there is much to write.
        cursor.execute(f"SELECT EXISTS (SELECT FROM {table})")
        (any_existing,) = cursor.fetchone()
        timer.lap("lock")

        if any_existing and _holds_last_load(cursor, content_hash.result(), len(songs)):
            timer.lap("unchanged since the last load of this file")
            return SongUpsertResult(total=len(songs), created=0, updated=0), False
        load = _Load(songs, batch_size, progress, timer, content_hash)
        if any_existing:
            result, words_rebuilt = _write_changes(cursor, load)
        elif (
            len(songs) >= INDEX_REBUILD_MIN_ROWS
            and own_transaction
            and _reads_what_others_commit(cursor)
            and TableSwap.possible(cursor, Song._meta.db_table)
        ):
            result, words_rebuilt = _load_by_swap(cursor, load)
        else:
            result, words_rebuilt = _load_into_empty(cursor, load)
        _load_record(content_hash.result(), result, songs_generation=_songs_generation(cursor))
        return result, words_rebuilt


def _reads_what_others_commit(cursor) -> bool:
    """Whether each statement of this transaction sees what other sessions have committed
    before it (READ COMMITTED, Django's default): a swap's songs are committed by other
    connections after this transaction has begun."""
    cursor.execute("SELECT current_setting('transaction_isolation') = 'read committed'")
    return cursor.fetchone()[0]


class _ContentHash:
    """`songs.content_hash()` (~0.2 s of CPU for a million songs), computed by a thread from
    `start()` on: a first load starts it while the database builds indexes, when a core is
    free; a re-load needs it at once."""

    def __init__(self, songs: SongColumns) -> None:
        self.songs = songs
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.future: Future[str] | None = None

    def start(self) -> None:
        if self.future is None:
            self.future = self.pool.submit(self.songs.content_hash)

    def result(self) -> str:
        self.start()
        return self.future.result()

    def __enter__(self) -> _ContentHash:
        return self

    def __exit__(self, *exc_info) -> None:
        self.pool.shutdown()


@dataclass(frozen=True, slots=True)
class _Load:
    """One file's load: what each way of writing it needs."""

    songs: SongColumns
    batch_size: int
    progress: ProgressCallback
    timer: _Timer
    content_hash: _ContentHash


class _TitleWordCounts:
    """The search word list's counts of the loaded titles, counted by the loader itself in
    `pool` (the ASCII titles in Python, the others by the database) while the database
    builds indexes: psycopg lets go of the GIL while it waits for them. Counting once is
    cheaper than the insert trigger's transition table of a million rows. They are the
    whole word list only when the table held no other titles."""

    def __init__(self, cursor, titles: list[str], pool: ThreadPoolExecutor) -> None:
        self.futures: list[Future[Counter[str]]] = []
        if _ascii_words_agree(cursor):
            self.futures = [
                pool.submit(_ascii_word_counts, titles),
                pool.submit(_other_word_counts, titles, connection.alias),
            ]

    def write(self, cursor) -> bool:
        """Write them as the word list; False when they could not be counted here, and the
        word list must be rebuilt from the table (`search_index_refresh(rebuild=True)`)."""
        if not self.futures:
            return False
        _word_list_write(cursor, sum((counts.result() for counts in self.futures), Counter()))
        return True


def _songs_generation(cursor) -> int:
    """Where the sequence that every write to the songs table moves on stands (0: never
    moved); migration 0008."""
    cursor.execute("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM catalog_song_generation")
    return cursor.fetchone()[0]


def _holds_last_load(cursor, content_hash: str, total: int) -> bool:
    """Whether these songs are those of the last recorded load and nothing has written the
    songs table since: then every one of them is in the catalog exactly as in the file.
    The caller holds the lock that keeps other writers out."""
    last = SongFileLoad.objects.first()
    return (
        last is not None
        and last.content_hash == content_hash
        and last.songs == total
        and last.songs_generation == _songs_generation(cursor)
    )


def _load_record(content_hash: str, result: SongUpsertResult, *, songs_generation: int | None) -> None:
    """Record the load, with where the songs' write sequence stands after it (PostgreSQL;
    None elsewhere)."""
    SongFileLoad.objects.create(
        content_hash=content_hash,
        songs=result.total,
        created=result.created,
        updated=result.updated,
        songs_generation=songs_generation,
    )


def _load_into_empty(cursor, load: _Load) -> tuple[SongUpsertResult, bool]:
    """Nothing to compare with or conflict with: the file goes straight into the table,
    which saves writing every song twice."""
    total = len(load.songs)
    table = _quoted(Song._meta.db_table)
    with (
        ThreadPoolExecutor(max_workers=2) as pool,
        _indexes_rebuilt_if(cursor, table, written=total, table_rows=total, unique_constraints=True),
        _word_trigger_disabled_if(cursor, table, active=total >= INDEX_REBUILD_MIN_ROWS) as trigger_off,
    ):
        _copy(cursor, table, load.songs, load.batch_size, load.progress)
        load.timer.lap("copy into songs")
        load.content_hash.start()
        word_counts = _TitleWordCounts(cursor, load.songs.titles, pool) if trigger_off else None
    load.timer.lap("index rebuild")
    words_rebuilt = False
    if word_counts is not None:
        words_rebuilt = not word_counts.write(cursor)
        load.timer.lap("word list")
    return SongUpsertResult(total=total, created=total, updated=0), words_rebuilt


def _write_changes(cursor, load: _Load) -> tuple[SongUpsertResult, bool]:
    """Into a table that holds songs: only the new and changed songs are written."""
    songs, timer = load.songs, load.timer
    total = len(songs)
    table = _quoted(Song._meta.db_table)
    columns = _column_list(SONG_FIELDS)
    # Unlogged rather than temporary: parallel workers can read it (they cannot read a
    # session's temporary tables), so the comparison below runs as a parallel hash
    # join, and its pages go through shared buffers instead of the session's small
    # temp_buffers. Created and dropped inside the transaction, it is never visible to
    # another session, and a crash rolls its creation back; loads never share it since
    # each takes the lock of `_upsert_postgres` first. The IF EXISTS covers a caller's transaction
    # that holds several loads.
    cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")
    typed_columns = ", ".join(f"{_column(name)} {_copy_type(name)[1]}" for name in SONG_FIELDS)
    cursor.execute(f"CREATE UNLOGGED TABLE {_STAGING} ({typed_columns})")
    _copy(cursor, _STAGING, songs, load.batch_size, load.progress)
    timer.lap("copy into staging")

    # Keep only the new and changed songs: one hash join instead of a million index
    # probes (an ON CONFLICT that finds every row unchanged is ~6x slower), and only
    # the songs to write are copied again, so re-loading an unchanged file is cheap.
    compared = SONG_FIELDS[1:]
    spotify_id = _column("spotify_id")
    current = _column_list(compared, "t.{}")
    # Every column is NOT NULL on both sides, so plain equality says the same as
    # IS DISTINCT FROM, and is cheaper than comparing two row values.
    same = " AND ".join(f"t.{_column(name)} = s.{_column(name)}" for name in compared)
    cursor.execute(f"SET LOCAL work_mem = '{COMPARE_WORK_MEM}'")
    # The planner prices gathering every staged row from the workers, but the join
    # keeps only the new and changed ones (usually few): without this it stays serial.
    cursor.execute("SET LOCAL parallel_tuple_cost = 0")
    cursor.execute(f"DROP TABLE IF EXISTS {_CHANGES}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {_CHANGES} ON COMMIT DROP AS"
        f" SELECT {_column_list(SONG_FIELDS, 's.{}')} FROM {_STAGING} s"
        f" LEFT JOIN {table} t ON t.{spotify_id} = s.{spotify_id}"
        f" WHERE t.{spotify_id} IS NULL OR NOT ({same})"
    )
    to_write = cursor.rowcount
    cursor.execute(f"DROP TABLE {_STAGING}")
    timer.lap("compare")
    if to_write == 0:
        cursor.execute(f"DROP TABLE {_CHANGES}")
        return SongUpsertResult(total=total, created=0, updated=0), False

    if to_write >= INDEX_REBUILD_MIN_ROWS:
        cursor.execute(f"SELECT count(*) FROM {table}")
        (existing,) = cursor.fetchone()
    else:
        existing = 0  # too few songs to write for a rebuild, whatever the table holds
    with _indexes_rebuilt_if(cursor, table, written=to_write, table_rows=existing + to_write):
        # The WHERE repeats the comparison so that a song changed by someone else
        # since is still judged against what it is now.
        cursor.execute(
            f"WITH upserted AS ("
            f" INSERT INTO {table} AS t ({columns}) SELECT {columns} FROM {_CHANGES}"
            f" ON CONFLICT ({spotify_id}) DO UPDATE SET {_column_list(compared, '{0} = EXCLUDED.{0}')},"
            f" {_column('updated_at')} = statement_timestamp()"
            f" WHERE ({current}) IS DISTINCT FROM ({_column_list(compared, 'EXCLUDED.{}')})"
            f" RETURNING (xmax = 0) AS created"
            f") SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM upserted"
        )
        created, updated = cursor.fetchone()
        timer.lap("upsert")
    timer.lap("index rebuild")
    cursor.execute(f"DROP TABLE {_CHANGES}")
    return SongUpsertResult(total=total, created=created, updated=updated), False


def _load_by_swap(cursor, load: _Load) -> tuple[SongUpsertResult, bool]:
    """A large first load: the songs are COPYed into a committed copy of the empty table,
    whose indexes are then built on two connections at once, and which is swapped in for
    the table inside this transaction (`TableSwap`). The copy has no triggers, so the word
    list is written here from the titles."""
    songs, timer = load.songs, load.timer
    swap = TableSwap.begin(cursor, Song._meta.db_table, connection.alias)
    try:
        # Two COPYs of half the songs each, on two connections: PostgreSQL then writes the
        # rows on both cores. The ids are handed out here, which also spares a nextval()
        # per row.
        first_id = swap.reserve_ids(Song._meta.pk.column, len(songs))
        middle = len(songs) // 2
        with ThreadPoolExecutor(max_workers=2) as pool:
            halves = [
                pool.submit(_copy_on_own_connection, swap.new_table, load, start, stop, first_id)
                for start, stop in ((0, middle), (middle, len(songs)))
            ]
            for half in halves:
                half.result()
        timer.lap("copy into songs")
        with ThreadPoolExecutor(max_workers=2) as pool:
            word_counts = _TitleWordCounts(cursor, songs.titles, pool)
            load.content_hash.start()
            swap.build_indexes()
            timer.lap("index rebuild")
            swap.swap_in(cursor)
            timer.lap("swap")
            words_written = word_counts.write(cursor)
            timer.lap("word list")
    except BaseException:
        swap.discard()
        raise
    return SongUpsertResult(total=len(songs), created=len(songs), updated=0), not words_written


def _copy_on_own_connection(table: str, load: _Load, start: int, stop: int, first_id: int) -> None:
    with own_cursor(connection.alias) as cursor:
        _copy(
            cursor,
            _quoted(table),
            load.songs,
            load.batch_size,
            load.progress,
            start=start,
            stop=stop,
            first_id=first_id,
        )


class _word_trigger_disabled_if:
    """Turns the search word list's insert trigger off for the write, when `active` and the
    trigger is there and enabled; entering returns whether it did, and then the caller must
    write the word list (`_word_list_write`, else `search_index_refresh(rebuild=True)`):
    counting the words once is cheaper than the trigger's transition table of a million
    rows.
    ALTER TABLE ... DISABLE TRIGGER is transactional and its lock is held until commit,
    so no other session ever writes while the trigger is off."""

    def __init__(self, cursor, table: str, *, active: bool) -> None:
        self.cursor = cursor
        self.table = table
        self.active = active
        self.disabled = False

    def __enter__(self) -> bool:
        if not self.active:
            return False
        self.cursor.execute(
            "SELECT 1 FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s AND tgenabled <> 'D'",
            [self.table, WORD_LIST_INSERT_TRIGGER],
        )
        if self.cursor.fetchone() is None:
            return False
        self.cursor.execute(f"ALTER TABLE {self.table} DISABLE TRIGGER {_quoted(WORD_LIST_INSERT_TRIGGER)}")
        self.disabled = True
        return True

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.disabled and exc_type is None:
            self.cursor.execute(
                f"ALTER TABLE {self.table} ENABLE TRIGGER {_quoted(WORD_LIST_INSERT_TRIGGER)}"
            )


# ASCII words as the word-list triggers split them, checked against the database's own
# lower() and [[:alnum:]] by `_ascii_words_agree` before it is relied on.
_ASCII_WORD = re.compile("[a-z0-9]+")
# The same split without a regular expression, twice as fast: every ASCII character that is
# not a lowercase letter or a digit becomes a space.
_ASCII_SEPARATORS = str.maketrans(
    {chr(code): " " for code in range(128) if not _ASCII_WORD.fullmatch(chr(code))}
)
_WORD_COUNT_CHUNK = 20_000


def _ascii_words_agree(cursor) -> bool:
    """Whether the database lowercases and splits every ASCII character as `_ASCII_WORD`
    does (true in UTF-8 and C locales; a Turkish locale's lower('I') is not ASCII)."""
    probe = " ".join(f"a{chr(code)}b" for code in range(1, 128))
    cursor.execute(
        "SELECT coalesce(array_agg(w ORDER BY n), '{}')"
        " FROM regexp_split_to_table(lower(%s), %s) WITH ORDINALITY AS t (w, n) WHERE w <> ''",
        [probe, WORD_SPLIT],
    )
    return cursor.fetchone()[0] == _ASCII_WORD.findall(probe.lower())


def _ascii_word_counts(titles: list[str]) -> Counter[str]:
    """The words of the ASCII titles, counted as the triggers count them (valid once
    `_ascii_words_agree`): the titles joined by a space (a separator) into one string per
    chunk, lowercased, its separators made spaces and split: ~10x faster than the same
    split in the database. In chunks, so that the thread lets go of the GIL between them."""
    counts: Counter[str] = Counter()
    for start in range(0, len(titles), _WORD_COUNT_CHUNK):
        chunk = " ".join([title for title in titles[start : start + _WORD_COUNT_CHUNK] if title.isascii()])
        counts.update(chunk.lower().translate(_ASCII_SEPARATORS).split())
    return counts


def _other_word_counts(titles: list[str], alias: str) -> Counter[str]:
    """The words of the titles that are not ASCII, counted by the database itself, so that
    lower() and [:alnum:] are its own for every script. The titles go as one string, joined
    by a line break (a separator): one lower() and one split instead of one of each per
    title, 3x faster. On a connection of its own: the statement reads no table, and it runs
    while the load's connection builds the indexes instead of after them (~0.2 s for 85k
    such titles)."""
    others = [title for title in titles if not title.isascii()]
    if not others:
        return Counter()
    with own_cursor(alias) as cursor:
        cursor.execute(
            "SELECT w, count(*) FROM regexp_split_to_table(lower(%s), %s) AS w WHERE w <> '' GROUP BY w",
            ["\n".join(others), WORD_SPLIT],
        )
        return Counter(dict(cursor.fetchall()))


def _word_list_write(cursor, counts: Counter[str]) -> None:
    """Replace the search word list with `counts`, which must count the words of every title
    in the catalog (`_ascii_word_counts` plus `_other_word_counts`)."""
    cursor.execute(f"DELETE FROM {_WORD_TABLE}")
    with cursor.cursor.copy(f"COPY {_WORD_TABLE} (word, ndoc) FROM STDIN") as copy:
        for word, ndoc in counts.items():
            copy.write_row((word, ndoc))


def _copy_type(field_name: str) -> tuple[str, str]:
    return _COPY_TYPES[Song._meta.get_field(field_name).get_internal_type()]


def _copy(
    cursor,
    table: str,
    songs: SongColumns,
    batch_size: int,
    progress: ProgressCallback,
    *,
    start: int = 0,
    stop: int | None = None,
    first_id: int | None = None,
) -> None:
    """COPY songs `start` to `stop` into `table`; with `first_id`, their primary keys are
    given, counting from `first_id` for song 0, instead of drawn from the sequence."""
    stop = len(songs) if stop is None else stop
    fields = list(SONG_FIELDS)
    types = [_copy_type(name)[0] for name in fields]
    if first_id is not None:
        fields.insert(0, Song._meta.pk.name)
        types.insert(0, _copy_type(Song._meta.pk.name)[0])
    pg_cursor = cursor.cursor  # psycopg's own cursor, under Django's wrapper
    with pg_cursor.copy(f"COPY {table} ({_column_list(fields)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        write_row = copy.write_row
        for batch_start in range(start, stop, batch_size):
            batch_stop = min(batch_start + batch_size, stop)
            rows = songs.rows(batch_start, batch_stop)
            if first_id is not None:
                ids = range(first_id + batch_start, first_id + batch_stop)
                rows = ((song_id, *row) for song_id, row in zip(ids, rows, strict=True))
            for row in rows:
                write_row(row)
            progress(batch_stop - batch_start)


class _indexes_rebuilt_if:
    """Drops the table's secondary indexes on entry and recreates them on exit, when the
    write is large enough to make one build cheaper than row-by-row maintenance.

    Indexes backing a constraint stay: the upsert's ON CONFLICT needs the unique one.
    With `unique_constraints=True` (a load into an empty table, which has nothing to
    conflict with) the unique constraints that no foreign key depends on are dropped and
    added back too: validation already refused duplicate ids, and building the unique
    index once is about twice as fast as a million random insertions into it. Names and
    definitions come from the catalogs, so indexes added by later migrations are handled.
    """

    def __init__(
        self, cursor, table: str, *, written: int, table_rows: int, unique_constraints: bool = False
    ) -> None:
        self.cursor = cursor
        self.table = table
        self.active = written >= INDEX_REBUILD_MIN_ROWS and written >= INDEX_REBUILD_MIN_SHARE * table_rows
        self.unique_constraints = unique_constraints
        self.constraints: list[tuple[str, str]] = []
        self.indexes: list[str] = []

    def __enter__(self) -> None:
        if not self.active:
            return
        if self.unique_constraints:
            self.cursor.execute(
                "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
                " WHERE c.conrelid = %s::regclass AND c.contype = 'u' AND NOT EXISTS ("
                "  SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)",
                [self.table],
            )
            self.constraints = self.cursor.fetchall()
        self.cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() AND tablename = %s"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [Song._meta.db_table, self.table],
        )
        found = self.cursor.fetchall()
        for name, _definition in self.constraints:
            self.cursor.execute(f"ALTER TABLE {self.table} DROP CONSTRAINT {_quoted(name)}")
        for name, definition in found:
            self.cursor.execute(f"DROP INDEX {_quoted(name)}")
            self.indexes.append(definition)

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            return  # the transaction rolls back, and the drops with it
        for name, definition in self.constraints:
            self.cursor.execute(f"ALTER TABLE {self.table} ADD CONSTRAINT {_quoted(name)} {definition}")
        for definition in self.indexes:
            self.cursor.execute(definition)


# ------------------------------------------------------------------------------
# SQLite (and any other backend)
# ------------------------------------------------------------------------------

# Stay below SQLite's default limit of 999 bound parameters per statement.
_LOOKUP_CHUNK = 900


def _upsert_batched(songs: SongColumns, batch_size: int, progress: ProgressCallback) -> SongUpsertResult:
    compared = SONG_FIELDS[1:]
    created = updated = 0
    for start in range(0, len(songs), batch_size):
        stop = min(start + batch_size, len(songs))
        batch = list(songs.rows(start, stop))
        ids = [row[0] for row in batch]
        current: dict[str, tuple] = {}
        for chunk_start in range(0, len(ids), _LOOKUP_CHUNK):
            chunk = ids[chunk_start : chunk_start + _LOOKUP_CHUNK]
            for spotify_id, *values in Song.objects.filter(spotify_id__in=chunk).values_list(
                "spotify_id", *compared
            ):
                current[spotify_id] = tuple(values)
        to_write = []
        for row in batch:
            known = current.get(row[0])
            if known is None:
                created += 1
            elif known != row[1:]:
                updated += 1
            else:
                continue
            to_write.append(Song(**dict(zip(SONG_FIELDS, row, strict=True))))
        if to_write:
            Song.objects.bulk_create(
                to_write,
                batch_size=batch_size,
                update_conflicts=True,
                unique_fields=["spotify_id"],
                update_fields=[*compared, "updated_at"],
            )
        progress(stop - start)
    return SongUpsertResult(total=len(songs), created=created, updated=updated)
