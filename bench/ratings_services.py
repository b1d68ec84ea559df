"""bench/ratings.py's processes and meters: Gunicorn and a Celery worker as the Procfile runs
them, the probe that times how soon a vote reaches its song's aggregates, CPU per process."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from fixtures import BASE_DIR


class Services:
    def __init__(self, args: argparse.Namespace, port: int, logs: Path):
        self.args, self.port, self.logs = args, port, logs
        self.processes: list[subprocess.Popen] = []

    def start(self) -> None:
        env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(self.args.web_workers),
        }
        bin_dir = Path(sys.executable).parent
        self._spawn([str(bin_dir / "gunicorn"), "music_discovery.wsgi"], env, "web.log")
        self._spawn(
            [
                str(bin_dir / "celery"),
                "-A",
                "music_discovery",
                "worker",
                "-Q",
                "celery,recommendations",  # every queue: one bench worker does all the work
                "--loglevel",
                "INFO",
                "--concurrency",
                str(self.args.celery_concurrency),
                "--without-gossip",
                "--without-mingle",
            ],
            env,
            "worker.log",
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if " ready." in self.worker_log() and self._web_up():
                return
            time.sleep(0.2)
        raise RuntimeError("gunicorn or the celery worker did not start; see " + str(self.logs))

    def _spawn(self, command: list[str], env: dict, log_name: str) -> None:
        with (self.logs / log_name).open("w") as log:
            self.processes.append(
                subprocess.Popen(
                    command,
                    cwd=BASE_DIR,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def _web_up(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def worker_log(self) -> str:
        return (self.logs / "worker.log").read_text(errors="replace")

    def web_log_size(self) -> int:
        return (self.logs / "web.log").stat().st_size

    def answered_votes(self, since: int) -> Counter:
        """Statuses of POST /api/ratings/ in the server's request log after byte `since`."""
        with (self.logs / "web.log").open("rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
        return Counter(int(status) for status in re.findall(r"POST /api/ratings/ (\d{3}) ", text))

    def flush_counts(self) -> tuple[int, int]:
        """(flush tasks run, songs they recomputed) so far, from the worker's log."""
        log = self.worker_log()
        recomputed = sum(int(n) for n in re.findall(r"ratings: recomputed (\d+) songs", log))
        return log.count("catalog.ratings_flush SUCCESS"), recomputed

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


class Probe(threading.Thread):
    """Rates songs nobody else touches, one at a time, and measures how long each takes to be
    reflected exactly in the song's stored aggregates."""

    def __init__(self, port: int, tokens: list[str], song_ids: list[int], stop: threading.Event):
        super().__init__(daemon=True)
        self.port, self.tokens, self.song_ids, self.stop_event = port, tokens, song_ids, stop
        self.lags: list[float] = []
        self.timeouts = 0
        self.statuses: Counter = Counter()

    def run(self) -> None:
        from django.db import connection

        from catalog.ratings.selectors import song_ratings_stored, song_ratings_truth

        rng = random.Random(1)
        try:
            while not self.stop_event.is_set():
                song = rng.choice(self.song_ids)
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request(
                    "POST",
                    "/api/ratings/",
                    json.dumps({"song": song, "score": rng.randint(1, 5)}),
                    {
                        "Content-Type": "application/json",
                        "Authorization": f"Bearer {rng.choice(self.tokens)}",
                    },
                )
                status = conn.getresponse().status
                self.statuses[status] += 1
                if status not in (200, 201):
                    continue
                answered = time.perf_counter()
                truth = song_ratings_truth(song_ids=[song])
                while song_ratings_stored(song_ids=[song]) != truth:
                    if time.perf_counter() - answered > 10:
                        self.timeouts += 1
                        break
                    time.sleep(0.02)
                else:
                    self.lags.append(time.perf_counter() - answered)
                time.sleep(0.1)
        finally:
            connection.close()


class CpuMeter:
    """CPU seconds used by each part of the stack (from /proc), and by the whole machine, so a
    run on a shared machine can tell its own cost from its neighbours' load."""

    def __init__(self, services: Services):
        self.services = services

    def _pids(self) -> dict[str, list[int]]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            postgres = [row[0] for row in cursor.fetchall()]
        web, worker = self.services.processes
        return {
            "web": _children(web.pid),
            "worker": [worker.pid, *_children(worker.pid)],
            "postgres": postgres,
        }

    def sample(self) -> dict[str, float]:
        tick = os.sysconf("SC_CLK_TCK")
        sample = {
            name: sum(_process_ticks(pid) for pid in pids) / tick for name, pids in self._pids().items()
        }
        usage = os.times()
        sample["bench"] = usage.user + usage.system
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
        sample["machine_busy"] = (sum(fields) - fields[3] - fields[4]) / tick  # all but idle, iowait
        return sample


def _children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except OSError:
        return []
    return [int(child) for child in out.split()]


def _process_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def wait_until_no_drift(timeout: float) -> float | None:
    from catalog.ratings.selectors import songs_with_drifted_ratings

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if not songs_with_drifted_ratings(limit=1):
            return time.perf_counter() - started
        time.sleep(0.05)
    return None
