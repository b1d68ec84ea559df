"""Trends and summary as the API serves them: from a snapshot in the shared cache, which
`services.rollups.snapshots_catch_up` recomputes once the rollups changed (beat), or the
in-process catch-up after each refresh that applied something. A missing snapshot (first
read, evicted, Redis down) is computed on the spot and stored.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache

from analytics.selectors.summary import summary_compute
from analytics.selectors.trends import MAX_LIMIT, trends_compute
from catalog.selectors.refs import songs_touching
from users.selectors import BlockSet, blocks_active

SUMMARY_KEY = "analytics:summary"


def trends_key(window: str) -> str:
    return f"analytics:trends:{window}"


def trends_get(*, window: str, limit: int, viewer_id: int | None = None) -> dict[str, Any]:
    """The window's trends, cut to `limit`; without what `viewer_id` has blocked (a song
    crediting a blocked artist or in a blocked genre included)."""
    snapshot = cache.get(trends_key(window))
    if snapshot is None:
        snapshot = trends_compute(window=window, limit=MAX_LIMIT)
        cache.set(trends_key(window), snapshot, settings.ANALYTICS_SNAPSHOT_SECONDS)
    shown = _unblocked(snapshot, blocks_active(user_id=viewer_id))
    return {
        "window": snapshot["window"],
        **{kind: shown[kind][:limit] for kind in ("songs", "artists", "genres")},
    }


def _unblocked(snapshot: dict[str, Any], blocks: BlockSet) -> dict[str, list[dict[str, Any]]]:
    if not blocks:
        return snapshot
    songs = [item["id"] for item in snapshot["songs"]]
    hidden = blocks.song_ids | songs_touching(
        song_ids=songs, artist_ids=blocks.artist_ids, genre_ids=blocks.genre_ids
    )
    return {
        "songs": [item for item in snapshot["songs"] if item["id"] not in hidden],
        "artists": [item for item in snapshot["artists"] if item["id"] not in blocks.artist_ids],
        "genres": [item for item in snapshot["genres"] if item["id"] not in blocks.genre_ids],
    }


def summary_get() -> dict[str, Any]:
    snapshot = cache.get(SUMMARY_KEY)
    if snapshot is None:
        snapshot = summary_compute()
        cache.set(SUMMARY_KEY, snapshot, settings.ANALYTICS_SNAPSHOT_SECONDS)
    return snapshot
