"""The processes of bench/load_mix.py and bench/faults.py, and the checks after a run.

- `PrivateRedis`: a redis-server of the bench's own on its own port (append-only file in the
  run's directory, as the Compose file's queue keeps one), so that stopping it touches
  nobody else's Redis;
- `Stack`: bench/ratings_services.py's Gunicorn + Celery worker, plus beat and more workers,
  each of which can be killed and started again;
- the checks: ratings and events the clients were told were stored and that are not in the
  database, and rollups that differ from counts of the events.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
from ratings_services import CpuMeter, Services, _children


class PrivateRedis:
    def __init__(self, port: int, directory: Path):
        self.port, self.directory = port, directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with (self.directory / "redis.log").open("a") as log:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    str(self.directory),
                    "--appendonly",
                    "yes",
                    "--save",
                    "",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_timeout=0.5).ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        """SIGTERM: Redis writes its append-only file and exits, as `docker compose stop` does."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None


class Stack(Services):
    """Gunicorn, `--workers` Celery workers and beat. Services.start() starts Gunicorn and the
    first worker (log `worker.log`); the others are started here, each with a node name and
    a log of its own."""

    def __init__(self, args: argparse.Namespace, port: int, logs: Path):
        super().__init__(args, port, logs)
        self.named: dict[str, subprocess.Popen] = {}
        self.starts = 0

    def env(self) -> dict[str, str]:
        return {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port)}

    def start(self) -> None:
        super().start()
        self.named["web"], self.named["worker1"] = self.processes
        for number in range(2, self.args.workers + 1):
            self.start_worker(number)
        self.start_beat()

    def start_worker(self, number: int) -> None:
        self.starts += 1
        log = f"worker{number}-{self.starts}.log"
        command = [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "music_discovery",
            "worker",
            "-Q",
            "celery,recommendations",  # every queue: the bench's workers share all the work
            "--loglevel",
            "INFO",
            "--concurrency",
            str(self.args.celery_concurrency),
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"worker{number}-{self.starts}@%h",
        ]
        self._spawn(command, self.env(), log)
        self.named[f"worker{number}"] = self.processes[-1]
        deadline = time.monotonic() + 60
        while " ready." not in (self.logs / log).read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker {number} did not start; see {self.logs / log}")
            time.sleep(0.2)

    def start_beat(self) -> None:
        self.starts += 1
        command = [str(Path(sys.executable).parent / "celery"), "-A", "music_discovery", "beat"]
        command += ["--loglevel", "INFO", "--schedule", str(self.logs / "celerybeat-schedule")]
        self._spawn(command, self.env(), f"beat-{self.starts}.log")
        self.named["beat"] = self.processes[-1]

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal a process and all its children (a worker's pool), and wait for it."""
        process = self.named.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=30)
        self.processes.remove(process)

    def worker_logs(self) -> str:
        return "".join(path.read_text(errors="replace") for path in sorted(self.logs.glob("worker*.log")))


class StackCpu(CpuMeter):
    """bench/ratings_services.py's meter over this stack's processes: CPU seconds of the web
    processes, the workers (and their pools), beat, Redis, this process (the clients), and
    the whole machine; and the whole PostgreSQL server's (everyone's databases: a backend
    ends with its connection, CONN_MAX_AGE 60 s, so this database's cannot be told apart)."""

    def __init__(self, stack: Stack, redis_server: PrivateRedis):
        super().__init__(stack)
        self.stack, self.redis_server = stack, redis_server

    def sample(self) -> dict[str, float]:
        sample = super().sample()
        sample["postgres_server"] = postgres_server_ticks() / os.sysconf("SC_CLK_TCK")
        return sample

    def _pids(self) -> dict[str, list[int]]:
        named = self.stack.named
        workers = [process.pid for name, process in named.items() if name.startswith("worker")]
        redis_process = self.redis_server.process
        return {
            "web": _children(named["web"].pid),
            "workers": [pid for worker in workers for pid in [worker, *_children(worker)]],
            "beat": [named["beat"].pid] if "beat" in named else [],
            "redis": [redis_process.pid] if redis_process else [],
        }


def postgres_server_ticks() -> int:
    """CPU ticks of this machine's PostgreSQL server, all databases: its live processes' own,
    plus those of the backends that ended, which the postmaster's children counters keep."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        if text[text.index("(") + 1 : text.rindex(")")] == "postgres":
            stats[int(entry.name)] = text.rsplit(")", 1)[1].split()
    total = 0
    for fields in stats.values():
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if int(fields[1]) not in stats:  # the postmaster: its children's, once reaped
            total += int(fields[13]) + int(fields[14])
    return total


def cpu_per_request(before: dict[str, float], after: dict[str, float], requests: int) -> str:
    """CPU ms per request of each part, and the bench's share of the machine's busy time."""
    spent = {name: after[name] - before.get(name, 0.0) for name in after}
    busy = spent.pop("machine_busy")
    ours = sum(v for k, v in spent.items() if k != "postgres_server")
    with_pg = ours + spent.get("postgres_server", 0.0)
    parts = ", ".join(f"{name} {1000 * value / max(requests, 1):.2f}" for name, value in spent.items())
    return (
        f"CPU ms per request: {parts}; of {busy:.1f} busy CPU s: this stack {ours:.1f} "
        f"({ours / busy:.0%}), with the PostgreSQL server {with_pg:.1f} ({with_pg / busy:.0%})"
    )


# ------------------------------------------------------------------------------------------
# After a run
# ------------------------------------------------------------------------------------------
def ratings_missing(accepted: set[tuple[int, int]]) -> int:
    """Ratings answered 200/201 whose row is not in the table (must be 0)."""
    from catalog.models import Rating

    stored = set(Rating.objects.values_list("user_id", "song_id").iterator(chunk_size=50_000))
    return len(accepted - stored)


def events_stored(prefix: str) -> set[str]:
    from analytics.models import Activity

    rows = Activity.objects.filter(event_id__startswith=prefix).values_list("event_id", flat=True)
    return {event_id for event_id in rows.iterator(chunk_size=50_000) if event_id}


def rollups_drain(timeout: float = 120.0) -> float | None:
    """Refresh the rollups in this process until no pending count is left (the beat's job,
    done at once); seconds taken, None when the timeout passed first."""
    from analytics.models import PendingRollup
    from analytics.services.rollups import rollups_catch_up

    started = time.perf_counter()
    while PendingRollup.objects.exists():
        if time.perf_counter() - started > timeout:
            return None
        if not rollups_catch_up():
            time.sleep(0.2)  # another refresh (the worker's) holds the lock
    return time.perf_counter() - started


_COUNTS = ", ".join(
    f"count(*) FILTER (WHERE a.action = {number}) AS {name}"
    for number, name in ((1, "plays"), (2, "likes"), (3, "skips"), (4, "shares"))
)
_EXISTING = (
    "EXISTS (SELECT 1 FROM catalog_song s WHERE s.id = a.song_id) "
    "AND EXISTS (SELECT 1 FROM users_user u WHERE u.id = a.user_id)"
)
_DIFFERS = " OR ".join(f"t.{f} IS DISTINCT FROM r.{f}" for f in ("plays", "likes", "skips", "shares"))
ROLLUP_DRIFT_SQL = {
    "songday": f"""
        WITH t AS (SELECT (a.occurred_at AT TIME ZONE 'UTC')::date AS day, a.song_id, {_COUNTS}
                   FROM analytics_activity a WHERE {_EXISTING} GROUP BY 1, 2)
        SELECT count(*) FROM t FULL JOIN analytics_songday r USING (day, song_id) WHERE {_DIFFERS}""",
    "usermonth": f"""
        WITH t AS (SELECT date_trunc('month', a.occurred_at AT TIME ZONE 'UTC')::date AS month, a.user_id,
                          {_COUNTS}, coalesce(sum(s.duration_ms) FILTER (WHERE a.action = 1), 0) AS listen_ms
                   FROM analytics_activity a JOIN catalog_song s ON s.id = a.song_id
                   WHERE {_EXISTING} GROUP BY 1, 2)
        SELECT count(*) FROM t FULL JOIN analytics_usermonth r USING (month, user_id)
        WHERE {_DIFFERS} OR t.listen_ms IS DISTINCT FROM r.listen_ms""",
    "usersong": f"""
        WITH t AS (SELECT a.user_id, a.song_id, {_COUNTS}
                   FROM analytics_activity a WHERE {_EXISTING} GROUP BY 1, 2)
        SELECT count(*) FROM t FULL JOIN analytics_usersong r USING (user_id, song_id) WHERE {_DIFFERS}""",
}


def rollup_drift() -> dict[str, int]:
    """Rollup rows that differ from counts of the events (or exist on one side only), per
    table; all 0 when every committed event was counted exactly once."""
    from django.db import connection

    drift = {}
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '128MB'")
        for table, sql in ROLLUP_DRIFT_SQL.items():
            cursor.execute(sql)
            drift[table] = cursor.fetchone()[0]
    return drift


def load_average() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
