"""Fixtures for the operations tests: fresh Django processes, dead ports, a Redis to kill,
docker-compose.yml read."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import CompletedProcess

import pytest
import redis
import yaml
from django.conf import settings

from tests.ops import stack

BASE_DIR = Path(settings.BASE_DIR)

# Variables settings.py reads that would leak the caller's configuration into a child
# process; each test states the environment it means instead.
_SETTINGS_VARIABLES = (
    "DJANGO_ENV",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_CACHE_URL",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def run_django() -> Callable[..., CompletedProcess]:
    """Runs `python <args>` in a fresh process from the project directory, with settings
    loaded from scratch: `env` is added to a clean environment (PATH and the like, none of
    the settings variables of this run unless passed)."""

    def run(
        *args: str, env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess:
        child_env = {k: v for k, v in os.environ.items() if k not in _SETTINGS_VARIABLES}
        child_env["DJANGO_SETTINGS_MODULE"] = "music_discovery.settings"
        child_env["PYTHONPATH"] = str(BASE_DIR)
        child_env.update(env or {})
        return subprocess.run(
            [sys.executable, *args],
            cwd=BASE_DIR,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """Static files collected once a session, as the image's build collects them
    (`stack.collect_static`): the production server and nginx serve them, and neither writes there."""
    root = tmp_path_factory.mktemp("collected") / "static"
    stack.collect_static(root)
    return root


@pytest.fixture
def private_redis() -> Iterator[dict]:
    """A throwaway redis-server on a free port, for tests that take Redis down.

    Yields {"url": ..., "stop": callable}; the server is killed at the end whatever happens.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=0.2)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    client.close()

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)

    try:
        yield {"url": url, "stop": stop}
    finally:
        stop()


@pytest.fixture(scope="module")
def compose_text() -> str:
    return (BASE_DIR / "docker-compose.yml").read_text()


@pytest.fixture(scope="module")
def compose(compose_text) -> dict:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]
