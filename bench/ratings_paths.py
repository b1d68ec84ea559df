"""The ratings package's portable ORM code against its PostgreSQL-only paths, in-process.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/ratings_paths.py \
        [--songs 1000000] [--users 1000] [--ratings 200000] [--votes 200] [--rounds 20] \
        [--parts vote,recompute,drift]

A PostgreSQL-only fast path is kept only where it buys >= 20% on the line it serves
(bench/README.md, "Ratings"). For each concern this times both versions in alternating
rounds on the same data (A, B, A, B, ...; the medians are printed):

- vote: POST /api/ratings/ through the whole Django stack (Django's test client, production
  settings: throttle, request log, JSON renderer), a random user rating a random song of the
  catalog, with the portable upsert (`upsert_portable`: checks, then update_or_create) and with
  the one-statement `upsert_postgresql`; and the upsert alone (rating_submit, no HTTP);
- recompute: a flush's batch of 500 rated songs whose aggregates are stale, with the portable
  UPDATE (correlated subqueries) and with the PostgreSQL UPDATE ... FROM (unnest ... GROUP BY)
  of `catalog.ratings.aggregates`;
- drift: reconcile's check over the whole catalog, the portable queries (ratings grouped by
  song, joined to their songs) and the PostgreSQL FULL JOIN of grouped ratings with the rated
  songs, of `catalog.ratings.drift`.

Fills the database as bench/ratings.py does (same catalog), then adds --ratings ratings of
random (user, song) pairs; no Gunicorn or worker runs (the flush tasks votes publish wait in
the bench's Redis database, which is emptied at the start and the end).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures import fill_songs, fill_users, reset_ratings  # noqa: E402  (bench/fixtures.py)

BATCH = 500


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--songs", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument(
        "--ratings", type=int, default=200_000, help="ratings to start from (0: keep the ones there)"
    )
    # Short rounds: the two versions alternate every fraction of a second, so a busy second
    # of a shared machine weighs on both alike.
    parser.add_argument("--votes", type=int, default=200, help="POSTs per version and round")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--parts", default="vote,recompute,drift", help="comma-separated parts to time")
    return parser.parse_args()


def recompute_with(function: Callable[[list[int]], int]) -> Callable[[list[int]], int]:
    """One of the recompute's two statements, run as the recompute runs it (songs locked)."""
    from django.db import transaction

    from catalog.models import Song

    def recompute(song_ids: list[int]) -> int:
        with transaction.atomic():
            locked = Song.objects.filter(pk__in=song_ids).order_by("pk").select_for_update(no_key=True)
            return function(list(locked.values_list("pk", flat=True)))

    return recompute


def add_ratings(count: int, users: list, seed: int) -> None:
    """`count` ratings of random (user, song) pairs, then every song recomputed (no drift)."""
    from django.db import connection, transaction

    from catalog.models import Rating, Song
    from catalog.ratings.aggregates import song_ratings_recompute
    from catalog.ratings.selectors import songs_with_drifted_ratings

    started = time.perf_counter()
    rng = random.Random(seed)
    song_ids = list(Song.objects.values_list("id", flat=True).iterator(chunk_size=100_000))
    ratings = [
        Rating(user_id=rng.choice(users).pk, song_id=rng.choice(song_ids), score=rng.randint(1, 5))
        for _ in range(count)
    ]
    Rating.objects.bulk_create(ratings, batch_size=10_000, ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE catalog_rating")
    drifted = songs_with_drifted_ratings()
    with transaction.atomic(), connection.cursor() as cursor:
        # Setup only, without the songs' triggers (see reset_ratings): no title changes.
        cursor.execute("SET LOCAL session_replication_role = replica")
        for start in range(0, len(drifted), 5000):
            song_ratings_recompute(song_ids=drifted[start : start + 5000])
    assert not songs_with_drifted_ratings()
    print(
        f"ratings: {count:,} added, {len(drifted):,} songs recomputed ({time.perf_counter() - started:.0f} s)"
    )


def alternate(rounds: int, versions: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """Run each version once per round, in alternating order; returns its timings."""
    timings: dict[str, list[float]] = {name: [] for name in versions}
    names = list(versions)
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            timings[name].append(versions[name]())
    return timings


def report(line: str, timings: dict[str, list[float]]) -> None:
    """The medians, and what the PostgreSQL version saves against the portable one."""
    postgresql, portable = statistics.median(timings["postgresql"]), statistics.median(timings["portable"])
    spread = "; ".join(
        f"{name} " + " / ".join(f"{v:.3g}" for v in values) for name, values in timings.items()
    )
    saved = (portable - postgresql) / portable * 100
    print(f"{line}: postgresql {postgresql:.3g}, portable {portable:.3g} ({saved:.0f}% saved)  [{spread}]")


def time_votes(args: argparse.Namespace, users: list, rng: random.Random) -> None:
    """The vote, through Django and alone, with each upsert."""
    from django.core.exceptions import ValidationError
    from django.test import Client
    from rest_framework_simplejwt.tokens import AccessToken

    from catalog.models import Song
    from catalog.ratings import services, upsert

    max_id = Song.objects.order_by("-id").values_list("id", flat=True).first()
    if max_id is None:
        raise SystemExit("no songs: the benchmark's setup loads them first")
    headers = [{"Authorization": f"Bearer {AccessToken.for_user(user)}"} for user in users]
    client = Client(HTTP_HOST="localhost")

    def with_upsert(chosen: upsert.Upsert, action: Callable[[], object]) -> Callable[[], float]:
        def run() -> float:
            services.rating_upsert = lambda: chosen
            started = time.perf_counter()
            for _ in range(args.votes):
                action()
            elapsed = time.perf_counter() - started
            services.rating_upsert = upsert.rating_upsert
            return elapsed / args.votes * 1000

        return run

    def post() -> None:
        response = client.post(
            "/api/ratings/",
            {"song": rng.randint(1, max_id), "score": rng.randint(1, 5)},
            content_type="application/json",
            headers=rng.choice(headers),
        )
        assert response.status_code in (200, 201, 400), response.content

    def submit() -> None:
        with contextlib.suppress(ValidationError):  # a hole in the ids
            services.rating_submit(user_id=rng.choice(users).pk, song_id=rng.randint(1, max_id), score=3)

    for line, action in (
        ("vote, POST /api/ratings/ (ms per request)", post),
        ("vote, rating_submit", submit),
    ):
        action()  # warm-up
        versions = {
            "postgresql": with_upsert(upsert.upsert_postgresql, action),
            "portable": with_upsert(upsert.upsert_portable, action),
        }
        report(line, alternate(args.rounds, versions))


def time_recompute(args: argparse.Namespace, rng: random.Random) -> None:
    """A flush's batch of stale songs, with each recompute statement."""
    from catalog.models import Song
    from catalog.ratings import aggregates

    rated = list(Song.objects.filter(total_ratings__gt=0).values_list("id", flat=True))

    def stale_batch(function: Callable[[list[int]], int]) -> Callable[[], float]:
        recompute = recompute_with(function)

        def run() -> float:
            batch = rng.sample(rated, BATCH)
            Song.objects.filter(pk__in=batch).update(total_ratings=1, average_rating=1.0, rating_score=1.0)
            started = time.perf_counter()
            assert recompute(batch) == BATCH
            return (time.perf_counter() - started) * 1000

        return run

    versions = {
        "postgresql": stale_batch(aggregates._recompute_postgresql),
        "portable": stale_batch(aggregates._recompute_portable),
    }
    report(f"recompute, a flush batch of {BATCH} stale songs (ms)", alternate(args.rounds * 4, versions))


def time_drift(args: argparse.Namespace) -> None:
    """Reconcile's drift check over every rating, with each version."""
    from catalog.models import Rating
    from catalog.ratings import drift

    def timed(function: Callable[[], list[int]]) -> Callable[[], float]:
        def run() -> float:
            started = time.perf_counter()
            assert function() == [], "drift where none is expected"
            return (time.perf_counter() - started) * 1000

        return run

    versions = {
        "postgresql": timed(lambda: drift._drifted_postgresql(None)),
        "portable": timed(lambda: drift._drifted_portable(None)),
    }
    report(f"drift check over {Rating.objects.count():,} ratings (ms)", alternate(args.rounds, versions))


def main() -> int:
    args = parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("bench/ratings_paths.py needs DATABASE_URL (PostgreSQL) and REDIS_URL", file=sys.stderr)
        return 2
    os.environ["ALLOWED_HOSTS"] = "localhost"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django_redis import get_redis_connection

    from catalog.models import Rating, Song
    from catalog.ratings import aggregates
    from catalog.ratings.selectors import songs_with_drifted_ratings

    call_command("migrate", verbosity=0)
    fill_songs(args.songs)
    users = fill_users(args.users)
    if args.ratings or not Rating.objects.exists():
        reset_ratings()
        add_ratings(args.ratings, users, args.seed)
    rng = random.Random(args.seed)
    print(
        f"catalog {Song.objects.count():,} songs, {Rating.objects.count():,} ratings, {len(users)} users; "
        f"{os.cpu_count()} CPUs; {args.rounds} rounds"
    )
    parts = set(args.parts.split(","))
    if "vote" in parts:
        time_votes(args, users, rng)
    # The votes left their songs' aggregates behind (no worker runs): bring them up to date.
    drifted = songs_with_drifted_ratings()
    for start in range(0, len(drifted), BATCH):
        aggregates.song_ratings_recompute(song_ids=drifted[start : start + BATCH])
    if "recompute" in parts:
        time_recompute(args, rng)
    assert not songs_with_drifted_ratings()
    if "drift" in parts:
        time_drift(args)
    connection.close()
    get_redis_connection("default").flushdb()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
