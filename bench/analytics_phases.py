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
from analytics_http import Server, timed_reads
from fixtures import percentile

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
def pending_rows(table: str = "analytics_pendingrollup") -> int:
    with data.connect() as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def timed_refresh(refresh) -> tuple[float, object]:
    started = time.perf_counter()
    outcome = refresh()
    return time.perf_counter() - started, outcome


def timed_drain(refresh) -> tuple[float, int, int]:
    """Runs `refresh` until it says nothing more remains: (seconds, runs, rows applied)."""
    seconds, runs, applied = 0.0, 0, 0
    while True:
        took, outcome = timed_refresh(refresh)
        seconds, runs, applied = seconds + took, runs + 1, applied + getattr(outcome, "applied", 0)
        if not getattr(outcome, "more", False):
            return seconds, runs, applied


def _recent(rng: random.Random, now: dt.datetime) -> dt.datetime:
    # Mostly today's, some up to two days late: clients send late.
    return now - dt.timedelta(seconds=rng.expovariate(1 / 14_400) % 172_800)


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
                occurred_at=_recent(rng, now),
                event_id=f"{rng.getrandbits(64):016x}",
            )
            for song, action in zip(songs, actions, strict=True)
        ]
        activity_record(user_id=user, events=events)
    return time.perf_counter() - started


@functools.cache
def _durations() -> dict[int, int]:
    with data.connect() as conn:
        return dict(conn.execute("SELECT id, duration_ms FROM catalog_song").fetchall())


def record_pending(population: data.Population, rng: random.Random, total: int, batch: int) -> float:
    """As `record_events`, but writes by COPY only the pending counts ingest would write with
    those events (one row per batch, day, song and action), which is all a refresh reads:
    through `activity_record`, 2 events a batch take minutes per 100k events."""
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    length = _durations()
    users = rng.sample(population.active_users, total // batch)
    columns = "day, user_id, song_id, action, count, listen_ms, last_at"
    sql = f"COPY analytics_pendingrollup ({columns}) FROM STDIN"
    with data.connect() as conn, conn.cursor() as cursor, cursor.copy(sql) as copy:
        for user in users:
            _, songs, actions = population.draw(rng, batch)
            counts: dict[tuple, tuple[int, int, dt.datetime]] = {}
            for song, action in zip(songs, actions, strict=True):
                at = _recent(rng, now)
                key = (at.date(), song, action)
                count, listen_ms, last = counts.get(key, (0, 0, at))
                counts[key] = (count + 1, listen_ms + (length[song] if action == 1 else 0), max(last, at))
            for (day, song, action), (count, listen_ms, last) in counts.items():
                copy.write_row((day, user, song, action, count, listen_ms, last))
    return time.perf_counter() - started


def measure_refresh(args: argparse.Namespace, population: data.Population, rng: random.Random) -> dict | None:
    days = named("analytics.services.rollups", "days_refresh")
    users = named("analytics.services.rollups", "user_rollups_refresh")
    if days is None or users is None:
        print("refresh: the two-stage rollup refresh does not exist yet; not measured")
        return None
    snapshots = named("analytics.services.snapshots", "snapshots_refresh")
    record = record_pending if args.record == "pending" else record_events
    drained_rows = pending_rows()
    day_s, day_runs, _ = timed_drain(days)
    user_s, user_runs, user_rows = timed_drain(users)
    print(
        f"refresh: draining what was pending ({drained_rows:,} pending rows) took {day_s:.2f} s in "
        f"{day_runs} day-stage run(s), {user_s:.2f} s in {user_runs} user-stage run(s) ({user_rows:,} rows)"
    )
    print(data.vacuum_pending(), flush=True)
    rounds: list[dict[str, Any]] = []
    user_runs_done: list[dict[str, Any]] = []
    for number in range(1, args.refresh_rounds + 1):
        record_s = record(population, rng, args.refresh_events, args.batch)
        pending = pending_rows()
        seconds, outcome = timed_refresh(days)
        snapshots_s = timed_refresh(snapshots)[0] if snapshots else None
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
            f"day stage after {args.refresh_events:,} new events ({pending:,} pending rows; recorded "
            f"({args.record}) in {record_s:.1f} s, {args.refresh_events / record_s:,.0f} events/s): "
            f"{seconds:.2f} s ({outcome!r})"
            + (f"; then snapshots_refresh() {snapshots_s:.2f} s" if snapshots_s is not None else "")
            + f"; load {load()}"
        )
        if number % args.user_stage_every == 0 or number == args.refresh_rounds:
            waiting = pending_rows("analytics_pendinguserrollup")
            seconds, runs, applied = timed_drain(users)
            events = args.refresh_events * (number - sum(run["rounds"] for run in user_runs_done))
            user_runs_done.append(
                {
                    "seconds": seconds,
                    "runs": runs,
                    "rows": applied,
                    "events": events,
                    "rounds": events // args.refresh_events,
                    "load": load(),
                }
            )
            print(
                f"user stage after {events:,} events ({waiting:,} rows waiting): {seconds:.2f} s in {runs} "
                f"run(s), {seconds / events * 100_000:.2f} s per 100k events; load {load()}"
            )
    times = [r["seconds"] for r in rounds]
    snapshot_times = [r["snapshots_s"] for r in rounds if r["snapshots_s"] is not None]
    return {
        "snapshots_median_s": statistics.median(snapshot_times) if snapshot_times else None,
        "median_s": statistics.median(times),
        "max_s": max(times),
        "rounds": rounds,
        "user_stage": user_runs_done,
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
    # What a missed read computes: the snapshot (500 items a kind) where the code has one.
    snapshot = named("analytics.selectors.snapshots", "trends_snapshot")
    trends_name = "trends_snapshot" if snapshot else "trends_compute"
    trends = snapshot or named("analytics.selectors.trends", "trends_compute")
    calls: dict[str, Callable[[], Any]] = {}
    if summary:
        calls["summary_compute()"] = summary
    if trends:
        for window in WINDOWS:
            calls[f"{trends_name}(window={window!r})"] = functools.partial(trends, window=window)
    rows = []
    for label, call in calls.items():
        values = [timed_refresh(call)[0] * 1000 for _ in range(runs)]
        rows.append({"compute": label, "median_ms": statistics.median(values), "runs": runs, "load": load()})
        print(f"compute {label}: median {rows[-1]['median_ms']:.0f} ms ({runs} runs); load {load()}")
    return rows
