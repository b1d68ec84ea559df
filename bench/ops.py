"""Operations figures: probe latency through Gunicorn, and how fast things fail when Redis is gone.

    [DATABASE_URL=postgres://...] [REDIS_URL=redis://...] python bench/ops.py [--requests 500]

Prints:

- /healthz and /readyz latency (p50/p95/max ms) through Gunicorn with production settings
  (one sync worker, a new connection per request as Docker's healthcheck makes), against
  whatever DATABASE_URL / REDIS_URL say;
- /readyz with the cache and broker pointed at a dead port: how long a 503 takes;
- how long publishing a task takes to fail on a dead broker, with the project's retry
  policies and with Celery's defaults (the figure the settings exist to avoid).

Nothing is written to any database or Redis.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from fixtures import free_port, start_gunicorn  # bench/ is on sys.path: this script runs from it

BASE_DIR = Path(__file__).resolve().parent.parent


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "LANG", "DATABASE_URL", "REDIS_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "music_discovery.settings",
            "PYTHONPATH": str(BASE_DIR),
            "PYTHONWARNINGS": "ignore",
            "LOG_LEVEL": "CRITICAL",
        }
    )
    env.update(extra)
    return env


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def percentiles(samples_ms: list[float]) -> str:
    samples_ms.sort()
    p95 = samples_ms[int(len(samples_ms) * 0.95) - 1]
    return f"{statistics.median(samples_ms):7.2f} {p95:7.2f} {samples_ms[-1]:8.2f}"


def measure(port: int, path: str, count: int) -> tuple[str, set[int]]:
    samples, statuses = [], set()
    for _ in range(count):
        started = time.perf_counter()
        statuses.add(get(port, path))
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples), statuses


def gunicorn(env: dict[str, str], port: int, home: str) -> subprocess.Popen:
    return start_gunicorn(port, workers=1, env={**env, "HOME": home}, log=Path(home) / "web.log", wait=30)


PUBLISH = textwrap.dedent(
    """
    import json, sys, time
    import django
    django.setup()
    from music_discovery.celery import app
    if sys.argv[1] == "celery-defaults":
        options = dict(app.conf.result_backend_transport_options)
        options.pop("retry_policy", None)
        app.conf.result_backend_transport_options = options

    @app.task(name="bench.tracked", ignore_result=False)
    def tracked(x):
        return x

    @app.task(name="bench.fire_and_forget")
    def fire_and_forget(x):
        return x

    outcome = {}
    for name, task in (("fire-and-forget", fire_and_forget), ("result tracked", tracked)):
        started = time.perf_counter()
        try:
            task.delay(1)
            error = "none"
        except Exception as exc:
            error = type(exc).__name__
        outcome[name] = [time.perf_counter() - started, error]
    print(json.dumps(outcome))
    """
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()

    print(
        f"database: {'PostgreSQL' if os.environ.get('DATABASE_URL') else 'SQLite'}; "
        f"cache/broker: {'Redis' if os.environ.get('REDIS_URL') else 'local memory / in-process'}"
    )
    production = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "bench",
    }
    dead = f"redis://127.0.0.1:{free_port()}/0"

    print(f"\nprobe latency through Gunicorn, {args.requests} sequential requests (ms)")
    print(f"{'request':38} {'p50':>7} {'p95':>7} {'max':>8}  status")
    with tempfile.TemporaryDirectory() as home:
        for label, env in (
            ("configured services", base_env(**production)),
            ("Redis down (dead port)", base_env(**production, REDIS_URL=dead)),
        ):
            port = free_port()
            server = gunicorn(env, port, home)
            try:
                for path in ("/healthz", "/readyz"):
                    figures, statuses = measure(port, path, args.requests)
                    print(f"{path + ', ' + label:38} {figures}  {sorted(statuses)}")
            finally:
                server.terminate()
                server.wait()

    print("\npublishing a task while the broker is down (s)")
    print(f"{'policy':18} {'task':18} {'seconds':>8}  error")
    for policy in ("project", "celery-defaults"):
        result = subprocess.run(
            [sys.executable, "-c", PUBLISH, policy],
            cwd=BASE_DIR,
            env=base_env(DJANGO_ENV="test", REDIS_URL=dead),
            capture_output=True,
            text=True,
            timeout=300,
        )
        outcome = json.loads(result.stdout.strip().splitlines()[-1])
        for task, (seconds, error) in outcome.items():
            print(f"{policy:18} {task:18} {seconds:8.3f}  {error}")


if __name__ == "__main__":
    main()
