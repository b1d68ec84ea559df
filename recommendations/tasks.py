"""Recommendation jobs: thin, idempotent wrappers over `recommendations.lists` and
`recommendations.playlists`.

- `recommendations.generate`: one generation. A generation already finished is left alone,
  so a redelivered task does nothing twice; a database error is retried; when the retries
  are spent (or anything else goes wrong) the generation is recorded as failed, so the client
  polling it learns so.
- `recommendations.build` (beat, and `manage.py build_recommendations`): rebuild the model,
  drop the cached lists it makes stale, prune old generations.
- `recommendations.refresh_active` (beat): queue a list for users active lately, spread over
  the period so that the worker is never flooded.
- `recommendations.playlists_refresh` (beat, daily): the discovery playlists.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from analytics.selectors import users_active_since
from recommendations.lists import (
    generation_fail,
    generation_run,
    generation_start,
    list_is_fresh,
    recommendations_build,
)
from recommendations.playlists import playlists_refresh

logger = logging.getLogger(__name__)


class GenerationTask(Task):
    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        generation_id = args[0] if args else kwargs.get("generation_id")
        if generation_id is not None:
            generation_fail(generation_id=generation_id, error=f"{type(exc).__name__}: {exc}")


@shared_task(
    name="recommendations.generate",
    base=GenerationTask,
    autoretry_for=(DatabaseError,),
    retry_backoff=1,
    retry_backoff_max=30,
    max_retries=3,
    soft_time_limit=240,
    time_limit=270,
)
def generate_task(generation_id: int) -> str | None:
    generation = generation_run(generation_id=generation_id)
    return generation.state if generation else None


@shared_task(
    name="recommendations.build",
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    max_retries=2,
    soft_time_limit=600,
    time_limit=660,
)
def build_task() -> dict[str, Any]:
    return recommendations_build().as_dict()


@shared_task(name="recommendations.refresh_active", autoretry_for=(DatabaseError,), max_retries=1)
def refresh_active_task() -> int:
    """Queue a new list for each user active in the last period who has no fresh one."""
    period = settings.RECOMMENDATIONS_REFRESH_SECONDS
    since = timezone.now() - dt.timedelta(seconds=period)
    users = users_active_since(since=since, limit=settings.RECOMMENDATIONS_REFRESH_MAX_USERS)
    stale = [user_id for user_id in users if not list_is_fresh(user_id=user_id)]
    for at, user_id in enumerate(stale):
        generation_start(user_id=user_id, countdown=period * at / len(stale))
    return len(stale)


@shared_task(
    name="recommendations.playlists_refresh",
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    max_retries=2,
    soft_time_limit=3000,
    time_limit=3300,
)
def playlists_refresh_task() -> int:
    """Each active listener's daily mix (and weekly discovery when due); expired ones deleted.
    Idempotent: a second run the same day draws the same mix."""
    return playlists_refresh()
