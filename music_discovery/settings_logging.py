"""Logging settings: one line per request and per task, JSON lines when LOG_FORMAT=json. Part
of `music_discovery.settings`, which imports all of it (after reading `.env` into the
environment); kept apart as a concern of its own."""

from __future__ import annotations

import environ

env = environ.Env()

__all__ = ["LOG_LEVEL", "LOG_FORMAT", "LOGGING"]

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Control characters in a message (a path's %0a) are escaped: one record, one line.
        "text": {
            "()": "music_discovery.logs.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Requests are logged once, by our middleware; Django's own copy would double them.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # A request naming a host not in ALLOWED_HOSTS is a client's error, answered 400 and
        # logged as such by our request line; Django would add an ERROR with a traceback for
        # each one, which any scanner could fill the log with.
        "django.security.DisallowedHost": {"level": "CRITICAL"},
        "celery": {"level": "INFO"},
        # Our task_postrun line replaces Celery's "received" and "succeeded" lines; failures still show.
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
        # spotipy logs every 4xx and 5xx as an ERROR, a 404 for an id Spotify does not know
        # included; the Spotify tasks log or report what each one means (retry, unknown, refused).
        "spotipy": {"level": "CRITICAL"},
    },
}
