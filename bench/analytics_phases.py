"""The refresh and read parts of bench/analytics.py, and the helpers both files use."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import importlib
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import analytics_data as data
from analytics_http import Server, percentile, timed_reads

WINDOWS = ("day", "week", "month", "all")
HEAVIEST = 10


def load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def named(module: str, name: str) -> Callable[..., Any] | None:
    """`module.name`, or None while it does not exist (it is being written on another branch)."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def rollup_functions() -> tuple[Callable[[], Any] | None, Callable[[], Any] | None]:
    """(rollups_refresh, rollups_rebuild), None for each that does not exist yet. Looked up
    by name: they are being written on another branch."""
    found: dict[str, Callable[[], Any]] = {}
    for module in ("analytics.services.rollups", "analytics.services.rollups_rebuild"):
        try:
            imported = importlib.import_module(module)
        except ImportError:
            continue
        for name in ("rollups_refresh", "rollups_rebuild"):
            if hasattr(imported, name):
                found.setdefault(name, getattr(imported, name))
    return found.get("rollups_refresh"), found.get("rollups_rebuild")


def tokens_for(user_ids: list[int]) -> dict[int, str]:
    from rest_framework_simplejwt.tokens import AccessToken

    from users.models import User

    users = User.objects.in_bulk(user_ids)
    return {user_id: str(AccessToken.for_user(users[user_id])) for user_id in user_ids}


def count_events() -> int:
    with data.connect() as conn:
        return conn.execute("SELECT count(*) FROM analytics_activity").fetchone()[0]


# ------------------------------------------------------------------------------------------
# b. Rollup refresh
# ------------------------------------------------------------------------------------------
def pending_rows() -> int:
    with data.connect() as conn:
        return conn.execute("SELECT count(*) FROM analytics_pendingrollup").fetchone()[0]


def timed_refresh(refresh) -> tuple[float, object]:
    started = time.perf_counter()
    outcome = refresh()
    return time.perf_counter() - started, outcome


def record_events(population: data.Population, rng: random.Random, total: int, batch: int) -> float:
    """Records `total` recent events through `activity_record`, one distinct listener per
    batch; returns the seconds it took."""
    from analytics.models import Action
    from analytics.services import EventIn, activity_record

    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    users = rng.sample(population.active_users, total // batch)
    for user in users:
        _, songs, actions = population.draw(rng, batch)
        events = [
            EventIn(
                song_id=song,
                action=Action(action),
                # Mostly today's, some up to two days late: clients send late.
                occurred_at=now - dt.timedelta(seconds=rng.expovariate(1 / 14_400) % 172_800),
                event_id=f"{rng.getrandbits(64):016x}",
            )
            for song, action in zip(songs, actions, strict=True)
        ]
        activity_record(user_id=user, events=events)
    return time.perf_counter() - started


def measure_refresh(args: argparse.Namespace, population: data.Population, rng: random.Random) -> dict | None:
    refresh, _ = rollup_functions()
    if refresh is None:
        print("refresh: analytics.services.rollups.rollups_refresh does not exist yet; not measured")
        return None
    snapshots = named("analytics.services.snapshots", "snapshots_refresh")
    drained_rows, drain_s, runs = pending_rows(), 0.0, 0
    while True:
        seconds, outcome = timed_refresh(refresh)
        drain_s, runs = drain_s + seconds, runs + 1
        if not getattr(outcome, "more", False):
            break
    print(
        f"refresh: draining what was pending ({drained_rows:,} pending rows) took {drain_s:.2f} s "
        f"in {runs} run(s)"
    )
    rounds: list[dict[str, Any]] = []
    times: list[float] = []
    snapshot_times: list[float] = []
    for _ in range(args.refresh_rounds):
        record_s = record_events(population, rng, args.refresh_events, args.batch)
        pending = pending_rows()
        seconds, outcome = timed_refresh(refresh)
        snapshots_s = timed_refresh(snapshots)[0] if snapshots else None
        times.append(seconds)
        snapshot_times += [] if snapshots_s is None else [snapshots_s]
        rounds.append(
            {
                "seconds": seconds,
                "snapshots_s": snapshots_s,
                "pending_rows": pending,
                "record_s": record_s,
                "load": load(),
            }
        )
        print(
            f"refresh after {args.refresh_events:,} new events ({pending:,} pending rows; recorded "
            f"in-process in {record_s:.1f} s, {args.refresh_events / record_s:,.0f} events/s): "
            f"{seconds:.2f} s ({outcome!r})"
            + (f"; then snapshots_refresh() {snapshots_s:.2f} s" if snapshots_s is not None else "")
            + f"; load {load()}"
        )
    return {
        "snapshots_median_s": statistics.median(snapshot_times) if snapshot_times else None,
        "median_s": statistics.median(times),
        "max_s": max(times),
        "rounds": rounds,
        "load": load(),
    }


# ------------------------------------------------------------------------------------------
# c. Reads
# ------------------------------------------------------------------------------------------
def read_plan(args: argparse.Namespace, population: data.Population, rng: random.Random) -> dict[str, list]:
    reader = rng.choice(population.active_users)
    heavy = [user for user, _ in data.heaviest_users(HEAVIEST)]
    random_users = rng.sample(population.active_users, args.reads)
    tokens = tokens_for([reader, *heavy, *random_users])
    # The floor: the cheapest request the server answers, in the same minutes.
    plan: dict[str, list] = {"/healthz (the floor)": [("/healthz", None)] * args.reads}
    plan |= {"/api/analytics/summary/": [("/api/analytics/summary/", tokens[reader])] * args.reads}
    for window in WINDOWS:
        path = f"/api/analytics/trends/?window={window}"
        plan[path] = [(path, tokens[reader])] * args.reads
    plan["/api/analytics/user/{id}/, random listeners"] = [
        (f"/api/analytics/user/{user}/", tokens[user]) for user in random_users
    ]
    per_heavy = max(1, args.reads // len(heavy))
    plan[f"/api/analytics/user/{{id}}/, the {len(heavy)} heaviest"] = [
        (f"/api/analytics/user/{user}/", tokens[user]) for user in heavy for _ in range(per_heavy)
    ]
    return plan


def measure_reads(args: argparse.Namespace, population: data.Population, rng: random.Random) -> list[dict]:
    from django.urls import resolve

    # Autovacuum would have analyzed the tables the ingest and the refreshes grew (it is off
    # on some machines, this one included); without statistics the planner guesses.
    print(data.analyze_analytics(), flush=True)
    plan = read_plan(args, population, rng)
    server = Server(args.port, args.web_workers, Path(args.workdir) / "web-reads.log")
    server.start()
    rows = []
    try:
        for label, calls in plan.items():
            # The API's catch-all answers an unknown path with a JSON 404 (no url_name).
            path = calls[0][0].split("?")[0]
            if path.startswith("/api/") and not resolve(path).url_name:
                print(f"read {label}: no such route yet; not measured")
                continue
            values = timed_reads(args.port, calls, args.warmup, rng)
            row = {
                "read": label,
                "requests": len(values),
                "p50_ms": percentile(values, 50),
                "p95_ms": percentile(values, 95),
                "max_ms": max(values),
                "load": load(),
            }
            rows.append(row)
            print(
                f"read {label}: p50 {row['p50_ms']:.1f} ms, p95 {row['p95_ms']:.1f} ms, "
                f"max {row['max_ms']:.1f} ms ({len(values)} requests); load {row['load']}",
                flush=True,
            )
    finally:
        server.stop()
    return rows


def measure_computes(runs: int = 3) -> list[dict]:
    """What a read costs when its cached snapshot is missing (first read, evicted, Redis down):
    the selectors that compute summary and trends, called in-process."""
    summary = named("analytics.selectors.summary", "summary_compute")
    trends = named("analytics.selectors.trends", "trends_compute")
    calls: dict[str, Callable[[], Any]] = {}
    if summary:
        calls["summary_compute()"] = summary
    if trends:
        for window in WINDOWS:
            calls[f"trends_compute(window={window!r})"] = functools.partial(trends, window=window)
    rows = []
    for label, call in calls.items():
        values = [timed_refresh(call)[0] * 1000 for _ in range(runs)]
        rows.append({"compute": label, "median_ms": statistics.median(values), "runs": runs, "load": load()})
        print(f"compute {label}: median {rows[-1]['median_ms']:.0f} ms ({runs} runs); load {load()}")
    return rows
