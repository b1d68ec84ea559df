"""Shared fixtures for the whole suite.

Tests run against whatever DATABASE_URL / REDIS_URL say (the embedded default when unset).
Tests marked `postgres` or `redis` skip on the embedded default, saying why. With
REQUIRE_SERVICES=1 (as .ci/run sets on PostgreSQL + Redis) nothing may skip: a missing
service, tool or file fails the test (or the module) that needed it, saying why.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from catalog.list_cache import list_cache_clear_local
from music_discovery.celery import app as celery_app
from music_discovery.throttling import CountedRateThrottle
from tests.factories import UserFactory

# Settings are loaded before this file, so `pytest` run by hand (without the Makefile's
# DJANGO_ENV=test) still gets fast hashing and loud in-process task failures.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
celery_app.conf.task_eager_propagates = True

SERVICE_MARKERS = {
    "postgres": (lambda: settings.IS_POSTGRES, "needs PostgreSQL: set DATABASE_URL"),
    "redis": (lambda: bool(settings.REDIS_URL), "needs Redis: set REDIS_URL"),
}


def _missing_services(item) -> list[str]:
    return [
        reason
        for marker, (available, reason) in SERVICE_MARKERS.items()
        if item.get_closest_marker(marker) and not available()
    ]


def _services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES") == "1"


def _skip_as_failure(report: pytest.CollectReport | pytest.TestReport) -> None:
    # An expected failure is reported as skipped too; it stays what it is.
    if _services_required() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, but REQUIRE_SERVICES=1 allows no skip: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _skip_as_failure(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _skip_as_failure(outcome.get_result())


def pytest_collection_modifyitems(config, items):
    if _services_required():
        return
    for item in items:
        for reason in _missing_services(item):
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_setup(item):
    # With REQUIRE_SERVICES=1 a missing service is a failure, never a silent skip.
    if _services_required():
        missing = _missing_services(item)
        if missing:
            pytest.fail("; ".join(missing), pytrace=False)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (and no process-local copies of cached song
    lists), so throttles and cached responses never leak."""
    cache.clear()
    list_cache_clear_local()
    yield
    cache.clear()
    list_cache_clear_local()


@pytest.fixture(autouse=True)
def _throttles_count_in_one_period(monkeypatch):
    """The throttles' clock stands still for the test (a test may set its own): on the real
    clock, requests that straddled a minute's turn counted in two periods, and a test that
    expected the rate's last request to be refused saw it let through."""
    now = time.time()
    monkeypatch.setattr(CountedRateThrottle, "timer", lambda self: now)


@pytest.fixture(autouse=True)
def _own_snapshot_dir(tmp_path_factory):
    """Each test keeps the catalog snapshots its processes share in a directory of its own,
    so that none answers with another test's catalog. Not through the `settings` fixture,
    which would then be set up first and restored last, after other fixtures' teardowns that
    need a test's own settings gone (a dead cache, say)."""
    with override_settings(CATALOG_SNAPSHOT_DIR=str(tmp_path_factory.mktemp("snapshots"))):
        yield


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Tasks run in-process unless the test is marked `real_celery` (it then needs a worker)."""
    eager = request.node.get_closest_marker("real_celery") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager or previous
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _no_outbound_network(monkeypatch):
    """Block every connection that leaves this machine: the only remote service we talk
    to, Spotify, is mocked at the HTTP layer with `responses`."""
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None:
            try:
                local = ipaddress.ip_address(host).is_loopback
            except ValueError:
                local = host in {"localhost"}
            if not local:
                raise OSError(f"outbound network blocked in tests: {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture
def api_client() -> APIClient:
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def user(db):
    """A regular user with a profile."""
    return UserFactory()


@pytest.fixture
def make_auth_client(db):
    """Returns a function that gives an API client authenticated (real JWT) as a user."""

    def make(user=None) -> APIClient:
        user = user or UserFactory()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        client.user = user
        return client

    return make


@pytest.fixture
def auth_client(make_auth_client, user) -> APIClient:
    """An API client authenticated as `user`."""
    return make_auth_client(user)


@pytest.fixture
def staff_user(db):
    """A staff user."""
    return UserFactory(is_staff=True)


@pytest.fixture
def staff_client(make_auth_client, staff_user) -> APIClient:
    """An API client authenticated as `staff_user`."""
    return make_auth_client(staff_user)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dead_port() -> int:
    """A loopback TCP port nothing listens on: connections to it are refused at once."""
    return _free_port()


@pytest.fixture
def point_redis_at(settings) -> Callable[[str], None]:
    """Returns a function that points the caches and the Celery broker at a Redis URL for
    the rest of the test, as REDIS_URL would (the default cache ignores its errors, the
    credentials one raises them)."""

    def redis_cache(url: str, *, ignore_exceptions: bool) -> dict:
        options = {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "IGNORE_EXCEPTIONS": ignore_exceptions,
        }
        options |= {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}
        return {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url, "OPTIONS": options}

    def point(url: str) -> None:
        settings.REDIS_URL = url
        settings.CACHES = {
            "default": redis_cache(url, ignore_exceptions=True),
            "credentials": redis_cache(url, ignore_exceptions=False),
        }
        settings.CELERY_BROKER_URL = url
        settings.CELERY_TASK_ALWAYS_EAGER = False

    return point


@pytest.fixture
def signals_received():
    """The user ids "this user's signals changed" is sent for during the test, in order."""
    from music_discovery.signals import user_signals_changed

    received: list[int] = []

    def receiver(sender, user_id, **kwargs):
        received.append(user_id)

    user_signals_changed.connect(receiver)
    yield received
    user_signals_changed.disconnect(receiver)
