"""The HTTP side of bench/analytics.py: Gunicorn serving the project, the batch-ingest clients
and the sequential reader."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fixtures import start_gunicorn  # bench/ is on sys.path wherever this module is imported


class Server:
    """Gunicorn with production settings (JSON renderer, request log, user throttle, connection
    health checks), `workers` sync workers, its log in `log_path`. The user throttle's rate
    is raised so that the reader (one account, ~1,200 requests) is never refused; the throttle
    still runs, with its Redis round trips."""

    def __init__(self, port: int, workers: int, log_path: Path):
        self.port, self.workers, self.log_path = port, workers, log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "THROTTLE_USER": "100000000/min"}
        self.process = start_gunicorn(self.port, workers=self.workers, env=env, log=self.log_path)

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def request(
    port: int, method: str, path: str, body: bytes | None = None, token: str | None = None
) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------
# Batch ingest
# ------------------------------------------------------------------------------------------
@dataclass
class Batch:
    token: str
    body: bytes
    events: int


@dataclass
class IngestResult:
    span: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    stored: int = 0
    duplicates: int = 0
    sent_events: int = 0
    ran_out: bool = False
    errors: list[str] = field(default_factory=list)


def run_ingest(port: int, batches: list[Batch], clients: int, duration: float) -> IngestResult:
    """`clients` threads POST the prepared batches in turn (each batch once, each a different
    user's) until `duration` seconds have passed; the span ends with the last answer."""
    result = IngestResult()
    lock = threading.Lock()
    todo = iter(batches)
    deadline = time.perf_counter() + duration
    last_done = [0.0]

    def client() -> None:
        while time.perf_counter() < deadline:
            with lock:
                batch = next(todo, None)
            if batch is None:
                result.ran_out = True
                return
            started = time.perf_counter()
            try:
                status, body = request(port, "POST", "/api/analytics/activity/", batch.body, batch.token)
            except OSError as error:
                status, body = 0, str(error).encode()
            elapsed = time.perf_counter() - started
            with lock:
                result.statuses[status] += 1
                result.sent_events += batch.events
                last_done[0] = max(last_done[0], time.perf_counter())
                if status == 201:
                    answer = json.loads(body)
                    result.latencies.append(elapsed)
                    result.stored += answer["stored"]
                    result.duplicates += answer["duplicates"]
                elif len(result.errors) < 5:
                    result.errors.append(f"{status} {body[:300]!r}")

    started = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.span = last_done[0] - started
    return result


# ------------------------------------------------------------------------------------------
# Reads
# ------------------------------------------------------------------------------------------
def timed_reads(
    port: int, calls: list[tuple[str, str | None]], warmup: int, rng: random.Random
) -> list[float]:
    """Milliseconds of each (path, token) call, one at a time, after `warmup` calls drawn from
    the same list that are not counted. Any answer but 200 stops the run."""
    for path, token in rng.sample(calls, min(warmup, len(calls))):
        request(port, "GET", path, token=token)
    latencies = []
    for path, token in calls:
        started = time.perf_counter()
        status, body = request(port, "GET", path, token=token)
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
    return latencies


# ------------------------------------------------------------------------------------------
# CPU accounting
# ------------------------------------------------------------------------------------------
def _ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def cpu_sample(server: Server, postgres_pids: list[int]) -> dict[str, float]:
    """CPU seconds so far of the web workers, of the database's backends, of this process (the
    clients) and of the whole machine (all but idle and iowait), so a run on a shared machine
    can tell its own cost from its neighbours'."""
    tick = os.sysconf("SC_CLK_TCK")
    usage = os.times()
    with open("/proc/stat") as stat:
        machine = [int(value) for value in stat.readline().split()[1:]]
    return {
        "web": sum(_ticks(pid) for pid in server.worker_pids()) / tick,
        "postgres": sum(_ticks(pid) for pid in postgres_pids) / tick,
        "clients": usage.user + usage.system,
        "machine": (sum(machine) - machine[3] - machine[4]) / tick,
    }
