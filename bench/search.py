"""Catalog search at scale: `search=`, `title=` and filter-only lists of /api/songs/.

    DATABASE_URL=postgres://.../md_search_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        python bench/search.py [--songs 1000000] [--duration 10] [--reuse] [--skip-indexes]

1. Fills the database with --songs synthetic songs: bench/make_catalog.py writes the catalog
   and `manage.py load_music` loads it (with --reuse, a database that already holds exactly
   --songs songs is kept).
2. GIN vs GiST for the title trigram index: build time, size, the API's own SQL for every
   term with each index, and the cost of inserting 20,000 songs with each.
3. ~200 realistic terms (whole words, prefixes, one-typo words, two-word queries, 1-2
   letter prefixes, non-ASCII words) drawn from the catalog's vocabulary:
   - raw SQL: the exact statements one API request runs (captured in-process), replayed
     on a plain psycopg connection; the count statement's share; and, for comparison, the
     plain `term <% title ORDER BY word_similarity` query;
   - through Gunicorn (3 sync workers, as `make run`): one client in sequence and 8
     concurrent clients, every request unique so that none is a cache hit;
   - `title=` substrings and filter-only lists, one client;
   - cached repeats of one anonymous search: `wrk` (8 connections) when installed, else
     8 Python clients.
Prints Markdown tables. The database and the Redis database are the bench's own.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")

import make_catalog  # noqa: E402

WORD_SIMILARITY_SQL = (
    "SELECT id FROM catalog_song WHERE %s <%% title ORDER BY word_similarity(%s, title) DESC, id LIMIT 20"
)
GIN_SQL = "CREATE INDEX catalog_song_title_trgm ON catalog_song USING gin (title gin_trgm_ops)"
GIST_SQL = "CREATE INDEX catalog_song_title_trgm ON catalog_song USING gist (title gist_trgm_ops)"
WRITE_ROWS = 20_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--songs", type=int, default=1_000_000)
    parser.add_argument("--terms", type=int, default=200)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each concurrent run")
    parser.add_argument("--reuse", action="store_true", help="keep a database that already has --songs songs")
    parser.add_argument("--skip-indexes", action="store_true", help="skip the GIN vs GiST comparison")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values_ms: list[float]) -> str:
    return f"{pct(values_ms, 50):.1f} | {pct(values_ms, 95):.1f} | {pct(values_ms, 99):.1f}"


# ---------------------------------------------------------------------------------------
# Terms
# ---------------------------------------------------------------------------------------
def make_terms(count: int, seed: int) -> list[tuple[str, str]]:
    """(kind, term) pairs, deterministic for a seed."""
    rng = random.Random(seed)
    common = make_catalog.COMMON_WORDS
    rare = make_catalog.RARE_WORDS
    words = [w for w in common + rare if len(w) >= 5]
    letters = "abcdefghijklmnopqrstuvwxyz"

    def typo(word: str) -> str:
        i = rng.randrange(1, len(word) - 1)
        kind = rng.choice(["drop", "swap_letter", "double"])
        if kind == "drop":
            return word[:i] + word[i + 1 :]
        if kind == "swap_letter":
            return word[:i] + rng.choice(letters) + word[i + 1 :]
        return word[:i] + word[i] + word[i:]

    share = {"word": 0.25, "prefix": 0.2, "typo": 0.25, "two words": 0.15, "short": 0.05, "non-ascii": 0.1}
    terms: list[tuple[str, str]] = []
    for kind, fraction in share.items():
        for _ in range(max(1, int(count * fraction))):
            if kind == "word":
                term = rng.choice(common + rare)
            elif kind == "prefix":
                word = rng.choice(words)
                term = word[: rng.randint(3, len(word) - 1)]
            elif kind == "typo":
                term = typo(rng.choice(words))
            elif kind == "two words":
                term = f"{rng.choice(common)} {rng.choice(common + rare)}"
            elif kind == "short":
                term = rng.choice(letters) + rng.choice(["", rng.choice(letters)])
            else:
                term = rng.choice(make_catalog.ACCENTED_WORDS + make_catalog.NON_LATIN_WORDS)
            terms.append((kind, term))
    return terms[:count]


# ---------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------
def prepare_database(songs: int, reuse: bool) -> str:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from catalog.models import Song

    existing = Song.objects.count()
    if reuse and existing == songs:
        return f"reused {existing} songs"
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE catalog_song CASCADE")
    path = BASE_DIR / "var" / "bench" / f"search-catalog-{songs}.json"
    if not path.exists():
        subprocess.run(
            [sys.executable, str(BASE_DIR / "bench" / "make_catalog.py"), str(songs), "--out", str(path)],
            check=True,
        )
    started = time.perf_counter()
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), "load_music", str(path)], check=True)
    return f"loaded {songs} songs with load_music in {time.perf_counter() - started:.1f} s"


def timed_sql(cursor, sql: str, params=None) -> float:
    started = time.perf_counter()
    cursor.execute(sql, params)
    if cursor.description:
        cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def capture_request_sql(term: str) -> list[str]:
    """The SQL statements one anonymous `search=` request runs, parameters inlined."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = Client().get("/api/songs/", {"search": term})
    assert response.status_code == 200, response.content
    return [q["sql"] for q in captured.captured_queries]


def replay(cursor, statements: list[str]) -> tuple[float, float]:
    """(total ms, ms of the count statement) of one replay."""
    total = count = 0.0
    for sql in statements:
        elapsed = timed_sql(cursor, sql.replace("%", "%%"), [])
        total += elapsed
        if sql.startswith("SELECT COUNT(*)"):
            count += elapsed
    return total, count


def compare_indexes(psql, captured: dict[str, list[str]]) -> list[str]:
    rows = []
    with psql.cursor() as cursor:
        for name, create in (("GIN", GIN_SQL), ("GiST", GIST_SQL)):
            cursor.execute("DROP INDEX IF EXISTS catalog_song_title_trgm")
            psql.commit()
            build = timed_sql(cursor, create) / 1000
            psql.commit()
            cursor.execute("SELECT pg_relation_size('catalog_song_title_trgm')")
            size_mb = cursor.fetchone()[0] / 1e6
            cursor.execute("ANALYZE catalog_song")
            psql.commit()
            for statements in captured.values():  # warm-up
                replay(cursor, statements)
            totals = [replay(cursor, statements)[0] for statements in captured.values()]
            psql.commit()
            write = timed_sql(
                cursor,
                "INSERT INTO catalog_song (spotify_id, title, danceability, energy, key, loudness, mode, "
                "acousticness, instrumentalness, liveness, valence, tempo, duration_ms, time_signature, "
                "num_bars, num_sections, num_segments) SELECT 'bench-write-' || i, "
                "'Bench Write ' || md5(i::text) || ' Love Night', 0.5, 0.5, 1, -5, 1, 0.1, 0, 0.1, 0.5, "
                "120, 200000, 4, 100, 8, 500 FROM generate_series(1, %s) AS i",
                [WRITE_ROWS],
            )
            psql.rollback()
            write_rate = WRITE_ROWS / (write / 1000)
            rows.append(f"| {name} | {build:.1f} | {size_mb:.0f} | {summary(totals)} | {write_rate:,.0f} |")
        # Leave the index the migration creates.
        cursor.execute("DROP INDEX IF EXISTS catalog_song_title_trgm")
        cursor.execute(GIN_SQL)
        cursor.execute("ANALYZE catalog_song")
        psql.commit()
    return rows


# ---------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "3"),
        "THROTTLE_ANON": "100000000/min",
        "THROTTLE_USER": "100000000/min",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
    }
    process = subprocess.Popen(
        [str(BASE_DIR / ".venv" / "bin" / "gunicorn"), "music_discovery.wsgi", "-c", "gunicorn.conf.py"],
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            status, _ = get(port, "/healthz")
            if status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def timed_get(port: int, path: str) -> float:
    started = time.perf_counter()
    status, body = get(port, path)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"{path}: {status} {body[:200]!r}")
    return elapsed


_unique = iter(range(10**12))


def unique_path(params: dict) -> str:
    # An unknown parameter makes every request a distinct cache key: no cache hits.
    return "/api/songs/?" + urlencode({**params, "nocache": next(_unique)})


def sequential(port: int, params_list: list[dict]) -> list[float]:
    for params in params_list[:20]:
        timed_get(port, unique_path(params))
    return [timed_get(port, unique_path(params)) for params in params_list]


def concurrent(
    port: int, params_list: list[dict], clients: int, duration: float
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + duration

    def client(offset: int) -> None:
        mine = []
        i = offset
        while time.perf_counter() < stop:
            mine.append(timed_get(port, unique_path(params_list[i % len(params_list)])))
            i += clients
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), latencies


def _wrk_value(pattern: str, output: str) -> str:
    match = re.search(pattern, output)
    if match is None:
        raise RuntimeError(f"wrk's output has no {pattern!r}:\n{output}")
    return match.group(1)


def cached_repeats(port: int, duration: float) -> str:
    path = "/api/songs/?search=love"
    timed_get(port, path)  # fills the cache
    status, _ = get(port, path)
    assert status == 200
    wrk = shutil.which("wrk")
    if wrk:
        rows = []
        # /healthz first: what this machine, as busy as it is now, serves at all.
        for label, target in (
            ("/healthz (baseline), wrk 8 connections", "/healthz"),
            (
                "cached repeat of ?search=love, wrk 8 connections",
                path,
            ),
        ):
            output = subprocess.run(
                [wrk, "-t2", "-c8", f"-d{int(duration)}s", "--latency", f"http://127.0.0.1:{port}{target}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            rps = float(_wrk_value(r"Requests/sec:\s+([\d.]+)", output))
            p50 = _wrk_value(r"50%\s+([\d.]+\w+)", output)
            p99 = _wrk_value(r"99%\s+([\d.]+\w+)", output)
            verdict = "ERRORS" if "non-2xx" in output else "ok"
            rows.append(f"| {label} | {rps:,.0f} | {p50} / {p99} | {verdict} |")
        return "\n".join(rows)
    rps, latencies = concurrent(port, [{"search": "love"}], 8, duration)
    median, slowest = pct(latencies, 50), pct(latencies, 99)
    return f"| cached repeat, 8 Python clients | {rps:,.0f} | {median:.1f} / {slowest:.1f} ms | ok |"


def main() -> int:
    args = parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL must point at a PostgreSQL database of the bench's own")
    print(f"# Search benchmark, {args.songs:,} songs")
    print(prepare_database(args.songs, args.reuse))

    import psycopg
    from django.db import connection

    from catalog.services.search_index import search_index_refresh

    search_index_refresh()
    terms = make_terms(args.terms, args.seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalog_searchword")
        print(f"{len(terms)} terms; {cursor.fetchone()[0]:,} distinct title words")

    captured = {term: capture_request_sql(term) for _, term in terms}
    connection.close()
    psql = psycopg.connect(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1))

    if not args.skip_indexes:
        print("\n## GIN vs GiST (title trigram index)\n")
        print("| index | build s | size MB | API SQL per search p50 / p95 / p99 ms | insert rows/s |")
        print("|---|---|---|---|---|")
        for row in compare_indexes(psql, captured):
            print(row)

    print("\n## Raw SQL (the statements of one API request, replayed; GIN)\n")
    with psql.cursor() as cursor:
        for statements in captured.values():
            replay(cursor, statements)
        by_kind: dict[str, list[float]] = {}
        totals, counts = [], []
        for kind, term in terms:
            total, count = replay(cursor, captured[term])
            totals.append(total)
            counts.append(count)
            by_kind.setdefault(kind, []).append(total)
        baseline = [timed_sql(cursor, WORD_SIMILARITY_SQL, [term, term]) for _, term in terms]
        psql.rollback()
    print("| query | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|")
    print(f"| API search SQL, all terms | {summary(totals)} |")
    for kind, values in by_kind.items():
        print(f"| API search SQL, {kind} ({len(values)}) | {summary(values)} |")
    print(f"| of which the count statement | {summary(counts)} |")
    print(f"| plain `term <% title` word-similarity, LIMIT 20 | {summary(baseline)} |")
    per_request = [len(s) for s in captured.values()]
    print(f"\nstatements per search request: {min(per_request)}-{max(per_request)}")

    port = free_port()
    server = start_gunicorn(port)
    try:
        print("\n## Through Gunicorn (3 sync workers), uncached\n")
        print("| requests | clients | req/s | p50 ms | p95 ms | p99 ms |")
        print("|---|---|---|---|---|---|")
        search_params = [{"search": term} for _, term in terms]
        started = time.perf_counter()
        single = sequential(port, search_params)
        rate = len(single) / (time.perf_counter() - started)
        print(f"| search= | 1 | {rate:.0f} | {summary(single)} |")
        rps, latencies = concurrent(port, search_params, 8, args.duration)
        print(f"| search= | 8 | {rps:.0f} | {summary(latencies)} |")

        rng = random.Random(args.seed)
        fragments = []
        for _ in range(60):
            word = rng.choice([w for w in make_catalog.COMMON_WORDS + make_catalog.RARE_WORDS if len(w) >= 4])
            start = rng.randrange(0, len(word) - 3)
            fragments.append({"title": word[start : start + rng.randint(3, len(word) - start)]})
        started = time.perf_counter()
        title = sequential(port, fragments)
        print(f"| title= | 1 | {len(title) / (time.perf_counter() - started):.0f} | {summary(title)} |")
        filters = [
            {"min_energy": "0.8"},
            {"min_energy": "0.5", "max_tempo": "100", "key": "5"},
            {"mode": "1", "min_danceability": "0.7", "ordering": "-rating_score"},
            {"min_valence": "0.9", "max_valence": "0.95"},
            {"ordering": "-tempo"},
        ] * 12
        started = time.perf_counter()
        filtered = sequential(port, filters)
        rate = len(filtered) / (time.perf_counter() - started)
        print(f"| filters only | 1 | {rate:.0f} | {summary(filtered)} |")

        single_p50 = pct(single, 50)
        raw_p50 = pct(totals, 50)
        ratio = single_p50 / raw_p50
        print(f"\nAPI / raw SQL, search p50: {single_p50:.1f} / {raw_p50:.1f} ms = {ratio:.1f}x")

        print("\n## Cached repeats\n")
        print("| run | req/s | p50 / p99 | status |")
        print("|---|---|---|---|")
        print(cached_repeats(port, args.duration))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    psql.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
