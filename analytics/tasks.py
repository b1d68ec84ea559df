"""Analytics background jobs: thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from analytics.services.retention import partitions_maintain
from analytics.services.rollups import rollups_catch_up


@shared_task(
    name="analytics.partitions_maintain",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def partitions_maintain_task() -> dict:
    done = partitions_maintain()
    return {"dropped": done.dropped, "deleted_keys": done.deleted_keys}


@shared_task(
    name="analytics.rollups_refresh",
    autoretry_for=(DatabaseError,),
    retry_backoff=1,
    retry_backoff_max=30,
    max_retries=3,
    soft_time_limit=120,
    time_limit=150,
)
def rollups_refresh_task() -> int:
    """Add pending counts into the rollups and recompute the cached trends and summary.
    Idempotent: a run applies only rows still pending, and overlapping runs skip."""
    return rollups_catch_up()
