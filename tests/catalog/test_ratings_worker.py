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

from catalog.selectors.ratings import song_ratings_stored, song_ratings_truth, songs_with_drifted_ratings
from catalog.services import ratings as services
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
    return not songs_with_drifted_ratings() and not get_redis_connection("default").zcard(services.DIRTY_KEY)


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
    stalled = tmp_path / "stalled"
    worker = worker_factory(RATINGS_TEST_STALL_FILE=str(stalled))
    songs = SongFactory.create_batch(4)
    clients = [make_auth_client() for _ in range(5)]

    for client in clients:
        for song in songs:
            response = client.post(URL, {"song": song.pk, "score": random.randint(1, 5)}, format="json")
            assert response.status_code == 201

    # The flush has run its UPDATE and sleeps before committing it: kill the worker there.
    wait_for(stalled.exists, timeout=20, message="the worker to be mid-flush")
    worker.kill()

    # The killed transaction rolled back: the songs drift, and their marks are still there.
    wait_for(lambda: bool(songs_with_drifted_ratings()), timeout=10, message="the rollback")
    dirty = {int(m) for m in get_redis_connection("default").zrange(services.DIRTY_KEY, 0, -1)}
    assert {song.pk for song in songs} <= dirty

    worker_factory()
    ratings_reconcile.delay()
    wait_for(drained, timeout=30, message="reconcile to repair the songs")
    assert_no_drift(songs)


def test_ratings_survive_a_redis_outage(worker_factory, make_auth_client, settings):
    redis = PrivateRedis().start()
    try:
        settings.REDIS_URL = redis.url
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": redis.url}}
        with broker_at(redis.url):
            run_outage(worker_factory, make_auth_client, redis)
    finally:
        redis.stop()


def run_outage(worker_factory, make_auth_client, redis: PrivateRedis) -> None:
    worker = worker_factory(redis_url=redis.url)
    songs = SongFactory.create_batch(3)
    clients = [make_auth_client() for _ in range(6)]

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
    # a published task has no queue to land in and is dropped (in production the next beat
    # runs reconcile again). The producer reconnects on its own; the first publish may
    # still meet a dead socket.
    wait_for(
        lambda: worker.count(WORKER_CONNECTED) > connections_before,
        timeout=30,
        message="the worker to reconnect",
    )
    wait_for(lambda: _published(ratings_reconcile), timeout=15, message="the broker to accept a task")
    wait_for(drained, timeout=45, message="reconcile after Redis came back")
    assert_no_drift(songs)


WORKER_CONNECTED = "celery.worker.consumer.connection Connected to"


def _published(task) -> bool:
    try:
        task.delay()
    except Exception:
        return False
    return True
