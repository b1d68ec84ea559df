"""Gunicorn settings, read from the environment like everything else.

From the environment only, not from .env as settings.py also does: `make run` exports .env's
values before it starts Gunicorn (the Makefile's DOTENV_EXPORTS), docker-compose.yml passes
.env to the containers as their environment, and the image has no .env."""

import json
import os
from pathlib import Path

from gunicorn import util

# Empty means unset, as `make run` reads it ("${PORT:-8000}") for honcho.
PORT = os.environ.get("PORT") or "8000"
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{PORT}"
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
# it and answers JSON; 8190 is Gunicorn's largest bounded value (its default is 4094).
limit_request_line = 8190
graceful_timeout = 20
# Requests are logged by our middleware, one line each, with their duration.
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The control socket (for `gunicornc`) stays in this checkout, one per bound port: Gunicorn's
# default, ~/.gunicorn/gunicorn.ctl, is shared by every instance the user runs, and each one
# starting removes the socket of the one before.
control_socket = str(Path(__file__).resolve().parent / "var" / f"gunicorn-{PORT}.ctl")


# The same words as Django's and nginx's JSON errors for the same statuses.
ERROR_DETAILS = {
    400: "Bad request.",
    414: "Request line too long.",
    431: "Request header too large.",
    500: "Internal server error.",
}


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Gunicorn's answer to a request it refuses before Django sees it (a request line or
    header over its limits, a malformed request), as JSON in the API's error shape instead
    of an HTML page. Replaces gunicorn.util.write_error, which every worker calls with this
    signature; tests/ops/test_production_server.py holds it to that. `mesg`, which may
    quote the client's bytes, stays out of the body (Gunicorn logs it)."""
    body = json.dumps({"detail": ERROR_DETAILS.get(status_int, f"{reason}.")}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


util.write_error = write_json_error


def post_worker_init(worker) -> None:
    """Freezes what the worker loaded before its first request: Django and, imported here
    rather than by that request, the URLconf with every view, serializer and selector
    behind it. All of it lives as long as the worker, and once frozen the cyclic garbage
    collector no longer walks it: an occasional full collection during a request then
    scans only what requests left behind, instead of pausing that request to scan every
    long-lived object (bench/README.md, "Garbage collection pauses in the workers")."""
    import gc

    from django.urls import get_resolver

    from music_discovery import heartbeat

    # A streamed response that keeps sending keeps its worker alive (music_discovery.heartbeat).
    heartbeat.register(worker.notify)
    routes = len(get_resolver().url_patterns)
    gc.collect()
    gc.freeze()
    worker.log.info(
        "Worker ready: %d routes loaded, %d long-lived objects kept out of garbage collection",
        routes,
        gc.get_freeze_count(),
    )


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
