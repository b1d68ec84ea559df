"""Trends and summary as the API serves them: from a snapshot in the shared cache, which
`services.rollups.snapshots_catch_up` recomputes once the rollups changed (beat), or the
in-process catch-up after each refresh that applied something. A missing snapshot (first
read, evicted, Redis down) is computed on the spot and stored.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.cache import cache

from analytics.selectors.summary import summary_compute
from analytics.selectors.trends import GROUPINGS, first_shown, trends_compute, trends_ranked
from users.selectors import BlockSet, blocks_active

SUMMARY_KEY = "analytics:summary"
# Items of each kind a trends snapshot keeps: ten times the most a request asks for (50), so that
# a viewer's blocks leave 50 of each unless they hide over nine in ten of the top; only then
# are that viewer's lists ranked from the rollups (`trends_get`), which costs a request far
# more than a cached read. What the larger snapshot costs: bench/README.md, "Trends for a
# viewer with blocks".
SNAPSHOT_LIMIT = 500


def trends_key(window: str) -> str:
    # v2: SNAPSHOT_LIMIT items, songs with the ids blocks are matched against; the snapshots
    # kept before (50 items, without them) are not read.
    return f"analytics:trends:v2:{window}"


def trends_snapshot(window: str) -> dict[str, Any]:
    """What the cache keeps of `window`'s trends (the snapshot job and a missed read alike)."""
    return trends_compute(window=window, limit=SNAPSHOT_LIMIT)


def trends_get(*, window: str, limit: int, viewer_id: int | None = None) -> dict[str, Any]:
    """The window's trends, cut to `limit`; without what `viewer_id` has blocked (a song
    crediting a blocked artist or in a blocked genre included), still `limit` of each kind
    whenever that many unblocked ones score."""
    snapshot = cache.get(trends_key(window))
    if snapshot is None:
        snapshot = trends_snapshot(window)
        cache.set(trends_key(window), snapshot, settings.ANALYTICS_SNAPSHOT_SECONDS)
    blocks = blocks_active(user_id=viewer_id)
    if not blocks:
        return {"window": snapshot["window"], **{kind: snapshot[kind][:limit] for kind in GROUPINGS}}
    hidden = functools.partial(_hidden, blocks=blocks)
    answer: dict[str, Any] = {"window": snapshot["window"]}
    for kind in GROUPINGS:
        items = snapshot[kind]
        shown = first_shown(items, kind=kind, limit=limit, hidden=hidden)
        # A snapshot shorter than SNAPSHOT_LIMIT holds every item that scores: nothing more to find.
        if len(shown) < limit and len(items) >= SNAPSHOT_LIMIT:
            shown = trends_ranked(window=window, kind=kind, limit=limit, hidden=hidden)
        answer[kind] = shown
    return answer


def _hidden(kind: str, item: dict[str, Any], *, blocks: BlockSet) -> bool:
    """Whether `blocks` hide `item` (of `kind`): a blocked artist or genre hides itself and
    every song crediting it (at any position) or in it, as the snapshot found the song's
    credits and genres (a change shows with the next snapshot, as its titles do)."""
    if kind == "artists":
        return item["id"] in blocks.artist_ids
    if kind == "genres":
        return item["id"] in blocks.genre_ids
    return (
        item["id"] in blocks.song_ids
        or not blocks.artist_ids.isdisjoint(item["artist_ids"])
        or not blocks.genre_ids.isdisjoint(item["genre_ids"])
    )


def summary_get() -> dict[str, Any]:
    snapshot = cache.get(SUMMARY_KEY)
    if snapshot is None:
        snapshot = summary_compute()
        cache.set(SUMMARY_KEY, snapshot, settings.ANALYTICS_SNAPSHOT_SECONDS)
    return snapshot
