"""The Celery application; its configuration is the CELERY_* block of settings.py."""

import logging
import logging.config
import os
import time

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")

app = Celery("music_discovery")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger("music_discovery.tasks")
_started: dict[str, float] = {}


@setup_logging.connect
def _use_django_logging(**_kwargs) -> None:
    """Workers log through settings.LOGGING (JSON lines when LOG_FORMAT=json) instead of
    Celery replacing the root logger with its own plain-text format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@task_prerun.connect
def _remember_start(task_id: str, **_kwargs) -> None:
    _started[task_id] = time.perf_counter()


@task_postrun.connect
def _log_task(task_id: str, task, state: str | None = None, **_kwargs) -> None:
    started = _started.pop(task_id, None)
    # An eager task whose exception propagates to the caller reaches here without a state.
    state = state or "FAILURE"
    duration_ms = round((time.perf_counter() - started) * 1000, 2) if started is not None else None
    logger.log(
        logging.INFO if state == "SUCCESS" else logging.WARNING,
        "task %s %s %s",
        task.name,
        state,
        f"{duration_ms:.1f}ms" if duration_ms is not None else "-",
        extra={"task": task.name, "task_id": task_id, "state": state, "duration_ms": duration_ms},
    )
