"""Rollup refresh: the portable path (rows through Python, ORM upserts) against PostgreSQL's
single statement (DELETE ... RETURNING feeding three INSERT ... ON CONFLICT), in-process.

    DATABASE_URL=postgres://... python bench/rollups_paths.py [--events 100000] [--rounds 3]

A PostgreSQL-only path is kept only where it buys >= 20% on the line it serves ("a rollup
refresh after 100k new events", bench/README.md, "Analytics"). Each round ingests `--events`
events through `activity_record` (batches of 500, one user's each, songs at random, times
over the last 30 days), then times one `rollups_refresh` with each path in turn, so both
meet rollup tables of the same size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures import fill_songs, fill_users  # noqa: E402  (bench/fixtures.py)

BATCH = 500


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--songs", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--events", type=int, default=100_000, help="new events before each refresh")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("bench/rollups_paths.py needs DATABASE_URL (PostgreSQL)", file=sys.stderr)
        return 2
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from analytics.models import (
        ACTION_BY_NAME,
        Activity,
        ActivityKey,
        PendingRollup,
        PendingUserRollup,
        SongDay,
        UserMonth,
        UserSong,
    )
    from analytics.services import EventIn, ingest, rollups
    from catalog.models import Song

    call_command("migrate", verbosity=0)
    fill_songs(args.songs)
    users = [user.id for user in fill_users(args.users)]
    song_ids = list(Song.objects.values_list("id", flat=True))
    rng = random.Random(args.seed)
    now = timezone.now()
    actions = [ACTION_BY_NAME[name] for name in ["play"] * 7 + ["like", "skip", "skip", "share"]]
    # The bench times the job itself: no in-process catch-up after each batch.
    ingest.rollups_catch_up_in_process = lambda: None

    def ingest_events() -> int:
        for _ in range(args.events // BATCH):
            events = [
                EventIn(
                    rng.choice(song_ids),
                    rng.choice(actions),
                    now - dt.timedelta(minutes=rng.randrange(43_000)),
                )
                for _ in range(BATCH)
            ]
            ingest.activity_record(user_id=rng.choice(users), events=events)
        return PendingRollup.objects.count()

    timings: dict[str, list[float]] = {"portable": [], "sql": []}
    for _ in range(args.rounds):
        for name in ("portable", "sql"):
            pending = ingest_events()
            rollups.use_sql = lambda name=name: name == "sql"  # type: ignore[misc]
            started = time.perf_counter()
            done = rollups.rollups_refresh()
            timings[name].append(time.perf_counter() - started)
            assert done.applied == pending and not done.more, done
            print(f"{name:8s} {pending:,} pending rows applied in {timings[name][-1]:.2f} s")
    print(
        f"{len(song_ids):,} songs, {len(users):,} users; {Activity.objects.count():,} events, "
        f"{SongDay.objects.count():,} song-days, {UserSong.objects.count():,} user-songs; "
        f"load {os.getloadavg()[0]:.1f}; {os.cpu_count()} CPUs"
    )
    portable, sql = statistics.median(timings["portable"]), statistics.median(timings["sql"])
    print(f"median refresh after {args.events:,} events: portable {portable:.2f} s, sql {sql:.2f} s")
    print(f"the single statement saves {100 * (1 - sql / portable):.0f}% of the refresh")
    for model in (Activity, ActivityKey, PendingRollup, PendingUserRollup, SongDay, UserMonth, UserSong):
        model.objects.all().delete()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
