"""Similar songs at scale: /api/songs/{id}/similar/'s selector on a large catalog.

    DATABASE_URL=postgres://.../md_similar_bench python bench/similar.py [--songs 1000000] [--seeds 40]

Fills the songs table with `--songs` songs of random audio features (SQL, in one
statement; reused when it already holds that many), then for `--seeds` random songs times
the ten most similar through the neighbourhood index (`song_similar`, what the API runs)
and the exact ten computed from every song's distance (what /similar/ ran before migration
0010), and compares them: how many of the exact ten the neighbourhood finds, and the mean
score of each ten. Figures go to bench/README.md, "Similar songs".
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


def exact_nearest(song, limit: int) -> list[tuple[float, int]]:
    """(score, id) of the `limit` nearest songs, from every song's distance (SQL)."""
    from django.db.models import F
    from django.db.models.functions import Greatest, Least

    from catalog.models import Song
    from catalog.similarity import SIMILARITY_FEATURES, features_of, similarity_score, similarity_vector

    distance_sq = None
    for (field, (low, high)), point in zip(
        SIMILARITY_FEATURES.items(), similarity_vector(features_of(song)), strict=True
    ):
        clamped = Least(Greatest((F(field) - low) / (high - low), 0.0), 1.0)
        term = (clamped - point) * (clamped - point)
        distance_sq = term if distance_sq is None else distance_sq + term
    rows = (
        Song.objects.exclude(pk=song.pk)
        .annotate(distance_sq=distance_sq)
        .order_by("distance_sq", "id")
        .values_list("distance_sq", "id")[:limit]
    )
    return [(similarity_score(d), song_id) for d, song_id in rows]


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
    from catalog.selectors.similar import song_similar

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
        cursor.execute("REINDEX INDEX song_neighbourhood_idx")
        build = time.perf_counter() - started
        cursor.execute("SELECT pg_size_pretty(pg_relation_size('song_neighbourhood_idx'))")
        size = cursor.fetchone()[0]
    print(f"neighbourhood index: {size}, built in {build:.1f} s")

    ids = list(Song.objects.values_list("id", flat=True).order_by("?")[: args.seeds])
    fast_ms, exact_ms, found, fast_scores, exact_scores = [], [], [], [], []
    for song_id in ids:
        song = Song.objects.get(pk=song_id)
        started = time.perf_counter()
        fast = song_similar(song=song, limit=10)
        fast_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        exact = exact_nearest(song, 10)
        exact_ms.append((time.perf_counter() - started) * 1000)
        found.append(len({s.song.pk for s in fast} & {song_id for _, song_id in exact}))
        fast_scores.append(statistics.mean(s.score for s in fast))
        exact_scores.append(statistics.mean(score for score, _ in exact))
    print("| path | songs | p50 ms | p95 ms | max ms | mean score of the ten |")
    print("|---|---|---|---|---|---|")
    for name, values, scores in (
        ("neighbourhood index (the API)", fast_ms, fast_scores),
        ("every song's distance (exact)", exact_ms, exact_scores),
    ):
        print(
            f"| {name} | {args.songs:,} | {statistics.median(values):.1f} | {pct(values, 95):.1f} "
            f"| {max(values):.1f} | {statistics.mean(scores):.3f} |"
        )
    print(f"exact ten found by the neighbourhood: mean {statistics.mean(found):.1f} of 10")
    return 0


if __name__ == "__main__":
    sys.exit(main())
