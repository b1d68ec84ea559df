"""The HTTP side of bench/search.py: Gunicorn as `make run` serves the API, and the clients
that time requests to it (one in sequence, several at once, a long run of one)."""

from __future__ import annotations

import http.client
import os
import subprocess
import threading
import time
from urllib.parse import urlencode

import fixtures  # bench/ is on sys.path wherever this module is imported


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "THROTTLE_ANON": "100000000/min",
        "THROTTLE_USER": "100000000/min",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
    }
    workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
    return fixtures.start_gunicorn(port, workers=workers, env=env, wait=30)


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def timed_get(port: int, path: str) -> float:
    started = time.perf_counter()
    status, body = get(port, path)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"{path}: {status} {body[:200]!r}")
    return elapsed


_unique = iter(range(10**12))


def unique_path(params: dict) -> str:
    # An unknown parameter makes every request a distinct cache key: no cache hits.
    return "/api/songs/?" + urlencode({**params, "nocache": next(_unique)})


def concurrent(
    port: int, params_list: list[dict], clients: int, duration: float
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + duration

    def client(offset: int) -> None:
        mine = []
        i = offset
        while time.perf_counter() < stop:
            mine.append(timed_get(port, unique_path(params_list[i % len(params_list)])))
            i += clients
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), latencies


def long_run(port: int, params_list: list[dict], requests: int) -> list[float]:
    """`requests` unique requests in a row, one client, cycling through `params_list`: the
    rare slow request (a pause of a worker's own, not of the query) shows in the tail
    percentiles of a run this long, and hides among 40 queries of a kind."""
    return [timed_get(port, unique_path(params_list[i % len(params_list)])) for i in range(requests)]
