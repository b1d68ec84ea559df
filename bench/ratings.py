"""Rating writes through Gunicorn with a real Celery worker: throughput, latency, aggregate lag
and drift.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/ratings.py \
        [--songs 1000000] [--users 1000] [--duration 20] [--clients 8,32] [--driver wrk|python]

Fills the database up to --songs songs (with `load_music` on a catalog written by
bench/make_catalog.py when that command exists, else with one SQL statement) and --users
users, empties the ratings, then starts Gunicorn (--web-workers sync workers: WEB_CONCURRENCY,
else Gunicorn's advice of 2 x cores + 1; a vote spends much of its time waiting on PostgreSQL
and Redis, so more workers than cores keep the CPUs busy) and one
`celery worker` (--celery-concurrency, default 2) on this machine, as the Procfile does. For
each client count it sends POST /api/ratings/ as fast as the clients can for --duration
seconds (random users; 80% of votes on random songs of the whole catalog, 20% on 50 hot
songs), and prints:

- POST/s and latency percentiles (Gunicorn's sync workers close the connection after each
  response, so every request opens a new one);
- probe lag: all along the run a probe thread rates songs nobody else touches and measures
  how long until the song's stored aggregates equal the ratings table (p50/p95/max);
- final lag: from the last POST until no song in the catalog drifts;
- drift after the run (must be 0), and how many flush tasks served how many votes;
- the duration of one reconcile pass over the whole catalog.

The load comes from one of two drivers (--driver). `wrk` (the default when `wrk` is on
PATH; Debian package `wrk`) runs bench/ratings_wrk.lua with the tokens, song ids and hot
songs written to files; it costs the shared cores much less per vote than `python`, an
asyncio client in this process (the default otherwise). wrk's latencies start when the
request is written (after the connect), the Python driver's before the connect.

Each phase also checks the count against the server's request log: the ratings rows added
must equal the 201 (created) answers it logged, and the clients must have received every 2xx
it logged but for at most one request per connection that wrk leaves in flight when its time
is up (the Python driver waits for its last answers).

The database and the Redis database are the bench's own: both are emptied of ratings/keys.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")
from fixtures import fill_songs, fill_users, free_port, reset_ratings, serve_as_production  # noqa: E402

serve_as_production()

from fixtures import percentile  # noqa: E402
from ratings_drivers import run_clients, run_python, run_wrk, write_wrk_data  # noqa: E402
from ratings_services import CpuMeter, Probe, Services, wait_until_no_drift  # noqa: E402

HOT_SONGS = 50
PROBE_SONGS = 40
PROBE_USERS = 5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--songs", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per client count")
    parser.add_argument("--clients", default="8,32", help="comma-separated concurrent client counts")
    parser.add_argument(
        "--web-workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1)),
        help="Gunicorn sync workers (default: WEB_CONCURRENCY, else Gunicorn's advice of 2 x cores + 1)",
    )
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument(
        "--driver",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator (default: wrk when it is on PATH, else python)",
    )
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (--driver wrk)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=0, help="Gunicorn's port (default: a free one)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("bench/ratings.py needs DATABASE_URL (PostgreSQL) and REDIS_URL", file=sys.stderr)
        return 2
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework_simplejwt.tokens import AccessToken

    from catalog.models import Rating, Song
    from catalog.ratings.selectors import songs_with_drifted_ratings
    from catalog.ratings.services import song_ratings_reconcile

    call_command("migrate", verbosity=0)
    fill_songs(args.songs)
    users = fill_users(args.users + PROBE_USERS)
    reset_ratings()
    ids = list(Song.objects.order_by("id").values_list("id", flat=True)[: PROBE_SONGS + HOT_SONGS])
    probe_songs, hot = ids[:PROBE_SONGS], ids[PROBE_SONGS:]
    load_songs = list(
        Song.objects.filter(id__gt=ids[-1]).values_list("id", flat=True).iterator(chunk_size=50_000)
    )
    tokens = [str(AccessToken.for_user(user)) for user in users[: args.users]]
    probe_tokens = [str(AccessToken.for_user(user)) for user in users[args.users :]]
    connection.close()

    logs = Path(tempfile.mkdtemp(prefix="bench-ratings-"))
    port = args.port or free_port()
    services = Services(args, port, logs)
    wrk_data = write_wrk_data(logs, tokens, load_songs, hot) if args.driver == "wrk" else []
    print(
        f"catalog {Song.objects.count():,} songs, {args.users} users; gunicorn x{args.web_workers}, "
        f"celery worker concurrency {args.celery_concurrency}; driver {args.driver}; "
        f"{os.cpu_count()} CPUs; logs in {logs}"
    )
    results = []
    meter = CpuMeter(services)
    try:
        services.start()
        asyncio.run(run_clients(port, 4, 2.0, tokens, load_songs, hot, args.seed))  # warm-up
        wait_until_no_drift(30)
        for clients in [int(c) for c in args.clients.split(",")]:
            flushes_before, recomputed_before = services.flush_counts()
            rows_before, log_offset = Rating.objects.count(), services.web_log_size()
            connection.close()
            cpu_before = meter.sample()
            stop = threading.Event()
            probe = Probe(port, probe_tokens, probe_songs, stop)
            probe.start()
            seed = args.seed + clients
            if args.driver == "wrk":
                load = run_wrk(port, clients, args.duration, args.wrk_threads, wrk_data, seed)
            else:
                load = run_python(port, clients, args.duration, tokens, load_songs, hot, seed)
            cpu = {name: value - cpu_before[name] for name, value in meter.sample().items()}
            cpu["bench"] += load.external_cpu
            span, statuses = load.span, load.statuses
            stop.set()
            probe.join(timeout=15)
            final_lag = wait_until_no_drift(60)
            drift = len(songs_with_drifted_ratings())
            flushes_after, recomputed_after = services.flush_counts()
            flushes, recomputed = flushes_after - flushes_before, recomputed_after - recomputed_before
            ok = statuses[200] + statuses[201]
            # The count check: every rating the server says it created (201 in its request log)
            # is a row, and the clients received every 2xx the server sent, but for the requests
            # wrk leaves in flight when its time is up (at most one per connection: the server
            # answers them to a closed socket). The Python driver waits for its last answers.
            rows_added = Rating.objects.count() - rows_before
            created = statuses[201] + probe.statuses[201]
            server = services.answered_votes(log_offset)
            server_ok = sum(n for status, n in server.items() if 200 <= status < 300)
            client_ok = ok + probe.statuses[200] + probe.statuses[201]
            unread = server_ok - client_ok
            count_ok = (
                rows_added == server[201]
                and server[201] >= created
                and 0 <= unread <= (clients if args.driver == "wrk" else 0)
            )
            row = {
                "clients": clients,
                "driver": args.driver,
                "posts": ok,
                "errors": sum(n for status, n in statuses.items() if status not in (200, 201))
                + sum(load.transport_errors.values()),
                "statuses": dict(statuses),
                "transport_errors": load.transport_errors,
                "rows_added": rows_added,
                "created_answers": created,
                "server_201": server[201],
                "server_2xx": server_ok,
                "client_2xx": client_ok,
                "count_ok": count_ok,
                "post_per_s": ok / span,
                "p50_ms": load.p50 * 1000,
                "p95_ms": load.p95 * 1000,
                "p99_ms": load.p99 * 1000,
                "probe_lag_p50_s": percentile(probe.lags, 50),
                "probe_lag_p95_s": percentile(probe.lags, 95),
                "probe_lag_max_s": max(probe.lags, default=float("nan")),
                "probes": len(probe.lags),
                "probe_timeouts": probe.timeouts,
                "final_lag_s": final_lag,
                "drift": drift,
                "flush_tasks": flushes,
                "songs_recomputed": recomputed,
                # CPU milliseconds per vote, by part; the machine's load during the phase.
                "cpu_ms_per_vote": {
                    name: cpu[name] * 1000 / max(ok, 1) for name in ("web", "worker", "postgres", "bench")
                },
                # Of the load generator's share ("bench": this process, probe included), wrk's.
                "wrk_cpu_ms_per_vote": load.external_cpu * 1000 / max(ok, 1),
                "machine_busy_cores": cpu["machine_busy"] / span,
                "ours_cores": sum(cpu[name] for name in ("web", "worker", "postgres", "bench")) / span,
            }
            results.append(row)
            print(
                f"{clients:>3} clients: {row['post_per_s']:.0f} POST/s ({ok} ok, {row['errors']} errors), "
                f"p50 {row['p50_ms']:.1f} ms, p95 {row['p95_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms; "
                f"lag p50 {row['probe_lag_p50_s']:.2f} s, p95 {row['probe_lag_p95_s']:.2f} s, "
                f"max {row['probe_lag_max_s']:.2f} s ({row['probes']} probes, {probe.timeouts} timeouts); "
                f"last POST -> no drift {final_lag if final_lag is None else round(final_lag, 2)} s; "
                f"drift {drift}; {flushes} flush tasks recomputed {recomputed} songs for {ok} votes"
            )
            print(
                f"      count check {'ok' if count_ok else 'FAILED'}: {rows_added} rows added, server log "
                f"{server[201]} 201 / {server_ok} 2xx, clients {created} 201 / {client_ok} 2xx, "
                f"{unread} answered after the client stopped "
                f"(load {dict(sorted(statuses.items()))}, probe {dict(sorted(probe.statuses.items()))}"
                + (f", transport errors {load.transport_errors}" if load.transport_errors else "")
                + ")"
            )
            per_vote = row["cpu_ms_per_vote"]
            print(
                "      CPU per vote: "
                + ", ".join(f"{name} {value:.2f} ms" for name, value in per_vote.items())
                + (f" (of which wrk {row['wrk_cpu_ms_per_vote']:.2f} ms)" if args.driver == "wrk" else "")
                + f"; machine busy {row['machine_busy_cores']:.2f} of {os.cpu_count()} cores, "
                f"this bench's processes {row['ours_cores']:.2f}"
            )
            connection.close()
    finally:
        services.stop()
    started = time.perf_counter()
    repaired = song_ratings_reconcile()
    reconcile_s = time.perf_counter() - started
    print(
        f"reconcile pass over {Song.objects.count():,} songs / {Rating.objects.count():,} ratings: "
        f"{reconcile_s * 1000:.0f} ms, repaired {repaired}"
    )
    print(
        json.dumps({"runs": results, "reconcile_ms": reconcile_s * 1000, "repaired": repaired}, default=str)
    )
    clean = all(row["drift"] == 0 and row["errors"] == 0 and row["count_ok"] for row in results)
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
