"""Catalog background work: thin, idempotent wrappers around services.

Both tasks recompute absolute values from the ratings table, so running one twice, late, or
alongside another gives the same result; redelivery after a worker crash is harmless.
"""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError
from redis.exceptions import RedisError

from catalog.ratings import services as rating_services


@shared_task(
    name="catalog.ratings_flush",
    autoretry_for=(DatabaseError, RedisError),
    retry_backoff=1,
    retry_backoff_max=30,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def ratings_flush(song_ids: list[int] | None = None) -> int:
    """Recompute `song_ids` and the songs marked dirty since the last flush."""
    return rating_services.song_ratings_flush(song_ids=song_ids)


@shared_task(
    name="catalog.ratings_reconcile",
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    retry_backoff_max=60,
    max_retries=3,
    soft_time_limit=240,
    time_limit=270,
)
def ratings_reconcile() -> int:
    """Repair songs whose aggregates disagree with their ratings (the beat's safety net)."""
    return rating_services.song_ratings_reconcile()
