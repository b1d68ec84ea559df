"""Where a load of new songs into a live catalog spends its time: index by index, trigger by
trigger, constraint by constraint.

    python bench/load_parts.py [--songs 1000000] [--base-songs 100000] [--database-url postgres://...]

On the database of --database-url (default: $BENCH_DATABASE_URL, else the local
`md_loader_parts`), migrated first, a catalog of --base-songs (bench/make_catalog.py, seed 7,
as in bench/load.py's live step) is loaded. Then, for each variant, the --songs catalog
(seed 42) goes through the PostgreSQL loader's own steps (`loading_postgres`: staging,
comparison, insert of the new songs, credits; then the deferred foreign-key checks that a
commit would run, and `search_index_refresh`) in a transaction that drops what the variant
names first and is rolled back at the end. Every variant starts from the same tables: a
CHECKPOINT before it, and VACUUM FULL of the tables a load writes after it (a rolled-back
load leaves a million dead entries in every index, and autovacuum may be off).

Prints a table for bench/README.md ("Loading").
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from load import checkpoint, empty_catalog, make_catalog  # noqa: E402 (bench/, the script's own directory, is on sys.path)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/md_loader_parts"
_WRITTEN = (
    "catalog_song",
    "catalog_searchword",
    "catalog_artist",
    "catalog_artistword",
    "catalog_songartist",
)
_DROP_CREDIT_KEYS = (
    "DO $$ DECLARE c record; BEGIN FOR c IN SELECT conname FROM pg_constraint"
    " WHERE conrelid = 'catalog_songartist'::regclass AND contype = 'f'"
    " LOOP EXECUTE format('ALTER TABLE catalog_songartist DROP CONSTRAINT %I', c.conname); END LOOP; END $$"
)
# (label, statements run first in the rolled-back transaction)
VARIANTS: list[tuple[str, list[str]]] = [
    ("as load_music runs it", []),
    ("without the title trigram index (GIN)", ["DROP INDEX catalog_song_title_trgm"]),
    ("without the title word list's trigger", ["DROP TRIGGER catalog_song_words_insert ON catalog_song"]),
    ("without the title prefix index", ["DROP INDEX catalog_song_title_lower_prefix"]),
    ("without the popularity index", ["DROP INDEX catalog_song_popularity_desc"]),
    (
        "songs with their primary key and spotify_id only",
        [
            "DROP INDEX catalog_song_title_trgm",
            "DROP INDEX catalog_song_title_lower_prefix",
            "DROP INDEX catalog_song_popularity_desc",
            "DROP INDEX catalog_song_rated_idx",
            "DROP TRIGGER catalog_song_words_insert ON catalog_song",
        ],
    ),
    ("GIN pending list of 64 MB (cleaned by the refresh)", ["SET LOCAL gin_pending_list_limit = '64MB'"]),
    ("credits without their foreign keys", [_DROP_CREDIT_KEYS]),
]


class _RolledBackError(Exception):
    pass


class _Phases(logging.Handler):
    """Collects the loader's phase timings (`load phase <name>: <seconds> s`)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        found = re.match(r"load phase (.+): (\d+\.\d+) s", record.getMessage())
        if found:
            self.seconds[found.group(1)] = float(found.group(2))


def run_variant(url: str, songs, statements: list[str]) -> dict[str, float]:
    from django.db import connection, transaction

    from catalog.services import loading_postgres
    from catalog.services.loading import PhaseTimer
    from catalog.services.search_index import search_index_refresh

    phases = _Phases()
    logger = logging.getLogger("catalog.services")
    logger.addHandler(phases)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    checkpoint(url)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            started = time.perf_counter()
            loading_postgres._stage(cursor, songs, 5_000, lambda n: None)
            phases.seconds["copy into staging"] = time.perf_counter() - started
            loading_postgres._write_changes(cursor, songs, PhaseTimer())
            started = time.perf_counter()
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            phases.seconds["foreign-key checks"] = time.perf_counter() - started
            started = time.perf_counter()
            search_index_refresh()
            phases.seconds["refresh"] = time.perf_counter() - started
            raise _RolledBackError
    except _RolledBackError:
        pass
    finally:
        logger.removeHandler(phases)
    with connection.cursor() as cursor:
        for table in _WRITTEN:
            cursor.execute(f"VACUUM FULL {table}")
        cursor.execute("VACUUM ANALYZE")
    return phases.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=1_000_000)
    parser.add_argument("--base-songs", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--workdir", default=str(BASE_DIR / "var" / "bench"))
    parser.add_argument(
        "--variants",
        help="comma-separated positions in VARIANTS, repeats allowed (e.g. 0,1,0,7,0: each against"
        " the load as it runs, on a machine whose speed drifts); default: each once",
    )
    args = parser.parse_args()
    chosen = [VARIANTS[int(i)] for i in args.variants.split(",")] if args.variants else VARIANTS
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from catalog.loading import read_song_file

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    empty_catalog(args.database_url)
    call_command("load_music", str(make_catalog(workdir, args.base_songs, seed=7)), verbosity=0)
    songs = read_song_file(make_catalog(workdir, args.songs, seed=42)).songs
    columns = [
        "copy into staging",
        "compare",
        "insert new songs",
        "link artists",
        "foreign-key checks",
        "refresh",
    ]
    rows = []
    for label, statements in chosen:
        seconds = run_variant(args.database_url, songs, statements)
        total = sum(seconds.get(column, 0.0) for column in columns)
        rows.append((label, [seconds.get(column, 0.0) for column in columns], total))
        phases = ", ".join(f"{column} {seconds.get(column, 0.0):.1f}" for column in columns)
        print(f"{label}: {total:.1f} s  {phases}", flush=True)
    print()
    print(f"| {args.songs:,} new songs into {args.base_songs:,} | " + " | ".join(columns) + " | sum |")
    print("|---" * (len(columns) + 2) + "|")
    for label, values, total in rows:
        print(f"| {label} | " + " | ".join(f"{v:.1f}" for v in values) + f" | {total:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
