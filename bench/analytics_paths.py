"""Analytics ingest: the portable ORM write against PostgreSQL's COPY, in-process.

    DATABASE_URL=postgres://... python bench/analytics_paths.py [--songs 20000] [--rounds 15]

A PostgreSQL-only fast path is kept only where it buys >= 20% on the line it serves
(bench/README.md, "Analytics"). This times `activity_record` on batches of 500 events (one
user's, songs at random from the catalog, each with an event_id and a small context),
claiming keys and writing with the ORM (`_claim_keys_orm`, `_write_orm`) and with
PostgreSQL's statements (`claim_keys_postgres`, `write_postgres`) in alternating rounds on the same
database, and prints the medians per batch, with validation (`parse_batch`) apart.
"""

from __future__ import annotations

import argparse
import datetime
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
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batches", type=int, default=10, help="batches per version and round")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("bench/analytics_paths.py needs DATABASE_URL (PostgreSQL)", file=sys.stderr)
        return 2
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from analytics.events_in import parse_batch
    from analytics.models import Activity, ActivityKey, PendingRollup
    from analytics.services import ingest
    from analytics.services.ingest_postgres import claim_keys_postgres, write_postgres
    from catalog.models import Song

    call_command("migrate", verbosity=0)
    fill_songs(args.songs)
    users = fill_users(args.users)
    song_ids = list(Song.objects.values_list("id", flat=True))
    rng = random.Random(args.seed)
    now = timezone.now()
    actions = ["play"] * 7 + ["like", "skip", "skip", "share"]

    def body(serial: int) -> list[dict]:
        return [
            {
                "song": rng.choice(song_ids),
                "action": rng.choice(actions),
                "occurred_at": (now - datetime.timedelta(minutes=rng.randrange(40_000))).isoformat(),
                "event_id": f"b{serial}-{i}",
                "context": {"device": "phone"},
            }
            for i in range(BATCH)
        ]

    timings: dict[str, list[float]] = {"validate": [], "orm": [], "copy": []}
    serial = 0
    for _ in range(args.rounds):
        paths = (
            ("orm", ingest._claim_keys_orm, ingest._write_orm),
            ("copy", claim_keys_postgres, write_postgres),
        )
        for name, claim, write in paths:
            for _ in range(args.batches):
                serial += 1
                raw = body(serial)
                started = time.perf_counter()
                events = parse_batch(raw, now=now)
                validated = time.perf_counter()
                # On PostgreSQL, ingest calls these two names: swap in the version to time.
                originals = ingest.claim_keys_postgres, ingest.write_postgres
                ingest.claim_keys_postgres, ingest.write_postgres = claim, write
                try:
                    ingest.activity_record(user_id=users[serial % len(users)].id, events=events)
                finally:
                    ingest.claim_keys_postgres, ingest.write_postgres = originals
                timings["validate"].append(validated - started)
                timings[name].append(time.perf_counter() - validated)
    stored = Activity.objects.count()
    print(
        f"{len(song_ids):,} songs; {stored:,} events stored; "
        f"load {os.getloadavg()[0]:.1f}; {os.cpu_count()} CPUs"
    )
    for name, values in timings.items():
        median = statistics.median(values) * 1000
        print(
            f"{name:9s} median {median:6.1f} ms per batch of {BATCH}  ({BATCH / median * 1000:,.0f} events/s)"
        )
    orm, copy = statistics.median(timings["orm"]), statistics.median(timings["copy"])
    print(f"the PostgreSQL path saves {100 * (1 - copy / orm):.0f}% of the write")
    Activity.objects.all().delete()
    ActivityKey.objects.all().delete()
    PendingRollup.objects.all().delete()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
