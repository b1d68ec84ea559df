"""Ratings under a real Celery worker, real Redis and real PostgreSQL: concurrency, a worker
SIGKILLed mid-flush, and a Redis outage. After each, every song's aggregates must equal the
truth of the ratings table, exactly."""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection
from django_redis import get_redis_connection
from redis import Redis

from catalog.ratings import dirty_queue
from catalog.ratings.selectors import song_ratings_stored, song_ratings_truth, songs_with_drifted_ratings
from catalog.tasks import ratings_reconcile
from tests.catalog import ratings_worker
from tests.catalog.ratings_worker import PrivateRedis, broker_at, wait_for
from tests.factories import SongFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.real_celery]

# Fixtures of the helper module, made visible to this one.
worker_factory = ratings_worker.worker_factory
clean_rating_marks = ratings_worker.clean_rating_marks

URL = "/api/ratings/"


@pytest.fixture(autouse=True)
def _empty_broker():
    """No message left by an earlier run reaches this test's worker (the Redis database is
    this suite's own)."""
    get_redis_connection("default").flushdb()
    yield
    get_redis_connection("default").flushdb()


def drained() -> bool:
    return not songs_with_drifted_ratings() and not dirty_queue.pending(dirty_queue.client())


def assert_no_drift(songs) -> None:
    ids = [song.pk for song in songs]
    assert songs_with_drifted_ratings() == []
    assert song_ratings_stored(song_ids=ids) == song_ratings_truth(song_ids=ids)


def hammer(clients, songs, *, per_client: int, seed: int) -> list[int]:
    """Each client in its own thread: `per_client` ratings, re-ratings and deletes on a handful
    of songs, all threads released at once. Returns every status code."""
    statuses: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(clients))

    def run(index: int, client) -> None:
        rng = random.Random(seed * 1000 + index)
        try:
            barrier.wait(timeout=30)
            for step in range(per_client):
                song = rng.choice(songs)
                if step % 5 == 4:
                    response = client.delete(f"{URL}{song.pk}/")
                else:
                    response = client.post(URL, {"song": song.pk, "score": rng.randint(1, 5)}, format="json")
                statuses.append(response.status_code)
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, client)) for i, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return statuses


def test_concurrent_ratings_leave_exact_aggregates_and_are_coalesced(worker_factory, make_auth_client):
    worker = worker_factory()
    songs = SongFactory.create_batch(5)
    clients = [make_auth_client() for _ in range(20)]

    statuses = hammer(clients, songs, per_client=20, seed=1)

    assert len(statuses) == 400
    assert set(statuses) <= {200, 201, 204, 404}
    wait_for(drained, timeout=30, message="the flushes to catch up")
    assert_no_drift(songs)
    # Hundreds of writes, a handful of recomputes: votes were coalesced.
    flushes = worker.count("catalog.ratings_flush SUCCESS")
    assert 1 <= flushes <= len(statuses) // 4, flushes


def test_worker_sigkilled_mid_flush_then_reconcile_leaves_no_drift(
    worker_factory, make_auth_client, tmp_path
):
    """Every vote is in before any worker runs, so one flush holds all the songs in one batch
    when it is killed: what it leaves behind does not depend on timing."""
    songs = SongFactory.create_batch(4)
    clients = [make_auth_client() for _ in range(5)]
    rng = random.Random(4)
    for client in clients:
        for song in songs:
            response = client.post(URL, {"song": song.pk, "score": rng.randint(1, 5)}, format="json")
            assert response.status_code == 201
    ids = {song.pk for song in songs}
    assert dirty_queue.marked_ids(dirty_queue.client()) == ids

    # The flush runs its UPDATE and sleeps before committing it: kill the worker there.
    stalled = tmp_path / "stalled"
    worker = worker_factory(RATINGS_TEST_STALL_FILE=str(stalled))
    wait_for(stalled.exists, timeout=20, message="the worker to be mid-flush")
    assert {int(song_id) for song_id in stalled.read_text().split(",")} == ids
    worker.kill()

    # The killed transaction rolled back, and a flush unmarks only what it committed: every
    # song still drifts, and is still marked for the next flush.
    assert set(songs_with_drifted_ratings()) == ids
    assert dirty_queue.marked_ids(dirty_queue.client()) == ids

    # The marks are lost as well (Redis restarted without its data): only reconcile's repair,
    # which compares the songs with the ratings table, can find these songs now.
    dirty_queue.client().delete(*dirty_queue.KEYS)
    worker_factory()
    ratings_reconcile.delay()
    wait_for(lambda: not songs_with_drifted_ratings(), timeout=30, message="reconcile to repair the songs")
    assert_no_drift(songs)


@pytest.fixture
def private_redis(settings):
    """A redis-server of this test's own, which it may stop and start again: this process's
    cache, rating marks and Celery producer point at it for the test."""
    redis = PrivateRedis().start()
    settings.REDIS_URL = redis.url
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": redis.url}}
    try:
        with broker_at(redis.url):
            yield redis
    finally:
        redis.stop()


def test_a_worker_holding_an_unacknowledged_task_rides_out_a_redis_restart(worker_factory, private_redis):
    worker = worker_factory(redis_url=private_redis.url)
    # Reserved until its countdown, unacknowledged: what a worker holds when Redis drops.
    ratings_reconcile.apply_async(countdown=600)
    broker = Redis.from_url(private_redis.url)
    # kombu keeps a message it delivered and that is not acknowledged yet in this hash.
    wait_for(lambda: broker.hlen("unacked") == 1, timeout=15, message="the worker to reserve the task")
    connections_before = worker.count(WORKER_CONNECTED)

    private_redis.stop()
    private_redis.start()
    wait_for(
        lambda: worker.count(WORKER_CONNECTED) > connections_before or worker.process.poll() is not None,
        timeout=30,
        message="the worker to reconnect",
    )
    assert worker.process.poll() is None, worker.log()[-3000:]
    wait_for(lambda: _published(ratings_reconcile), timeout=15, message="the broker to accept a task")
    wait_for(
        lambda: worker.count("catalog.ratings_reconcile SUCCESS") >= 1,
        timeout=30,
        message="the worker to run a task after the restart",
    )
    assert worker.process.poll() is None
    assert "Unrecoverable error" not in worker.log()


def test_ratings_survive_a_redis_outage(worker_factory, make_auth_client, private_redis):
    run_outage(worker_factory, make_auth_client, private_redis)


def run_outage(worker_factory, make_auth_client, redis: PrivateRedis) -> None:
    worker = worker_factory(redis_url=redis.url)
    songs = SongFactory.create_batch(3)
    clients = [make_auth_client() for _ in range(6)]

    def worker_log() -> str:
        return f"the worker's log, last lines:\n{worker.log()[-6000:]}"

    for client in clients:
        assert client.post(URL, {"song": songs[0].pk, "score": 4}, format="json").status_code == 201
    wait_for(drained, timeout=20, message="the first flush")

    redis.stop()
    slowest = 0.0
    for index, client in enumerate(clients):
        for body in ({"song": songs[1].pk, "score": 5}, {"song": songs[0].pk, "score": 1 + index % 5}):
            started = time.monotonic()
            response = client.post(URL, body, format="json")
            slowest = max(slowest, time.monotonic() - started)
            assert response.status_code in (200, 201), response.content
        if index % 2:
            started = time.monotonic()
            assert client.delete(f"{URL}{songs[0].pk}/").status_code == 204
            slowest = max(slowest, time.monotonic() - started)
    # Every write was stored and answered at once; the aggregates are now behind.
    assert slowest < 2.0, slowest
    assert songs_with_drifted_ratings()

    connections_before = worker.count(WORKER_CONNECTED)
    redis.start()
    # The restarted Redis is empty: until the worker reconnects and declares its queue again,
    # a published task has no queue to land in and is dropped. The worker logs that it is
    # connected before it has declared its queue, so reconcile is asked again every few
    # seconds until the aggregates are exact, as production's beat asks again. The producer
    # reconnects on its own; the first publish may still meet a dead socket.
    wait_for(
        lambda: worker.count(WORKER_CONNECTED) > connections_before,
        timeout=30,
        message="the worker to reconnect",
        details=worker_log,
    )
    wait_for(lambda: _published(ratings_reconcile), timeout=15, message="the broker to accept a task")
    wait_for(
        _asking_again(ratings_reconcile, drained),
        timeout=45,
        message="reconcile after Redis came back",
        details=worker_log,
    )
    assert_no_drift(songs)


def _asking_again(task, done, every: float = 5.0):
    """`done`, publishing `task` again each `every` seconds until it holds (a beat)."""
    asked = time.monotonic()

    def check() -> bool:
        nonlocal asked
        if done():
            return True
        if time.monotonic() - asked >= every:
            asked = time.monotonic()
            _published(task)
        return False

    return check


WORKER_CONNECTED = "celery.worker.consumer.connection Connected to"


def _published(task) -> bool:
    try:
        task.delay()
    except Exception:
        return False
    return True
