"""Analytics at volume on PostgreSQL: batch ingest through the API, the rollup refresh, and
the reads, over the real catalog, 100k listeners and N listening events.

    DATABASE_URL=postgres://.../md_analytics_bench REDIS_URL=redis://127.0.0.1:6379/6 \\
        python bench/analytics.py [--events 200000] [--keep] [--port N] [--workdir DIR]

The issue's sizes are --events 1000000 and --events 10000000; the default is a quick run.

Setup (bench/analytics_data.py says how the events are drawn): the Spotify tracks file of
../shared/data loaded with `manage.py load_music --skip-invalid` (the benchmark is skipped,
saying why, when it is absent), --users listeners written by COPY, --events events over the
last --days days written straight into analytics_activity by COPY, then the rollups built
from them: by default by one INSERT ... SELECT per rollup table, rows in the order the refresh
job would have written them (`--rollups sql`); with
`--rollups refresh` the pending counts ingest would have written are written by SQL and the
project's refresh job applies them; with `--rollups rebuild`, `rollups_rebuild()` (row by
row through the ORM: 12 minutes at 1M events, see bench/README.md). With --keep, a database
that already holds the catalog, the listeners and exactly --events generated events is
reused as it is (the events sent by earlier runs stay, and are counted in the sizes printed).

Measured (Gunicorn, production settings, --web-workers sync workers; every figure printed
with the machine's load average, which on this shared 2-core machine includes other work):
a. batch ingest: --clients threads POST batches of --batch events (each batch a different
   listener's, each event with an event_id and a small context) for --ingest-seconds:
   events/s stored, p50/p95 per batch; then every stored event is counted in the table;
b. the rollup job's day stage (`days_refresh()`) after --refresh-events new events recorded
   with `activity_record` (or, with `--record pending`, only their pending counts, by COPY),
   --refresh-rounds times, each listener sending --batch of them; the user stage
   (`user_rollups_refresh()`) after every --user-stage-every rounds, and the snapshots;
c. reads, one client in sequence, --reads requests each after --warmup: summary, trends per
   window, a user's statistics for random listeners and for the heaviest ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")
from fixtures import free_port, serve_as_production  # noqa: E402

serve_as_production()

import analytics_data as data  # noqa: E402
from analytics_http import Batch, Server, cpu_sample, run_ingest  # noqa: E402
from analytics_phases import (  # noqa: E402
    count_events,
    load,
    measure_computes,
    measure_reads,
    measure_refresh,
    rollup_functions,
    tokens_for,
)
from fixtures import percentile  # noqa: E402

ACTION_NAMES = {1: "play", 2: "like", 3: "skip", 4: "share"}
# Enough prepared batches for this many events/s over --ingest-seconds.
MAX_INGEST_RATE = 40_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help="reuse a database already built for --events")
    parser.add_argument(
        "--rollups",
        choices=["sql", "refresh", "rebuild"],
        default="sql",
        help="build the rollups by SQL from the events (default), with the refresh job from "
        "pending counts written by SQL, or with rollups_rebuild() (ORM, row by row: minutes at 1M)",
    )
    parser.add_argument("--workdir", default=str(BASE_DIR / "var" / "bench" / "analytics"))
    parser.add_argument("--port", type=int, default=0, help="Gunicorn's port (default: a free one)")
    parser.add_argument("--web-workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--ingest-seconds", type=float, default=25.0)
    parser.add_argument(
        "--event-ids",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="whether the ingest's events carry an event_id (the per-user dedupe's cost)",
    )
    parser.add_argument("--refresh-events", type=int, default=100_000)
    parser.add_argument("--refresh-rounds", type=int, default=3)
    parser.add_argument(
        "--user-stage-every",
        type=int,
        default=3,
        help="rounds between user-stage runs (the user stage also runs after the last round)",
    )
    parser.add_argument(
        "--record",
        choices=["events", "pending"],
        default="events",
        help="how the refresh rounds' events are recorded: through activity_record, or only their "
        "pending counts, by COPY (the same rows, minutes faster at small batches)",
    )
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--only", default="ingest,refresh,reads", help="comma-separated parts to measure")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


# ------------------------------------------------------------------------------------------
# Setup
# ------------------------------------------------------------------------------------------
def setup(args: argparse.Namespace) -> data.Population:
    from django.core.management import call_command

    have = -1
    if args.keep:
        call_command("migrate", verbosity=0)
        have = data.generated_events()
    else:
        # The analytics tables as the current migrations make them (a migration edited in
        # place while the app is young would otherwise leave this database behind), empty.
        call_command("migrate", "analytics", "zero", verbosity=0)
        call_command("migrate", verbosity=0)
    print(data.load_catalog(args.keep), flush=True)
    print(data.fill_users(args.users), flush=True)
    population = data.Population.build(data.listener_ids(), data.song_ids(), args.seed)
    if have == args.events:
        print(f"events kept: {have:,} generated (--keep)")
        if data.rollups_built():
            return population
    else:
        data.reset_analytics()
        print(data.generate_events(population, args.events, args.days, args.seed), flush=True)
    build_rollups(args.rollups)
    print(data.checkpoint(), flush=True)
    return population


def build_rollups(how: str) -> None:
    refresh, rebuild = rollup_functions()
    started = time.perf_counter()
    if how == "rebuild" and rebuild is not None:
        outcome = rebuild()
        print(f"rollups: rollups_rebuild() in {time.perf_counter() - started:.1f} s ({outcome!r})")
    elif how == "sql":
        print(data.rollups_by_sql(), flush=True)
    elif how == "refresh" and refresh is not None:
        print(data.pending_from_events(), flush=True)
        runs = 0
        while getattr(refresh(), "more", False):
            runs += 1
        print(f"rollups: rollups_refresh() x {runs + 1} in {time.perf_counter() - started:.1f} s")
    else:
        print(f"rollups: analytics.services has no rollups_{how}() yet; not built")


def event_dicts(
    population: data.Population,
    rng: random.Random,
    n: int,
    now: dt.datetime,
    within_s: float,
    event_ids: bool = True,
) -> list[dict[str, Any]]:
    """n events of one listener as the API takes them (dicts), songs and actions drawn as the
    generator draws them, each `within_s` seconds before `now` at most."""
    _, songs, actions = population.draw(rng, n)
    events: list[dict[str, Any]] = [
        {
            "song": song,
            "action": ACTION_NAMES[action],
            "occurred_at": (now - dt.timedelta(seconds=rng.random() * within_s)).isoformat(),
            "context": {"device": rng.choice(("phone", "desktop", "speaker"))},
        }
        for song, action in zip(songs, actions, strict=True)
    ]
    if event_ids:
        for event in events:
            event["event_id"] = f"{rng.getrandbits(64):016x}"
    return events


# ------------------------------------------------------------------------------------------
# a. Batch ingest
# ------------------------------------------------------------------------------------------
def measure_ingest(args: argparse.Namespace, population: data.Population, rng: random.Random) -> dict:
    count = int(MAX_INGEST_RATE * args.ingest_seconds / args.batch) + 1
    users = rng.sample(population.active_users, min(count, len(population.active_users)))
    tokens = tokens_for(users)
    now = dt.datetime.now(dt.UTC)
    batches = [
        Batch(
            tokens[user],
            json.dumps(event_dicts(population, rng, args.batch, now, 6 * 3600, args.event_ids)).encode(),
            args.batch,
        )
        for user in users
    ]
    before = count_events()
    server = Server(args.port, args.web_workers, Path(args.workdir) / "web-ingest.log")
    server.start()
    try:
        # Warm-up: the workers' imports and database connections.
        warm = run_ingest(args.port, batches[:8], args.clients, 60).stored
        with data.connect() as conn:
            # The workers' backends (Django keeps its connections: CONN_MAX_AGE).
            backends = [
                pid
                for (pid,) in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                ).fetchall()
            ]
        cpu_before = cpu_sample(server, backends)
        result = run_ingest(args.port, batches[8:], args.clients, args.ingest_seconds)
        cpu_after = cpu_sample(server, backends)
    finally:
        server.stop()
    cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_before}
    after = count_events()
    stored_rows = after - before - warm
    # CPU microseconds per stored event, by part; the machine's busy cores during the run.
    per_event = {name: cpu[name] * 1e6 / max(result.stored, 1) for name in ("web", "postgres", "clients")}
    row = {
        "events_per_s": result.stored / result.span,
        "batches": len(result.latencies),
        "p50_ms": percentile(result.latencies, 50) * 1000,
        "p95_ms": percentile(result.latencies, 95) * 1000,
        "stored": result.stored,
        "duplicates": result.duplicates,
        "rows_added": stored_rows,
        "count_ok": stored_rows == result.stored and result.duplicates == 0,
        "statuses": dict(result.statuses),
        "ran_out": result.ran_out,
        "cpu_us_per_event": per_event,
        "machine_busy_cores": cpu["machine"] / result.span,
        "load": load(),
    }
    print(
        f"ingest: {row['events_per_s']:,.0f} events/s ({result.stored:,} stored in {result.span:.1f} s, "
        f"{args.clients} clients, batches of {args.batch}{'' if args.event_ids else ', no event_id'}), "
        f"per batch p50 {row['p50_ms']:.0f} ms, "
        f"p95 {row['p95_ms']:.0f} ms; statuses {row['statuses']}; load {row['load']}"
    )
    print(
        f"        count check {'ok' if row['count_ok'] else 'FAILED'}: {stored_rows:,} rows added for "
        f"{result.stored:,} stored answered ({result.duplicates} duplicates)"
        + (" [ran out of prepared batches: raise MAX_INGEST_RATE]" if result.ran_out else "")
        + (f"; errors {result.errors}" if result.errors else "")
    )
    print(
        "        CPU per event: "
        + ", ".join(f"{name} {value:.0f} us" for name, value in per_event.items())
        + f"; machine busy {row['machine_busy_cores']:.2f} of {os.cpu_count()} cores"
    )
    return row


# ------------------------------------------------------------------------------------------
def report(
    args: argparse.Namespace, events: int, ingest: dict | None, refresh: dict | None, reads: list
) -> None:
    print(
        f"\n{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {events:,} events in the table, "
        f"{args.users:,} users; load average now {load()} (1/5/15 min) on {os.cpu_count()} CPUs\n"
    )
    print("| measure | target | figure | load 1/5/15 | |")
    print("|---|---|---|---|---|")
    if ingest:
        met = "met" if ingest["events_per_s"] >= 20_000 else "not met"
        print(
            f"| ingest, {args.clients} clients x batches of {args.batch}"
            f"{'' if args.event_ids else ' without event_id'} | >= 20,000 events/s | "
            f"{ingest['events_per_s']:,.0f} events/s, per batch p50 {ingest['p50_ms']:.0f} / p95 "
            f"{ingest['p95_ms']:.0f} ms; count check {'ok' if ingest['count_ok'] else 'FAILED'} | "
            f"{ingest['load']} | {met} |"
        )
    if refresh:
        met = "met" if refresh["max_s"] <= 2 else "not met"
        each = " / ".join(f"{r['seconds']:.2f}" for r in refresh["rounds"])
        print(
            f"| day stage (beat's rollup job) after {args.refresh_events:,} new events, {args.batch} "
            f"a listener | <= 2 s | median {refresh['median_s']:.2f} s ({each}) | {refresh['load']} | {met} |"
        )
    for run in refresh["user_stage"] if refresh else []:
        per = run["seconds"] / run["events"] * 100_000
        print(
            f"| user stage (its own beat job) after {run['events']:,} events ({run['rounds']} day-stage "
            f"runs) | - | {run['seconds']:.2f} s in {run['runs']} run(s), {per:.2f} s per 100k events | "
            f"{run['load']} | |"
        )
    if refresh and refresh["snapshots_median_s"] is not None:
        each = " / ".join(f"{r['snapshots_s']:.2f}" for r in refresh["rounds"])
        print(
            f"| snapshots_refresh() (the trends of every window and the summary, recomputed: their "
            f"own beat job) | - | median {refresh['snapshots_median_s']:.2f} s ({each}) | "
            f"{refresh['load']} | |"
        )
    for row in reads:
        if "compute" in row:
            print(
                f"| {row['compute']} (a snapshot missed: computed in-process) | - | median "
                f"{row['median_ms']:.0f} ms ({row['runs']} runs) | {row['load']} | |"
            )
            continue
        floor = row["read"].startswith("/healthz")
        met = "" if floor else "met" if row["p95_ms"] <= 20 else "not met"
        print(
            f"| {row['read']} | {'-' if floor else 'p95 <= 20 ms'} | p50 {row['p50_ms']:.1f} / p95 "
            f"{row['p95_ms']:.1f} ms ({row['requests']} requests) | {row['load']} | {met} |"
        )
    print(json.dumps({"events": events, "ingest": ingest, "refresh": refresh, "reads": reads}, default=str))


def main() -> int:
    args = parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print(
            "bench/analytics.py needs DATABASE_URL pointing at PostgreSQL: the events table is "
            "partitioned by month there, and that is what this measures",
            file=sys.stderr,
        )
        return 2
    if not os.environ.get("REDIS_URL"):
        print("bench/analytics.py needs REDIS_URL: Gunicorn serves with production settings", file=sys.stderr)
        return 2
    if not data.SPOTIFY_CSV.exists():
        print(f"analytics benchmark skipped: {data.SPOTIFY_CSV} (the real catalog) is absent")
        return 0
    import django

    django.setup()
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    args.port = args.port or free_port()
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {load()}, {os.cpu_count()} CPUs", flush=True)
    population = setup(args)
    print(data.table_sizes(), flush=True)
    rng = random.Random(args.seed + int(time.time()))
    parts = set(args.only.split(","))
    ingest = measure_ingest(args, population, rng) if "ingest" in parts else None
    refresh = measure_refresh(args, population, rng) if "refresh" in parts else None
    reads = measure_reads(args, population, rng) + measure_computes() if "reads" in parts else []
    report(args, count_events(), ingest, refresh, reads)
    return 0 if ingest is None or ingest["count_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
