"""Gunicorn settings, read from the environment like everything else."""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
if os.environ.get("REDIS_URL"):
    workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
else:
    # The embedded default keeps its cache (throttle counters, cached song lists) in process
    # memory: one process with threads, so that every request sees the same counters.
    # Several processes would each count on their own and multiply every throttle rate.
    workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
    threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# A query string of a few thousand characters (a pasted search) reaches Django, which bounds
# it and answers JSON, instead of Gunicorn's HTML 414 at its default of 4094 bytes.
limit_request_line = 8190
graceful_timeout = 20
# Requests are logged by our middleware, one line each, with their duration.
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

if os.environ.get("LOG_FORMAT") == "json":
    # Gunicorn's own lines (boot, worker timeouts) in the same JSON shape as the app's.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    }
