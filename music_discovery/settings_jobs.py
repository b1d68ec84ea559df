"""Settings of the background jobs: what each app's periodic work is, how often it runs,
and which queue each task goes to. Part of `music_discovery.settings`, which imports all of
it (after reading `.env` into the environment); kept apart as a concern of its own."""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

__all__ = [
    "ANALYTICS_ROLLUP_SECONDS",
    "ANALYTICS_TRENDS_SECONDS",
    "ANALYTICS_USER_ROLLUP_SECONDS",
    "RECOMMENDATIONS_CACHE_SECONDS",
    "RECOMMENDATIONS_BUILD_SECONDS",
    "RECOMMENDATIONS_REFRESH_SECONDS",
    "RECOMMENDATIONS_REFRESH_MAX_USERS",
    "RECOMMENDATIONS_SYNC_BUILD_SECONDS",
    "RECOMMENDATIONS_SYNC_BUILD_MAX_SONGS",
    "RECOMMENDATIONS_KEEP_DAYS",
    "DEFAULT_QUEUE",
    "RECOMMENDATIONS_QUEUE",
    "CELERY_TASK_ROUTES",
    "CELERY_BEAT_SCHEDULE",
    "CELERY_BEAT_SCHEDULE_FILENAME",
]

ANALYTICS_ROLLUP_SECONDS = env.float("ANALYTICS_ROLLUP_SECONDS", default=10.0)
# At most this behind the rollups, the cached trends and summary; keep it under half of
# ANALYTICS_SNAPSHOT_SECONDS (how long a snapshot lives), or readers meet expired ones.
ANALYTICS_TRENDS_SECONDS = env.float("ANALYTICS_TRENDS_SECONDS", default=60.0)
# At most about this behind the day rollups, a user's all-time top songs, artists and genres:
# the longer, the more of each listener's events one run writes together (bench/README.md,
# "Analytics", two stages).
ANALYTICS_USER_ROLLUP_SECONDS = env.float("ANALYTICS_USER_ROLLUP_SECONDS", default=300.0)
# Recommendations (recommendations/lists.py): how long a listener's list is served from the
# cache, how often the model is rebuilt and active listeners' lists refreshed, when a web
# process that holds no model builds one itself rather than queue the work (the last build
# took at most SYNC_BUILD_SECONDS; before any build, the catalog holds at most
# SYNC_BUILD_MAX_SONGS), how long generations are kept.
RECOMMENDATIONS_CACHE_SECONDS = env.int("RECOMMENDATIONS_CACHE_SECONDS", default=3600)
RECOMMENDATIONS_BUILD_SECONDS = env.float("RECOMMENDATIONS_BUILD_SECONDS", default=6 * 3600.0)
RECOMMENDATIONS_REFRESH_SECONDS = env.float("RECOMMENDATIONS_REFRESH_SECONDS", default=3600.0)
RECOMMENDATIONS_REFRESH_MAX_USERS = env.int("RECOMMENDATIONS_REFRESH_MAX_USERS", default=2000)
RECOMMENDATIONS_SYNC_BUILD_SECONDS = env.float("RECOMMENDATIONS_SYNC_BUILD_SECONDS", default=1.0)
RECOMMENDATIONS_SYNC_BUILD_MAX_SONGS = env.int("RECOMMENDATIONS_SYNC_BUILD_MAX_SONGS", default=20_000)
RECOMMENDATIONS_KEEP_DAYS = env.int("RECOMMENDATIONS_KEEP_DAYS", default=7)
# Recommendation work (lists, model builds, playlists) has a queue of its own, consumed by a
# worker of its own (Procfile, docker-compose.yml): a backlog of lists never delays rating
# flushes and rollups, and that worker keeps the model warm. Everything else: Celery's default.
DEFAULT_QUEUE = "celery"
RECOMMENDATIONS_QUEUE = "recommendations"
CELERY_TASK_ROUTES = {
    name: {"queue": RECOMMENDATIONS_QUEUE}
    for name in (
        "recommendations.generate",
        "recommendations.build",
        "recommendations.refresh_active",
        "recommendations.playlists_refresh",
    )
}
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Repairs song rating aggregates whose background update was lost (Redis down, worker
    # killed); one run reads every rating, so raise the period for very large rating tables.
    "ratings-reconcile": {
        "task": "catalog.ratings_reconcile",
        "schedule": env.float("RATINGS_RECONCILE_SECONDS", default=60.0),
        "options": {"expires": 50},
    },
    # Adds the events' pending counts into the day rollups trends and statistics read, and
    # passes them on to the user stage (analytics/services/rollups.py).
    "analytics-rollups": {
        "task": "analytics.rollups_refresh",
        "schedule": ANALYTICS_ROLLUP_SECONDS,
        "options": {"expires": max(ANALYTICS_ROLLUP_SECONDS - 1, 1.0)},
    },
    # The user stage: those counts into each user's all-time songs, artists and genres.
    "analytics-user-rollups": {
        "task": "analytics.user_rollups_refresh",
        "schedule": ANALYTICS_USER_ROLLUP_SECONDS,
        "options": {"expires": max(ANALYTICS_USER_ROLLUP_SECONDS - 1, 1.0)},
    },
    # Recomputes the cached trends and summary when the rollups changed (or half their
    # lifetime passed): every window's day rows, so less often than the rollups.
    "analytics-snapshots": {
        "task": "analytics.snapshots_refresh",
        "schedule": ANALYTICS_TRENDS_SECONDS,
        "options": {"expires": max(ANALYTICS_TRENDS_SECONDS - 1, 1.0)},
    },
    # Rebuilds the recommendation model from every listener's signals and drops the cached
    # lists it makes stale (recommendations/lists.py).
    "recommendations-build": {
        "task": "recommendations.build",
        "schedule": RECOMMENDATIONS_BUILD_SECONDS,
        "options": {"expires": RECOMMENDATIONS_BUILD_SECONDS / 2},
    },
    # Queues fresh lists for the users active in the last period, spread over the period.
    "recommendations-refresh-active": {
        "task": "recommendations.refresh_active",
        "schedule": RECOMMENDATIONS_REFRESH_SECONDS,
        "options": {"expires": RECOMMENDATIONS_REFRESH_SECONDS / 2},
    },
    # Each active listener's daily mix, and weekly discovery when due (recommendations/playlists.py).
    "recommendations-playlists": {
        "task": "recommendations.playlists_refresh",
        "schedule": 24 * 3600.0,
        "options": {"expires": 12 * 3600},
    },
    # Creates the coming months' event partitions and applies ANALYTICS_RETENTION_MONTHS.
    "analytics-partitions": {
        "task": "analytics.partitions_maintain",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat-schedule")
)
