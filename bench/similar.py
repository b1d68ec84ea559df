"""Similar songs at scale: /api/songs/{id}/similar/'s selector on a large catalog.

    DATABASE_URL=postgres://.../md_similar_bench python bench/similar.py [--songs 1000000] [--seeds 40]

Fills the songs table with `--songs` songs of random audio features (SQL, in one
statement; reused when it already holds that many), then for `--seeds` random songs times
the nearest 10 through the GiST index (`song_similar`, what the API runs) and through the
portable path that computes every song's distance (`_nearest_scanned`, what SQLite runs and
what /similar/ ran on PostgreSQL before migration 0010). Also prints the index's size and
the time to build it. Figures go to bench/README.md, "Similar songs".
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")

FILL_SQL = """
INSERT INTO catalog_song (
    spotify_id, title, danceability, energy, key, loudness, mode, acousticness,
    instrumentalness, liveness, valence, tempo, duration_ms, time_signature
)
SELECT 'sim' || i, 'Song ' || i, random(), random(), (random() * 11)::int, -60 * random(),
       (random() < 0.5)::int, random(), random() * random(), random() * 0.5, random(),
       60 + 140 * random(), 120000 + (random() * 200000)::int, 4
FROM generate_series(1, %s) AS i
"""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--songs", type=int, default=1_000_000)
    parser.add_argument("--seeds", type=int, default=40)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from catalog.models import Song
    from catalog.selectors.similar import _nearest_scanned, song_similar
    from catalog.selectors.songs import song_list

    if connection.vendor != "postgresql":
        print("bench/similar.py needs PostgreSQL (DATABASE_URL)", file=sys.stderr)
        return 1
    call_command("migrate", verbosity=0)
    if Song.objects.count() != args.songs:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE catalog_song CASCADE")
            cursor.execute(FILL_SQL, [args.songs])
        print(f"filled {args.songs:,} songs in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE catalog_song")
        started = time.perf_counter()
        cursor.execute("REINDEX INDEX catalog_song_similarity_gist")
        build = time.perf_counter() - started
        cursor.execute("SELECT pg_size_pretty(pg_relation_size('catalog_song_similarity_gist'))")
        size = cursor.fetchone()[0]
    print(f"GiST index: {size}, built in {build:.1f} s")

    ids = list(Song.objects.values_list("id", flat=True).order_by("?")[: args.seeds])
    indexed, scanned = [], []
    for song_id in ids:
        song = Song.objects.get(pk=song_id)
        started = time.perf_counter()
        fast = song_similar(song=song, limit=10)
        indexed.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        slow = _nearest_scanned(song_list().exclude(pk=song.pk), song, 10)
        scanned.append((time.perf_counter() - started) * 1000)
        if [s.song.pk for s in fast][:5] != [other.pk for other, _ in slow][:5]:
            print(f"  seed {song_id}: the index and the scan disagree on the first five")
    for name, values in (
        ("GiST k-nearest-neighbour scan", indexed),
        ("every song's distance (portable)", scanned),
    ):
        print(
            f"| {name} | {args.songs:,} | {statistics.median(values):.1f} | {pct(values, 95):.1f} "
            f"| {max(values):.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
