"""The load drivers of bench/ratings.py: votes sent as fast as the clients can, by an asyncio
client in this process (`python`) or by wrk running bench/ratings_wrk.lua (`wrk`), and what
each measured. See bench/ratings.py for how their latencies differ."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fixtures import percentile  # bench/ is on sys.path wherever this module is imported

WRK_SCRIPT = Path(__file__).resolve().parent / "ratings_wrk.lua"


async def post_once(port: int, token: str, body: bytes) -> tuple[int, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /api/ratings/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\nConnection: close\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    response = await reader.read()
    writer.close()
    elapsed = time.perf_counter() - started
    status = int(response[9:12]) if response.startswith(b"HTTP/1.") else 0
    return status, elapsed


async def run_clients(
    port: int,
    clients: int,
    duration: float,
    tokens: list[str],
    song_ids: list[int],
    hot: list[int],
    seed: int,
) -> tuple[list[float], dict[int, int], float]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + duration
    last_done = 0.0

    async def client(index: int) -> None:
        nonlocal last_done
        rng = random.Random(seed * 100 + index)
        while time.perf_counter() < deadline:
            song = rng.choice(hot) if rng.random() < 0.2 else rng.choice(song_ids)
            body = json.dumps({"song": song, "score": rng.randint(1, 5)}).encode()
            try:
                status, elapsed = await post_once(port, rng.choice(tokens), body)
            except OSError:
                status, elapsed = 0, 0.0
            statuses[status] = statuses.get(status, 0) + 1
            if status in (200, 201):
                latencies.append(elapsed)
            last_done = time.perf_counter()

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies, statuses, last_done - started


@dataclass
class Load:
    """What one phase's driver measured: answers by status (0: no answer), the phase's length,
    latency percentiles of the 2xx answers, and the driver's CPU seconds outside this process."""

    statuses: Counter
    span: float
    p50: float
    p95: float
    p99: float
    external_cpu: float = 0.0
    transport_errors: dict[str, int] = field(default_factory=dict)


def run_python(
    port: int,
    clients: int,
    duration: float,
    tokens: list[str],
    song_ids: list[int],
    hot: list[int],
    seed: int,
) -> Load:
    latencies, statuses, span = asyncio.run(run_clients(port, clients, duration, tokens, song_ids, hot, seed))
    return Load(
        Counter(statuses),
        span,
        percentile(latencies, 50),
        percentile(latencies, 95),
        percentile(latencies, 99),
    )


def write_wrk_data(directory: Path, tokens: list[str], song_ids: list[int], hot: list[int]) -> list[str]:
    """Writes the files bench/ratings_wrk.lua reads; returns them as its arguments."""
    (directory / "tokens.txt").write_text("\n".join(tokens) + "\n")
    ranges, ordered = [], sorted(song_ids)
    first = previous = ordered[0]
    for song in ordered[1:]:
        if song != previous + 1:
            ranges.append(f"{first} {previous}")
            first = song
        previous = song
    ranges.append(f"{first} {previous}")
    (directory / "songs.txt").write_text("\n".join(ranges) + "\n")
    (directory / "hot.txt").write_text("\n".join(map(str, hot)) + "\n")
    return [str(directory / name) for name in ("tokens.txt", "songs.txt", "hot.txt")]


def run_wrk(port: int, clients: int, duration: float, threads: int, data: list[str], seed: int) -> Load:
    command = [
        "wrk",
        "--latency",
        f"--threads={min(threads, clients)}",
        f"--connections={clients}",
        f"--duration={max(1, round(duration))}s",
        "--timeout=10s",
        f"--script={WRK_SCRIPT}",
        f"http://127.0.0.1:{port}",
        "--",
        *data,
        str(seed),
    ]
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        # wait4 gives the CPU of this child alone (os.times() would also count the pgrep calls).
        _, code, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(code)
        out.seek(0)
        text = out.read()
    found = re.search(r"^ratings-wrk (\{.*\})$", text, re.MULTILINE)
    if process.returncode != 0 or not found:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{text}")
    report = json.loads(found.group(1))
    errors = report["errors"]
    transport = {name: errors[name] for name in ("connect", "read", "write", "timeout") if errors[name]}
    return Load(
        Counter({int(status): count for status, count in report["statuses"].items()}),
        report["duration_us"] / 1e6,
        report["p50_us"] / 1e6,
        report["p95_us"] / 1e6,
        report["p99_us"] / 1e6,
        external_cpu=usage.ru_utime + usage.ru_stime,
        transport_errors=transport,
    )
