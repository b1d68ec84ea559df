"""Reads from replicas (`DATABASE_REPLICA_URLS`), writes and read-your-writes on the primary.

Everything runs on the primary unless `ReplicaReadsMiddleware` lets a request read from a
replica: a GET, HEAD or OPTIONS request to an API view that does not declare
`reads_own_writes = True` (the caller's own account, ratings, statistics and lists, which
must show a write made a moment ago). Writes, the admin, Celery tasks, management commands
and anything inside a transaction stay on the primary. A replica lags the primary by its
replication delay, so a public read (a song list, trends) may be that much behind.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if not _replica_reads.get() or connections["default"].in_atomic_block:
            return None
        aliases = replica_aliases()
        return random.choice(aliases) if aliases else None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # A replica holds the primary's rows: objects read from either may be related.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"


class ReplicaReadsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            token = getattr(request, "_replica_reads_token", None)
            if token is not None:
                _replica_reads.reset(token)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> None:
        view_class = getattr(view_func, "cls", None)  # DRF views only: never the admin
        if (
            request.method in SAFE_METHODS
            and view_class is not None
            and not getattr(view_class, "reads_own_writes", False)
        ):
            request._replica_reads_token = _replica_reads.set(True)  # type: ignore[attr-defined]
