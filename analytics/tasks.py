"""Analytics background jobs: thin, idempotent wrappers over services."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import DatabaseError

from analytics.services.retention import partitions_maintain
from analytics.services.rollups import rollups_catch_up, snapshots_catch_up, user_rollups_catch_up


@shared_task(
    name="analytics.partitions_maintain",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def partitions_maintain_task() -> dict:
    done = partitions_maintain()
    return {"dropped": done.dropped, "deleted_keys": done.deleted_keys}


def _periodic(name: str, *, time_limit: int = 150) -> Any:
    """The task decorator of the periodic jobs over the rollups: retried soon after a
    database error (the next period would run them anyway), and stopped before a stuck run
    overlaps too many periods."""
    return shared_task(
        name=name,
        autoretry_for=(DatabaseError,),
        retry_backoff=1,
        retry_backoff_max=30,
        max_retries=3,
        soft_time_limit=time_limit - 30,
        time_limit=time_limit,
    )


@_periodic("analytics.rollups_refresh")
def rollups_refresh_task() -> int:
    """Add pending counts into the day rollups (the user stage and the cached trends and
    summary follow on periods of their own). Idempotent: a run applies only rows still
    pending, and overlapping runs skip."""
    return rollups_catch_up(users=False, snapshots=False)


# A run of the user stage is one transaction of up to USER_REFRESH_CAP rows, which must end
# well inside the limit: a run stopped by it is rolled back, and the next one would start
# over (bench/README.md, "Analytics", two stages, has its time at 10M events).
@_periodic("analytics.user_rollups_refresh", time_limit=600)
def user_rollups_refresh_task() -> int:
    """Add the user stage's counts into the per-user all-time rollups. Idempotent, as the
    day stage's job."""
    return user_rollups_catch_up()


@_periodic("analytics.snapshots_refresh")
def snapshots_refresh_task() -> bool:
    """Recompute the cached trends and summary if the rollups changed since the last time.
    Idempotent: it only replaces cached values with freshly computed ones."""
    return snapshots_catch_up()
