"""Recomputing the cached trends and summary after the rollups changed (see
`analytics.selectors.snapshots`, which serves them)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from analytics.selectors.snapshots import SUMMARY_KEY, trends_key, trends_snapshot
from analytics.selectors.summary import summary_compute
from analytics.selectors.trends import WINDOW_DAYS


def snapshots_refresh() -> None:
    """Replaces every window's trends and the summary in the cache. The cache degrades to
    misses when Redis is down: readers then compute for themselves."""
    timeout = settings.ANALYTICS_SNAPSHOT_SECONDS
    values = {trends_key(window): trends_snapshot(window) for window in WINDOW_DAYS}
    values[SUMMARY_KEY] = summary_compute()
    cache.set_many(values, timeout)
