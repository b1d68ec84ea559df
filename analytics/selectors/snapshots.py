"""Trends and summary as the API serves them: from a snapshot in the shared cache, which the
rollup job recomputes after every refresh that applied something (`services.snapshots`). A
missing snapshot (first read, evicted, Redis down) is computed on the spot and stored.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache

from analytics.selectors.summary import summary_compute
from analytics.selectors.trends import MAX_LIMIT, trends_compute

SUMMARY_KEY = "analytics:summary"


def trends_key(window: str) -> str:
    return f"analytics:trends:{window}"


def trends_get(*, window: str, limit: int) -> dict[str, Any]:
    snapshot = cache.get(trends_key(window))
    if snapshot is None:
        snapshot = trends_compute(window=window, limit=MAX_LIMIT)
        cache.set(trends_key(window), snapshot, settings.ANALYTICS_SNAPSHOT_SECONDS)
    return {
        "window": snapshot["window"],
        **{kind: snapshot[kind][:limit] for kind in ("songs", "artists", "genres")},
    }


def summary_get() -> dict[str, Any]:
    snapshot = cache.get(SUMMARY_KEY)
    if snapshot is None:
        snapshot = summary_compute()
        cache.set(SUMMARY_KEY, snapshot, settings.ANALYTICS_SNAPSHOT_SECONDS)
    return snapshot
