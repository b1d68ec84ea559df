"""A mixed load through Gunicorn + Celery worker + beat on PostgreSQL and Redis, in steps of
rising concurrency, until p95 passes 200 ms.

    DATABASE_URL=postgres://.../md_load python bench/load_mix.py \
        [--users 10000] [--events 200000] [--songs 0] [--step-seconds 60] [--clients 4,8,16,32,64]

The catalog is the real Spotify tracks file (`manage.py load_music --skip-invalid`, as
bench/analytics_data.py loads it), plus, with --songs N, a synthetic catalog of N songs
(bench/fixtures.py's fill_songs: bench/make_catalog.py + load_music) unless the database
already holds N songs; --users listeners
with --events listening events over 30 days (bench/analytics_data.py, rollups built by SQL).
Redis is a redis-server of the bench's own on --redis-port (never a shared one). The server
runs with production settings and THROTTLE_USER raised: every client is a real listener with a
JWT minted here, and the user throttle would otherwise answer 429 to a closed-loop client.

Locust (headless, as a library) runs closed-loop clients, each request from a random
listener: 40% `search=` with one or two words of real titles, 20% plain lists and filters,
10% a song's page, 10% activity batches (1-50 events, each with an `event_id`), 5% ratings
(80% random songs, 20% 50 hot ones), 10% the listener's recommendations (a 202, a list being
computed in the background, counts as a success and is not polled), 5% trends. Per step:
requests/s, p95, 5xx, client errors, load average; then the highest requests/s at p95 <=
200 ms with no 5xx, each endpoint's p50/p95, and the checks: rating aggregates drift 0,
every accepted rating and event stored, rollups equal to counts of the events.
"""

from __future__ import annotations

from gevent import monkey

# Locust runs on gevent: sockets, sleeps and subprocesses must cooperate before anything
# imports them.
monkey.patch_all()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, ClassVar  # noqa: E402

import gevent  # noqa: E402
import redis  # noqa: E402
from locust import FastHttpUser, constant, task  # noqa: E402
from locust.env import Environment  # noqa: E402

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")
from fixtures import fill_songs, free_port, reset_ratings, serve_as_production  # noqa: E402

serve_as_production()
os.environ.setdefault("THROTTLE_USER", "1000000/min")
os.environ.setdefault("JWT_ACCESS_MINUTES", "600")  # a fault drill outlives the default 15
os.environ.setdefault("PYTHONUNBUFFERED", "1")  # a SIGKILLed worker's log keeps its last lines

import analytics_data as data  # noqa: E402
from mix_figures import per_endpoint, step_figures  # noqa: E402
from mix_stack import PrivateRedis, Stack, StackCpu, cpu_per_request, load_average  # noqa: E402

P95_LIMIT_MS = 200.0
HOT_SONGS = 50
ACTIONS = ("play", "like", "skip", "share")
ACTION_WEIGHTS = (80, 6, 12, 2)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared with bench/faults.py."""
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=200_000, help="listening events written beforehand")
    parser.add_argument("--songs", type=int, default=0, help="add a synthetic catalog of this many songs")
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 5)))
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes")
    parser.add_argument("--port", type=int, default=0, help="Gunicorn's port (default: a free one)")
    parser.add_argument("--redis-port", type=int, default=8722, help="the bench's own redis-server")
    parser.add_argument("--seed", type=int, default=7)


# ------------------------------------------------------------------------------------------
# The data and the accounting of what the server accepted
# ------------------------------------------------------------------------------------------
@dataclass
class Plan:
    tokens: dict[int, str]
    song_ids: list[int]
    hot: list[int]
    words: list[str]
    genres: list[str]
    prefix: str  # of this run's event ids
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    serial: itertools.count = field(default_factory=itertools.count)
    accepted_ratings: set[tuple[int, int]] = field(default_factory=set)
    accepted_events: set[str] = field(default_factory=set)
    answered_stored: int = 0

    @property
    def user_ids(self) -> list[int]:
        return list(self.tokens)


def prepare(args: argparse.Namespace) -> Plan:
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    from catalog.models import Genre, Song
    from users.models import User

    call_command("migrate", verbosity=0)
    print(data.load_catalog(keep=True), flush=True)
    if args.songs:
        fill_songs(args.songs)
    print(data.fill_users(args.users), flush=True)
    user_ids = data.listener_ids()[: args.users]
    if data.generated_events() < args.events:
        data.reset_analytics()
        population = data.Population.build(user_ids, data.song_ids(), args.seed)
        print(data.generate_events(population, args.events, 30, args.seed), flush=True)
        print(data.rollups_by_sql(), flush=True)
    reset_ratings()  # and empties the bench's Redis
    users = User.objects.filter(id__in=user_ids)
    tokens = {user.pk: f"Bearer {AccessToken.for_user(user)}" for user in users.iterator(chunk_size=5000)}
    song_ids = list(Song.objects.values_list("id", flat=True).iterator(chunk_size=50_000))
    rng = random.Random(args.seed)
    titles = Song.objects.order_by("?").values_list("title", flat=True)[:3000]
    words = sorted({w for title in titles for w in re.findall(r"\w{3,}", title)})
    return Plan(
        tokens=tokens,
        song_ids=song_ids,
        hot=rng.sample(song_ids, HOT_SONGS),
        words=words,
        genres=list(Genre.objects.values_list("name", flat=True)[:200]),
        prefix=f"mix-{int(time.time())}-",
    )


class Recorder:
    """Every answer: (start time, endpoint, milliseconds, status; 0 = no answer)."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, str, float, int]] = []

    def on_request(self, name: str, response_time: float, response: Any = None, **kwargs: Any) -> None:
        status = getattr(response, "status_code", 0) or 0
        start = kwargs.get("start_time") or time.time()
        self.samples.append((start, name, response_time, status))

    def between(self, start: float, stop: float) -> list[tuple[float, str, float, int]]:
        return [s for s in self.samples if start <= s[0] < stop]


# ------------------------------------------------------------------------------------------
# The clients
# ------------------------------------------------------------------------------------------
class Listener(FastHttpUser):
    """A closed-loop client; each request is a random listener's."""

    wait_time = constant(0)
    plan: ClassVar[Plan]
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.rng = random.Random()

    def _who(self) -> tuple[int, dict[str, str]]:
        user = self.rng.choice(self.plan.user_ids)
        return user, {"Authorization": self.plan.tokens[user]}

    @task(40)
    def search(self) -> None:
        terms = " ".join(self.rng.sample(self.plan.words, self.rng.choice((1, 1, 2))))
        self.client.get(f"/api/songs/?search={terms}", headers=self._who()[1], name="songs ?search=")

    @task(20)
    def browse(self) -> None:
        rng, genre = self.rng, self.rng.choice(self.plan.genres or ["pop"])
        query = rng.choice(
            (
                f"page={rng.randint(1, 50)}",
                f"ordering=-popularity&page={rng.randint(1, 5)}",
                f"genre={genre}",
                f"genre={genre}&ordering=-popularity",
                f"min_energy={rng.randint(0, 9) / 10}&max_valence={rng.randint(1, 10) / 10}",
                "ordering=-rating_score",
            )
        )
        self.client.get(f"/api/songs/?{query}", headers=self._who()[1], name="songs list/filter")

    @task(10)
    def detail(self) -> None:
        song = self.rng.choice(self.plan.song_ids)
        self.client.get(f"/api/songs/{song}/", headers=self._who()[1], name="song detail")

    @task(10)
    def activity(self) -> None:
        plan, rng = self.plan, self.rng
        ids = [f"{plan.prefix}{next(plan.serial)}" for _ in range(rng.randint(1, 50))]
        actions = rng.choices(ACTIONS, weights=ACTION_WEIGHTS, k=len(ids))
        batch = [
            {"song": rng.choice(plan.song_ids), "action": action, "event_id": event_id}
            for event_id, action in zip(ids, actions, strict=True)
        ]
        response = self.client.post(
            "/api/analytics/activity/", json=batch, headers=self._who()[1], name="activity batch"
        )
        if response.status_code == 201:
            plan.accepted_events.update(ids)
            plan.answered_stored += json.loads(response.content)["stored"]

    @task(5)
    def rate(self) -> None:
        plan, rng = self.plan, self.rng
        song = rng.choice(plan.hot) if rng.random() < 0.2 else rng.choice(plan.song_ids)
        user, headers = self._who()
        body = {"song": song, "score": rng.randint(1, 5)}
        response = self.client.post("/api/ratings/", json=body, headers=headers, name="rating")
        if response.status_code in (200, 201):
            plan.accepted_ratings.add((user, song))

    @task(10)
    def recommendations(self) -> None:
        user, headers = self._who()
        self.client.get(f"/api/recommendations/user/{user}/", headers=headers, name="recommendations")

    @task(5)
    def trends(self) -> None:
        window = self.rng.choice(("day", "week", "week", "month"))
        self.client.get(f"/api/analytics/trends/?window={window}", headers=self._who()[1], name="trends")


def start_clients(plan: Plan, port: int) -> tuple[Environment, Recorder]:
    Listener.plan = plan
    recorder = Recorder()
    # stop_timeout: a stopped client finishes the request in flight, so that every answer
    # the server gave is counted (one cut off would be a write stored "without an answer").
    env = Environment(user_classes=[Listener], host=f"http://127.0.0.1:{port}", stop_timeout=60)
    env.events.request.add_listener(recorder.on_request)
    env.create_local_runner()
    return env, recorder


def set_clients(env: Environment, count: int) -> None:
    assert env.runner is not None
    env.runner.start(count, spawn_rate=max(count, 1) * 4)
    gevent.sleep(max(count / 4, 1.0))


def up(args: argparse.Namespace, logs: Path) -> tuple[Plan, Stack, PrivateRedis, int]:
    """The bench's Redis, the data, then the server processes."""
    redis_server = PrivateRedis(args.redis_port, logs)
    redis_server.start()
    os.environ["REDIS_URL"] = redis_server.url
    import django

    django.setup()
    from django.db import connection

    port = args.port or free_port()
    stack = Stack(args, port, logs)
    try:
        plan = prepare(args)
        connection.close()
        stack.start()
    except BaseException:
        stack.stop()
        redis_server.stop()
        raise
    return plan, stack, redis_server, port


def after_run(plan: Plan, stack: Stack) -> dict[str, Any]:
    """The checks once the clients have stopped: drift, lost writes, rollups."""
    from mix_stack import events_stored, ratings_missing, rollup_drift, rollups_drain
    from ratings_services import wait_until_no_drift

    from catalog.ratings.selectors import songs_with_drifted_ratings
    from recommendations.models import Generation

    queued = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=2).llen("celery")
    generations = Generation.objects.filter(created_at__gte=plan.started).values_list("state")
    settled = wait_until_no_drift(120)
    stored = events_stored(plan.prefix)
    drained = rollups_drain()
    return {
        "tasks queued when the clients stopped": queued,
        "recommendation generations of the run, by state": dict(Counter(s for (s,) in generations)),
        "ratings accepted (user, song)": len(plan.accepted_ratings),
        "ratings lost": ratings_missing(plan.accepted_ratings),
        "rating aggregates: seconds to no drift": None if settled is None else round(settled, 2),
        "rating aggregates drifted": len(songs_with_drifted_ratings(limit=100_000)),
        "events accepted (201 'stored')": plan.answered_stored,
        "events stored": len(stored),
        "events lost": len(plan.accepted_events - stored),
        "events stored without an answer": len(stored - plan.accepted_events),
        "rollups: seconds to drain pending": None if drained is None else round(drained, 2),
        "rollup drift (rows)": rollup_drift(),
    }


def run_steps(
    args: argparse.Namespace, env: Environment, recorder: Recorder, meter: StackCpu
) -> list[dict[str, Any]]:
    steps = []
    for clients in [int(c) for c in args.clients.split(",")]:
        set_clients(env, clients)
        start, cpu = time.time(), meter.sample()
        gevent.sleep(args.step_seconds)
        samples = recorder.between(start, time.time())
        figures = step_figures(samples, time.time() - start)
        figures.update(clients=clients, load=load_average(), window=(start, time.time()))
        steps.append(figures)
        print(
            f"{clients:>4} clients: {figures['rps']:7.1f} req/s  p50 {figures['p50']:6.1f}  "
            f"p95 {figures['p95']:6.1f} ms  5xx {figures['5xx']}  4xx/none {figures['other_errors']}  "
            f"({figures['load']})",
            flush=True,
        )
        print(f"      {cpu_per_request(cpu, meter.sample(), len(samples))}", flush=True)
        if figures["p95"] > P95_LIMIT_MS:
            break
    return steps


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    parser.add_argument("--step-seconds", type=float, default=60.0)
    parser.add_argument("--warmup-seconds", type=float, default=15.0)
    parser.add_argument("--clients", default="4,8,16,32,64", help="comma-separated client counts, in order")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("bench/load_mix.py needs DATABASE_URL (PostgreSQL)", file=sys.stderr)
        return 2
    logs = Path(tempfile.mkdtemp(prefix="bench-mix-"))
    plan, stack, redis_server, port = up(args, logs)
    print(
        f"{len(plan.song_ids):,} songs, {len(plan.tokens):,} listeners, {len(plan.words):,} title words; "
        f"gunicorn x{args.web_workers}, {args.workers} worker(s) x{args.celery_concurrency}, beat; "
        f"logs in {logs}; {load_average()}",
        flush=True,
    )
    try:
        env, recorder = start_clients(plan, port)
        set_clients(env, 2)
        gevent.sleep(args.warmup_seconds)
        steps = run_steps(args, env, recorder, StackCpu(stack, redis_server))
        assert env.runner is not None
        env.runner.quit()
        passing = [s for s in steps if s["p95"] <= P95_LIMIT_MS and s["5xx"] == 0]
        best = max(passing, key=lambda s: s["rps"], default=None)
        if best:
            print(f"highest sustained: {best['rps']:.1f} req/s at {best['clients']} clients ({best['load']})")
        else:
            print("no step held p95 <= 200 ms with no 5xx")
        measured = [s for step in steps for s in recorder.between(*step["window"])]
        print(per_endpoint(measured))
        for name, value in after_run(plan, stack).items():
            print(f"{name}: {value}")
    finally:
        stack.stop()
        redis_server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
