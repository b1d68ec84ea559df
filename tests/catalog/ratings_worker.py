"""A real Celery worker for the ratings tests, and the fixtures that drive one.

The worker runs `celery -A tests.catalog.ratings_worker worker` in its own process group,
against pytest's test database and the Redis the test chooses. This module is also that
worker's Celery app: it is the project's app, plus one optional hook. With
RATINGS_TEST_STALL_FILE set, every aggregate recompute writes that file once its UPDATE has
run, then sleeps inside its still-open transaction, so a test can SIGKILL the worker
exactly in the middle of processing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import kombu.pools
import pytest
from django.conf import settings
from django.db import connection, transaction

from music_discovery.celery import app

BASE_DIR = Path(settings.BASE_DIR)
CELERY = BASE_DIR / ".venv" / "bin" / "celery"
STALL_ENV = "RATINGS_TEST_STALL_FILE"

__all__ = ["app"]


def _install_stall_hook(marker: Path) -> None:
    from catalog.ratings import services

    recompute = services.song_ratings_recompute

    def stalled_recompute(*, song_ids):
        with transaction.atomic():
            changed = recompute(song_ids=song_ids)
            marker.write_text(",".join(str(song_id) for song_id in song_ids))
            time.sleep(60)
        return changed

    services.song_ratings_recompute = stalled_recompute


if os.environ.get(STALL_ENV):
    import django

    django.setup()
    _install_stall_hook(Path(os.environ[STALL_ENV]))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The URL of the database this test process uses (pytest's test database)."""
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    """One `celery worker` subprocess; its output goes to `log_path`."""

    def __init__(self, *, redis_url: str, log_path: Path, extra_env: dict[str, str] | None = None):
        self.redis_url = redis_url
        self.log_path = log_path
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> WorkerProcess:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.redis_url,
            "CONN_MAX_AGE": "0",
            "DJANGO_ENV": "test",
            "LOG_LEVEL": "INFO",
            **self.extra_env,
        }
        self.log_path.write_text("")
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "tests.catalog.ratings_worker",
                "worker",
                # Every queue (settings.CELERY_TASK_ROUTES): one test worker does all the work.
                "-Q",
                f"{settings.DEFAULT_QUEUE},{settings.RECOMMENDATIONS_QUEUE}",
                "--loglevel",
                "INFO",
                "--concurrency",
                "1",
                "--hostname",
                f"ratings-test-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        output = self.log()
        self.kill()
        raise RuntimeError(f"the Celery worker did not start:\n{output[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def count(self, text: str) -> int:
        return self.log().count(text)

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool children."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


class PrivateRedis:
    """A throwaway redis-server on a free port, which a test may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def wait_for(
    predicate,
    *,
    timeout: float,
    interval: float = 0.1,
    message: str = "condition",
    details: Callable[[], str] | None = None,
) -> None:
    """Waits until `predicate()` holds; on timeout, fails saying what it waited for and, with
    `details`, what that returns (a worker's log, so that a rare failure can be read)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    extra = f"\n{details()}" if details is not None else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {message}{extra}")


@pytest.fixture
def worker_factory(transactional_db, tmp_path) -> Iterator:
    """Returns start(redis_url=..., **env) -> a started WorkerProcess; every worker it
    started is killed at teardown, whatever the test did."""
    started: list[WorkerProcess] = []

    def start(*, redis_url: str = settings.REDIS_URL, **extra_env: str) -> WorkerProcess:
        worker = WorkerProcess(
            redis_url=redis_url, log_path=tmp_path / f"worker-{len(started)}.log", extra_env=extra_env
        )
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.kill()


@pytest.fixture(autouse=True)
def clean_rating_marks():
    """No dirty set or flush flag leaks between tests (a leftover flag would silence the
    next test's flush). Autouse in every module that imports it."""
    from catalog.ratings import dirty_queue

    def clean():
        if settings.REDIS_URL:
            dirty_queue.client().delete(*dirty_queue.KEYS)

    clean()
    yield
    clean()


@contextlib.contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Point this process's Celery producer at another broker, then back."""
    previous = app.conf.broker_url

    def reset_pools() -> None:
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        # kombu keeps its own registry of pools keyed by connection: without a reset, the
        # next .delay() anywhere in this process would acquire from the pool closed above.
        kombu.pools.reset()

    app.conf.broker_url = url
    reset_pools()
    try:
        yield
    finally:
        app.conf.broker_url = previous
        reset_pools()
