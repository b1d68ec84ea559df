"""Similar songs at scale: what /api/songs/{id}/similar/ costs on a large catalog.

    DATABASE_URL=postgres://.../md_similar_bench python bench/similar.py [--songs 1000000] [--seeds 40]

Fills the songs table with `--songs` songs of random audio features (SQL, in one
statement; reused when it already holds that many), then times what a process pays once,
reading the catalog into the engine's arrays (and saving them for the other processes), then
what another process pays once, taking them from that snapshot (`recommendations/snapshot.py`;
both as after a model build, whose time bounds a snapshot's age), and, for `--seeds` random
songs, the ten most similar songs (`recommendations.services.similar_to`, what the API runs:
the engine's `sound_similarity` over every song, then the ten songs read for the answer).
Figures go to bench/README.md, "Similar songs".
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
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
    parser.add_argument("--first-call", type=int, help=argparse.SUPPRESS)  # the other process
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from catalog.models import Song
    from recommendations.model import MODEL_BUILT_KEY, model_forget
    from recommendations.services import similar_to

    if args.first_call is not None:
        started = time.perf_counter()
        similar_to(song_id=args.first_call, limit=10)
        print(f"{time.perf_counter() - started:.2f}")
        return 0

    if connection.vendor != "postgresql":
        print("bench/similar.py needs PostgreSQL (DATABASE_URL)", file=sys.stderr)
        return 1
    call_command("migrate", verbosity=0)
    if Song.objects.count() != args.songs:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE catalog_song CASCADE")
            cursor.execute(FILL_SQL, [args.songs])
            cursor.execute("VACUUM ANALYZE catalog_song")
        print(f"filled {args.songs:,} songs in {time.perf_counter() - started:.1f} s")
    print(f"load average {os.getloadavg()[0]:.1f}")
    ids = list(Song.objects.values_list("id", flat=True).order_by("?")[: args.seeds])
    model_forget()
    cache.set(MODEL_BUILT_KEY, time.time() - 1, None)  # as after a model build
    started = time.perf_counter()
    similar_to(song_id=ids[0], limit=10)
    print(f"first call (reads the catalog into the engine's arrays): {time.perf_counter() - started:.1f} s")
    other = subprocess.run(
        [sys.executable, __file__, "--first-call", str(ids[1])], capture_output=True, text=True, check=True
    )
    print(f"another process's first call (the arrays from the snapshot): {other.stdout.strip()} s")
    times, scores = [], []
    for song_id in ids:
        started = time.perf_counter()
        found = similar_to(song_id=song_id, limit=10)
        times.append((time.perf_counter() - started) * 1000)
        scores.append(statistics.mean(item["score"] for item in found))
    print(
        f"similar_to(limit=10), {args.songs:,} songs: p50 {statistics.median(times):.1f} / "
        f"p95 {pct(times, 95):.1f} / max {max(times):.1f} ms; mean score of the ten "
        f"{statistics.mean(scores):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
