"""Recommendation speed on PostgreSQL + Redis: the model's rebuild, one listener's list in
process, and a cached list through the API.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/reco_speed.py \
        [--songs 1000000] [--listeners 100000] [--events 10000000] [--lists 300] [--requests 2000]

1. The catalog: `--songs` synthetic songs with artists (bench/make_catalog.py through
   `load_music`, as bench/load.py does), kept between runs.
2. The listeners' signals: `--listeners` accounts and their per-song rollup rows
   (analytics' UserSong, what the model reads; the events table itself is never read by it),
   written by one SQL statement: each row one to three events of one action (play 80%,
   skip 12%, like 6%, share 2%) on a song drawn with a strong popularity skew, until the
   counts add up to about `--events`. Kept between runs.
3. Rebuild: `build_model()` three times, with its parts (catalog arrays, the listeners'
   matrix, the collaborative fit) timed apart.
4. A list in process: `recommend(limit=20)` for `--lists` listeners (each once before the
   clock, so the model and the connection are warm), and for as many listeners with nothing
   but a profile: p50 / p95 / max.
5. A cached GET through Gunicorn (3 sync workers, one client, keep-alive): lists put in the
   cache first, then `--requests` GETs spread over them; `/healthz` in the same minutes as
   the floor.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")

from fixtures import fill_songs, free_port, start_gunicorn  # noqa: E402

LISTENER_PREFIX = "bench-reco-"


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    median = statistics.median(ordered)
    return f"p50 {median:.1f} / p95 {p95:.1f} / max {ordered[-1]:.1f} ms (n={len(ordered)})"


def fill_listeners(count: int) -> list[int]:
    from users.models import User

    have = User.objects.filter(username__startswith=LISTENER_PREFIX).count()
    if have < count:
        User.objects.bulk_create(
            [
                User(username=f"{LISTENER_PREFIX}{i}", email=f"reco-{i}@bench.invalid", password="!").keyed()
                for i in range(have, count)
            ],
            batch_size=10_000,
        )
    return list(
        User.objects.filter(username__startswith=LISTENER_PREFIX).order_by("id").values_list("id", flat=True)
    )[:count]


def fill_signals(listeners: list[int], events: int) -> int:
    """UserSong rows adding up to about `events` events; returns the events they hold."""
    from django.db import connection

    from analytics.scoring import ACTION_WEIGHTS, COUNT_FIELDS

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(plays + likes + skips + shares), 0) FROM analytics_usersong")
        have = int(cursor.fetchone()[0])
        if have >= 0.9 * events:
            return have
        cursor.execute("SELECT min(id), max(id) FROM catalog_song")
        low, high = cursor.fetchone()
        rows = int((events - have) / 2)  # a row holds two events on average
        # The stored score, by analytics' one definition of the weights.
        score = " + ".join(f"{COUNT_FIELDS[action]} * {weight}" for action, weight in ACTION_WEIGHTS.items())
        started = time.perf_counter()
        cursor.execute(
            f"""
            INSERT INTO analytics_usersong (user_id, song_id, plays, likes, skips, shares, last_at, score)
            SELECT *, {score} FROM (SELECT u.ids[1 + (g %% cardinality(u.ids))] AS user_id,
                   %(low)s + floor((%(high)s - %(low)s) * power(random(), 4))::bigint AS song_id,
                   CASE WHEN a < 0.80 THEN n ELSE 0 END AS plays,
                   CASE WHEN a >= 0.80 AND a < 0.86 THEN n ELSE 0 END AS likes,
                   CASE WHEN a >= 0.86 AND a < 0.98 THEN n ELSE 0 END AS skips,
                   CASE WHEN a >= 0.98 THEN n ELSE 0 END AS shares,
                   now() - random() * interval '90 days' AS last_at
            FROM generate_series(1, %(rows)s) AS g,
                 -- g in the subquery: drawn per row, not once for the statement
                 LATERAL (SELECT random() + 0 * g AS a, 1 + floor(random() * 3 + 0 * g)::int AS n) AS draw,
                 (SELECT %(listeners)s::bigint[] AS ids) AS u) AS rows
            ON CONFLICT DO NOTHING
            """,
            {"low": low, "high": high, "rows": rows, "listeners": listeners},
        )
        cursor.execute("ANALYZE analytics_usersong")
        cursor.execute("SELECT sum(plays + likes + skips + shares), count(*) FROM analytics_usersong")
        total, count = cursor.fetchone()
    print(f"signals: {count:,} rollup rows holding {total:,} events ({time.perf_counter() - started:.0f} s)")
    return int(total)


def time_rebuild(runs: int) -> None:
    from recommendations.engine import build_collaborative
    from recommendations.model import build_model
    from recommendations.selectors import catalog_arrays, user_song_matrix

    for run in range(runs):
        started = time.perf_counter()
        catalog, index = catalog_arrays()
        read_catalog = time.perf_counter()
        user_ids, user_songs = user_song_matrix(catalog, index)
        read_signals = time.perf_counter()
        build_collaborative(
            user_ids=user_ids, user_songs=user_songs, song_artists=catalog.song_artists, kind="ease"
        )
        fitted = time.perf_counter()
        print(
            f"rebuild {run + 1}: catalog {read_catalog - started:.1f} s, "
            f"signals {read_signals - read_catalog:.1f} s "
            f"({user_songs.nnz:,} entries, {len(user_ids):,} listeners), fit {fitted - read_signals:.1f} s, "
            f"total {fitted - started:.1f} s"
        )
    model = build_model()
    print(f"build_model(): {model.build_seconds:.1f} s")


def time_lists(listeners: list[int], count: int, rng: random.Random) -> None:
    from recommendations.services import recommend
    from users.models import User

    chosen = rng.sample(listeners, min(count, len(listeners)))
    cold_names = [f"bench-reco-cold-{i}" for i in range(count)]
    User.objects.bulk_create(
        [User(username=name, email=f"{name}@bench.invalid", password="!").keyed() for name in cold_names],
        ignore_conflicts=True,
    )
    cold = list(User.objects.filter(username__in=cold_names).values_list("id", flat=True))
    for label, users in (("listeners with history", chosen), ("new listeners", cold)):
        for user_id in users[:20]:
            recommend(user_id=user_id, limit=20)
        samples = []
        for user_id in users:
            started = time.perf_counter()
            recommend(user_id=user_id, limit=20)
            samples.append((time.perf_counter() - started) * 1000)
        print(f"recommend(limit=20), {label}: {percentiles(samples)}")


def _get(conn: http.client.HTTPConnection, path: str, token: str | None) -> tuple[int, float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status, (time.perf_counter() - started) * 1000


def time_cached_gets(listeners: list[int], requests: int, rng: random.Random) -> None:

    from rest_framework_simplejwt.tokens import AccessToken

    from recommendations.lists import list_for
    from users.models import User

    users = rng.sample(listeners, min(100, len(listeners)))
    for user_id in users:
        list_for(user_id=user_id, limit=20)
    tokens = {user.pk: str(AccessToken.for_user(user)) for user in User.objects.filter(pk__in=users)}
    port = free_port()
    env = {**os.environ, "THROTTLE_USER": "1000000/min"}
    web = start_gunicorn(port, workers=3, env=env, log=Path(tempfile.mkdtemp()) / "web.log", wait=30)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        for label, paths in (
            ("/healthz (floor)", [("/healthz", None)] * requests),
            (
                "cached GET /api/recommendations/user/{id}/",
                [(f"/api/recommendations/user/{u}/", tokens[u]) for u in rng.choices(users, k=requests)],
            ),
        ):
            samples, statuses = [], []
            for path, token in paths[:50]:
                _get(conn, path, token)
            for path, token in paths:
                status, ms = _get(conn, path, token)
                statuses.append(status)
                samples.append(ms)
            print(f"{label}: {percentiles(samples)}, statuses {sorted(set(statuses))}")
    finally:
        web.terminate()
        web.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--songs", type=int, default=1_000_000)
    parser.add_argument("--listeners", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--lists", type=int, default=300)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rebuilds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit(
            "bench/reco_speed.py measures the production stack: set DATABASE_URL (PostgreSQL), REDIS_URL"
        )

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    print(f"load average {os.getloadavg()[0]:.1f}")
    fill_songs(args.songs)
    listeners = fill_listeners(args.listeners)
    fill_signals(listeners, args.events)
    time_rebuild(args.rebuilds)
    time_lists(listeners, args.lists, rng)
    time_cached_gets(listeners, args.requests, rng)
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(json.dumps({"songs": args.songs, "listeners": args.listeners, "events": args.events}))


if __name__ == "__main__":
    main()
