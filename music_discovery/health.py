"""Liveness and readiness probes.

/healthz says the process serves requests and touches nothing else, so a database outage
never gets healthy web containers restarted. /readyz asks each dependency and answers 503
naming the ones that are down; the API itself keeps answering while Redis is away (the
cache degrades to misses), so readiness is for a load balancer and for people, not a kill switch.
"""

import logging
from collections.abc import Callable

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger("music_discovery.health")


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _ping_redis(url: str) -> None:
    timeout = settings.REDIS_SOCKET_TIMEOUT
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def _check_cache() -> str:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.startswith("django_redis."):
        # The cache swallows Redis errors by design (IGNORE_EXCEPTIONS), so a set/get would
        # look like a miss; ask the Redis server the cache is configured with instead.
        from django_redis import get_redis_connection

        get_redis_connection("default").ping()
        return "ok"
    cache.set("readyz", "1", 5)
    if cache.get("readyz") != "1":
        raise RuntimeError("cache did not keep a value")
    return "ok"


def _check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process"
    _ping_redis(settings.CELERY_BROKER_URL)
    return "ok"


CHECKS: dict[str, Callable[[], str]] = {
    "database": _check_database,
    "cache": _check_cache,
    "broker": _check_broker,
}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    states: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            states[name] = check()
        except Exception as exc:  # any failure means "not ready", whatever raised it
            states[name] = f"down: {exc.__class__.__name__}"
            logger.warning("readiness: %s is down: %s", name, exc, extra={"check": name})
    down = [name for name, state in states.items() if state.startswith("down")]
    body = {"status": "down" if down else "ok", "down": down, "checks": states}
    return JsonResponse(body, status=503 if down else 200)
