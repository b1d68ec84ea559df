"""Analytics background jobs: thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from analytics.services.retention import partitions_maintain


@shared_task(
    name="analytics.partitions_maintain",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def partitions_maintain_task() -> dict:
    done = partitions_maintain()
    return {"dropped": done.dropped, "deleted_keys": done.deleted_keys}
