"""Filling a benchmark's database: songs, users, an empty ratings table; a free port; the
settings a served bench runs under, and Gunicorn serving them. Shared by the bench scripts
(they run from bench/ with it on sys.path)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from make_catalog import stale as catalog_stale  # bench/ is on sys.path wherever this module is imported

BASE_DIR = Path(__file__).resolve().parent.parent


def serve_as_production() -> None:
    """Settings as in production (JSON renderer only, DEBUG off), minus the HTTPS redirect: the
    benches speak plain HTTP on loopback. Gunicorn, the workers and the bench process (which
    mints the tokens) share one key. Call before Django reads its settings."""
    os.environ.setdefault("DJANGO_ENV", "production")
    os.environ.setdefault("SECRET_KEY", "bench-" + os.urandom(16).hex())
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    port: int,
    *,
    workers: int,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    wait: float = 60,
) -> subprocess.Popen:
    """Gunicorn as `make run` serves the project (gunicorn.conf.py) on 127.0.0.1:`port` with
    `workers` workers, returned once `/healthz` answers 200. It runs in a session of its own:
    `os.killpg(process.pid, ...)` stops its workers too. `env`: its whole environment (this
    process's by default); `log`: a file for its output (this process's output by default)."""
    environment = {
        **(os.environ if env is None else env),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
    }
    output = log.open("w") if log is not None else None
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "music_discovery.wsgi"],
            cwd=BASE_DIR,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT if output is not None else None,
            start_new_session=True,
        )
    finally:
        if output is not None:
            output.close()  # the child holds its own copy
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and process.poll() is None:
        if _healthy(port):
            return process
        time.sleep(0.2)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    raise RuntimeError("Gunicorn did not start" + (f"; see {log}" if log is not None else ""))


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def fill_songs(target: int) -> None:
    from django.core.management import call_command, get_commands
    from django.db import connection

    from catalog.models import Song

    have = Song.objects.count()
    if have >= target:
        print(f"songs: {have} already there")
        return
    started = time.perf_counter()
    make_catalog = BASE_DIR / "bench" / "make_catalog.py"
    if "load_music" in get_commands() and make_catalog.exists():
        path = BASE_DIR / "var" / f"catalog-{target}.json"
        if catalog_stale(path):
            path.parent.mkdir(exist_ok=True)
            subprocess.run(
                [sys.executable, str(make_catalog), str(target), "--out", str(path)], check=True, cwd=BASE_DIR
            )
        call_command("load_music", str(path))
        how = f"load_music {path.name}"
    else:
        words = ["love", "night", "heart", "dance", "river", "summer", "gold", "light", "fire", "dream"]
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO catalog_song (spotify_id, title, danceability, energy, key, loudness, mode,
                    acousticness, instrumentalness, liveness, valence, tempo, duration_ms,
                    time_signature, num_bars, num_sections, num_segments)
                SELECT 'benchsong' || g,
                       initcap(%(words)s[1 + g %% 10] || ' ' || %(words)s[1 + (g / 10) %% 10]),
                       random(), random(), (g %% 12), -30 * random(), g %% 2, random(), random(),
                       random(), random(), 60 + 140 * random(), 120000 + g %% 200000, 4, 100, 8, 500
                FROM generate_series(%(start)s, %(stop)s) AS g
                ON CONFLICT (spotify_id) DO NOTHING
                """,
                {"words": words, "start": have + 1, "stop": target},
            )
        how = "SQL"
    print(f"songs: {have} -> {Song.objects.count()} ({how}, {time.perf_counter() - started:.0f} s)")


def fill_users(count: int) -> list:
    from users.models import User

    names = [f"bench-rater-{i}" for i in range(count)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [
            User(username=name, email=f"{name}@bench.invalid", password="!").keyed()
            for name in names
            if name not in existing
        ]
    )
    return list(User.objects.filter(username__in=names).order_by("id"))


def reset_ratings() -> None:
    from django.db import connection, transaction
    from django_redis import get_redis_connection

    from catalog.models import RATING_PRIOR_MEAN

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE catalog_rating")
        # Without the songs' triggers: they follow title changes (search words) and writes
        # (the load record), and this changes no title. The search-word trigger joins its
        # transition tables, which costs minutes on a few hundred thousand rows.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE catalog_song SET total_ratings = 0, average_rating = 0, rating_score = %s "
            "WHERE total_ratings <> 0 OR average_rating <> 0 OR rating_score <> %s",
            [RATING_PRIOR_MEAN, RATING_PRIOR_MEAN],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE catalog_rating")
    get_redis_connection("default").flushdb()


# ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The `q`th percentile (0-100) of `values`, nearest rank; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]
