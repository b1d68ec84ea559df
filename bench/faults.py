"""Fault drills under bench/load_mix.py's mixed load, at a fixed concurrency.

    DATABASE_URL=postgres://.../md_load python bench/faults.py [--clients 4] [--workers 2] \
        [--only worker,redis,postgres,beat] [--down-seconds 10] [--beat-minutes 5]

The stack is load_mix's (Gunicorn, --workers Celery workers, beat, a redis-server of the
bench's own). Each drill: --baseline-seconds of load, the fault, --after-seconds of load, the
clients stopped, then the checks (cumulative over the drills: none may ever fail):

- worker: SIGKILL to the first worker and its pool, started again --down-seconds later;
- redis: the bench's redis-server stopped (SIGTERM: it writes its append-only file) and
  started again --down-seconds later;
- postgres: the machine's PostgreSQL serves other people, so it is not restarted: every
  connection to the bench database is terminated (`pg_terminate_backend`) and new ones are
  refused (`ALTER DATABASE ... ALLOW_CONNECTIONS false`) for --down-seconds, what clients see
  of a restart; PostgreSQL's own crash recovery is not exercised;
- beat: beat stopped for --beat-minutes, then started again.

Printed per drill: requests by endpoint and status from the fault to the end of the drill
(5xx other than /readyz's 503 are failures), /readyz polled twice a second, seconds from the
fault's end until /readyz answered 200 again and until the last failed request, seconds
until a probe vote reaches its song's aggregates (worker, redis, postgres) or until the first
rollup refresh (beat), then ratings and events lost, rating aggregate drift after the
reconcile, rollup drift after the pending counts are applied. With --workers 2, the workers'
logs (JSON) show how the tasks were shared and that no task id ran twice.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # before anything imports sockets (load_mix does the same)

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import load_mix  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402
from mix_stack import PrivateRedis, Stack, load_average  # noqa: E402

DRILLS = ("worker", "redis", "postgres", "beat")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    load_mix.add_arguments(parser)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--only", default=",".join(DRILLS))
    parser.add_argument("--baseline-seconds", type=float, default=15.0)
    parser.add_argument("--down-seconds", type=float, default=10.0)
    parser.add_argument("--after-seconds", type=float, default=20.0)
    parser.add_argument("--beat-minutes", type=float, default=5.0)
    return parser.parse_args()


def get(port: int, path: str, timeout: float = 5.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        conn.close()


def poll_readyz(port: int, recorder: load_mix.Recorder) -> None:
    while True:
        started = time.time()
        status = get(port, "/readyz")
        recorder.samples.append((started, "/readyz", (time.time() - started) * 1000, status))
        gevent.sleep(0.5)


def probe_lag(port: int, token: str, song: int, timeout: float = 300.0) -> float | None:
    """Seconds from now until a vote on `song` (nobody else's) is in its aggregates; the vote is
    sent again until it is accepted."""
    from catalog.ratings.selectors import song_ratings_stored, song_ratings_truth

    started = time.perf_counter()
    score = 1
    while time.perf_counter() - started < timeout:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            body = json.dumps({"song": song, "score": score})
            headers = {"Content-Type": "application/json", "Authorization": token}
            conn.request("POST", "/api/ratings/", body, headers)
            status = conn.getresponse().status
        except OSError:
            status = 0
        finally:
            conn.close()
        if status in (200, 201):
            truth = song_ratings_truth(song_ids=[song])
            while time.perf_counter() - started < timeout:
                if song_ratings_stored(song_ids=[song]) == truth:
                    return time.perf_counter() - started
                gevent.sleep(0.1)
        score = score % 5 + 1
        gevent.sleep(0.5)
    return None


class Database:
    """The bench database seen from the server's maintenance database."""

    def __init__(self) -> None:
        url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
        self.name = url.rsplit("/", 1)[1].split("?")[0]
        self.admin_url = url.rsplit("/", 1)[0] + "/postgres"

    def cut(self, allow: bool) -> int:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS {str(allow).lower()}')
            if allow:
                return 0
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [self.name]
            ).fetchall()
            return len(rows)


class Drills:
    def __init__(self, args: argparse.Namespace, stack: Stack, redis_server: PrivateRedis, port: int):
        self.args, self.stack, self.redis_server, self.port = args, stack, redis_server, port
        self.database = Database()

    def inject(self, drill: str) -> str:
        if drill == "worker":
            self.stack.kill("worker1")
            return "worker1 and its pool SIGKILLed"
        if drill == "redis":
            self.redis_server.stop()
            return "redis-server stopped"
        if drill == "postgres":
            from django.db import connection

            connection.close()
            return f"{self.database.cut(allow=False)} connections terminated, new ones refused"
        self.stack.kill("beat", 15)
        return "beat stopped"

    def undo(self, drill: str) -> None:
        if drill == "worker":
            self.stack.start_worker(1)
        elif drill == "redis":
            self.redis_server.start()
        elif drill == "postgres":
            self.database.cut(allow=True)
        else:
            self.stack.start_beat()

    def queued(self) -> int | None:
        """Tasks waiting in the Celery queue (Redis list `celery`)."""
        try:
            return int(redis.Redis(port=self.redis_server.port, socket_timeout=2).llen("celery"))
        except redis.RedisError:
            return None

    def down_seconds(self, drill: str) -> float:
        return self.args.beat_minutes * 60 if drill == "beat" else self.args.down_seconds

    def background(self, drill: str, plan: load_mix.Plan, probe_song: int, token: str) -> float | None:
        if drill != "beat":
            return probe_lag(self.port, token, probe_song)
        from analytics.models import FillState

        since, started = time.time(), time.perf_counter()
        while time.perf_counter() - started < 300:
            state = FillState.objects.filter(name="rollups").first()
            if state is not None and state.last_run_at and state.last_run_at.timestamp() > since:
                return time.perf_counter() - started
            gevent.sleep(0.2)
        return None


def summarize(samples: list[tuple[float, str, float, int]], undone: float) -> dict[str, Any]:
    by_endpoint: dict[str, Counter] = defaultdict(Counter)
    for _, name, _, status in samples:
        by_endpoint[name][status] += 1
    failed = [s for s in samples if s[1] != "/readyz" and (s[3] >= 500 or s[3] == 0)]
    ready_again = [s[0] for s in samples if s[1] == "/readyz" and s[3] == 200 and s[0] >= undone]
    return {
        "statuses": {name: dict(sorted(c.items())) for name, c in sorted(by_endpoint.items())},
        "5xx (not /readyz)": sum(1 for s in failed if s[3] >= 500),
        "no answer (not /readyz)": sum(1 for s in failed if s[3] == 0),
        "/readyz 503": by_endpoint["/readyz"][503],
        "/readyz 200 again after undo, s": round(min(ready_again) - undone, 2) if ready_again else None,
        "last failed request after undo, s": round(max(s[0] for s in failed) - undone, 2) if failed else None,
    }


def task_sharing(stack: Stack) -> dict[str, Any]:
    """Per worker log, the tasks it ran by name; and task ids run more than once."""
    runs: Counter = Counter()
    per_log: dict[str, dict[str, int]] = {}
    for path in sorted(stack.logs.glob("worker*.log")):
        names: Counter = Counter()
        for line in path.read_text(errors="replace").splitlines():
            if '"task_id"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            names[f"{record.get('task')} {record.get('state')}"] += 1
            if record.get("state") == "SUCCESS":
                runs[record["task_id"]] += 1
        per_log[path.name] = dict(sorted(names.items()))
    return {
        "per worker log": per_log,
        "task ids that succeeded twice or more": sum(n > 1 for n in runs.values()),
    }


def drill(
    name: str, drills: Drills, env: Any, recorder: load_mix.Recorder, plan: load_mix.Plan, probe_song: int
) -> None:
    args = drills.args
    probe_token = next(iter(plan.tokens.values()))
    load_mix.set_clients(env, args.clients)
    gevent.sleep(args.baseline_seconds)
    faulted = time.time()
    what = drills.inject(name)
    print(f"\n== {name}: {what} at {time.strftime('%H:%M:%S')} ({load_average()})", flush=True)
    gevent.sleep(drills.down_seconds(name))
    drills.undo(name)
    undone = time.time()
    queued = drills.queued()
    background = drills.background(name, plan, probe_song, probe_token)
    gevent.sleep(args.after_seconds)
    ended = time.time()
    env.runner.stop()
    gevent.sleep(2)
    rounded = None if background is None else round(background, 1)
    print(f"fault {undone - faulted:.1f} s; background recovered {rounded} s after undo ({load_average()})")
    print(f"  tasks queued: {queued} at undo, {drills.queued()} at the end")
    for key, value in summarize(recorder.between(faulted, ended), undone).items():
        print(f"  {key}: {value}")
    for key, value in load_mix.after_run(plan, drills.stack).items():
        print(f"  {key}: {value}", flush=True)


def main() -> int:
    args = parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("bench/faults.py needs DATABASE_URL (PostgreSQL)", file=sys.stderr)
        return 2
    os.environ["LOG_FORMAT"] = "json"  # the workers' task ids, for the double-work check
    logs = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    plan, stack, redis_server, port = load_mix.up(args, logs)
    print(
        f"{len(plan.song_ids):,} songs, {len(plan.tokens):,} listeners; gunicorn x{args.web_workers}, "
        f"{args.workers} worker(s) x{args.celery_concurrency}, beat; {args.clients} clients; logs in {logs}",
        flush=True,
    )
    # The probe songs are nobody else's.
    probe_songs = plan.song_ids[-len(DRILLS) :]
    plan.song_ids = plan.song_ids[: -len(DRILLS)]
    plan.hot = [song for song in plan.hot if song not in probe_songs]
    try:
        env, recorder = load_mix.start_clients(plan, port)
        poller = gevent.spawn(poll_readyz, port, recorder)
        for name in args.only.split(","):
            probe_song = probe_songs[DRILLS.index(name)]
            drill(name, Drills(args, stack, redis_server, port), env, recorder, plan, probe_song)
        poller.kill()
        assert env.runner is not None
        env.runner.quit()
        print("\nworkers:", json.dumps(task_sharing(stack), indent=1))
    finally:
        stack.stop()
        redis_server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
