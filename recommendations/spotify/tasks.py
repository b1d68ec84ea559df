"""The Spotify tasks: thin wrappers that own the retry policy.

- 429: retried after Spotify's Retry-After (capped by SPOTIFY_RETRY_AFTER_MAX), never
  sooner: retrying early only earns another 429.
- 5xx, timeouts, the network: retried with exponential backoff (2, 4, 8... s, at most
  BACKOFF_MAX).
- Refused (bad credentials, 403): not retried, it cannot help; the task fails, logged.
- Spotify off (no credentials): the task does nothing and says so in its result.

Both tasks are idempotent: what they write only fills gaps (`catalog.services.sources`), so
a retry or a second run changes nothing that the first did. Registered through
CELERY_IMPORTS (settings.py), autodiscovery looking only at `<app>.tasks`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import DatabaseError

from recommendations.spotify.client import (
    SpotifyClient,
    SpotifyRateLimitedError,
    SpotifyUnavailableError,
    spotify_client,
    spotify_enabled,
)
from recommendations.spotify.discover import user_discover
from recommendations.spotify.enrich import songs_enrich

logger = logging.getLogger(__name__)

MAX_RETRIES = 5
BACKOFF_MAX = 300
ENRICH_DEFAULT_LIMIT = 100
DISABLED = {
    "status": "disabled",
    "detail": "Spotify is off: SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET are not set.",
}

_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "max_retries": MAX_RETRIES,
    # A database error is retried by Celery itself; Spotify's errors by _run below.
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 2,
    "retry_backoff_max": BACKOFF_MAX,
    "retry_jitter": True,
    "acks_late": True,
}


@shared_task(name="recommendations.spotify_enrich", soft_time_limit=240, time_limit=270, **_TASK_OPTIONS)
def spotify_enrich(self: Task, limit: int = ENRICH_DEFAULT_LIMIT) -> dict[str, Any]:
    """Complete at most `limit` catalog songs lacking an album or artists."""
    return _run(self, lambda client: songs_enrich(limit=limit, client=client).as_dict())


@shared_task(name="recommendations.spotify_discover", soft_time_limit=120, time_limit=150, **_TASK_OPTIONS)
def spotify_discover(self: Task, user_id: int) -> dict[str, Any]:
    """Bring new songs into the catalog from searches on `user_id`'s favourites."""
    return _run(self, lambda client: user_discover(user_id=user_id, client=client).as_dict())


def _run(task: Task, work: Callable[[SpotifyClient], dict[str, Any]]) -> dict[str, Any]:
    if not spotify_enabled():
        logger.info("%s: %s", task.name, DISABLED["detail"])
        return dict(DISABLED)
    try:
        return {"status": "done", **work(spotify_client())}
    except SpotifyRateLimitedError as error:
        countdown = min(error.retry_after, settings.SPOTIFY_RETRY_AFTER_MAX)
        logger.warning("%s: rate limited by Spotify, retrying in %s s", task.name, countdown)
        raise task.retry(exc=error, countdown=countdown) from error
    except SpotifyUnavailableError as error:
        countdown = get_exponential_backoff_interval(
            factor=2, retries=task.request.retries, maximum=BACKOFF_MAX, full_jitter=False
        )
        logger.warning("%s: %s; retrying in %s s", task.name, error, countdown)
        raise task.retry(exc=error, countdown=countdown) from error
