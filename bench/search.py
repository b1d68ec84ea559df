"""Catalog search at scale, per kind of query: `search=` of /api/songs/ through Gunicorn.

    DATABASE_URL=postgres://.../md_search_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        python bench/search.py [--songs 1000000] [--per-kind 40] [--reuse] [--port 8000]

1. Fills the database with --songs songs: bench/make_catalog.py writes the catalog (titles
   and artist names with the words and word frequencies of the real Spotify tracks file,
   ../shared/data/spotify-tracks-114k.csv; without it the benchmark is skipped, saying why)
   and `manage.py load_music` loads it. When the loader leaves the file's `artists` column
   out, the artists and credits are written here (COPY). With --reuse, a database that
   already holds exactly --songs songs is kept.
2. --per-kind queries of each kind, drawn from the loaded catalog's own titles and artist
   names (a random song each, so common words come up as often as they occur): a 3-8 letter
   fragment from inside a word, a word with one letter dropped, the first two words of a
   title, one whole word, a 3-letter word prefix, an artist's name, an artist's name word
   with one letter dropped.
   - through Gunicorn (3 sync workers, as `make run`), one client in sequence, every
     request unique so that none is a cache hit: p50 / p95 / slowest per kind;
   - raw SQL: the statements one API request runs (captured in-process), replayed on a plain
     psycopg connection, per kind; and the plain `term <% title ORDER BY word_similarity`
     query for comparison;
   - the fragments and words again with an `ordering` (by popularity, by title, and by
     popularity within a genre drawn at random): p50 / p95 / slowest;
   - a long run (--long requests in a row, song pages and the searches in turn): its tail
     percentiles, where a pause of a worker's own shows;
   - 8 concurrent clients over all the queries, and cached repeats of one anonymous search
     (`wrk`, 8 connections, when installed) against `/healthz` in the same run.
Prints Markdown tables. The database and the Redis database are the bench's own.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")

import make_catalog  # noqa: E402
from fixtures import free_port  # noqa: E402
from search_http import concurrent, get, long_run, start_gunicorn, timed_get, unique_path  # noqa: E402
from search_queries import make_terms, ordered_requests  # noqa: E402

WORD_SIMILARITY_SQL = (
    "SELECT id FROM catalog_song WHERE %s <%% title ORDER BY word_similarity(%s, title) DESC, id LIMIT 20"
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--songs", type=int, default=1_000_000)
    parser.add_argument("--per-kind", type=int, default=40, help="queries of each kind")
    parser.add_argument("--repeat", type=int, default=2, help="sequential runs over every query")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each concurrent run")
    parser.add_argument("--no-concurrency", dest="concurrency", action="store_false")
    parser.add_argument("--reuse", action="store_true", help="keep a database that already has --songs songs")
    parser.add_argument("--port", type=int, default=0, help="Gunicorn's port (default: a free one)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--long", type=int, default=1500, help="requests of the long run after the sequential ones (0: none)"
    )
    return parser.parse_args()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values_ms: list[float]) -> str:
    return f"{pct(values_ms, 50):.1f} | {pct(values_ms, 95):.1f} | {pct(values_ms, 99):.1f}"


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
    path = BASE_DIR / "var" / "bench" / f"search-catalog-{songs}.json"
    if reuse and existing == songs:
        return f"reused {existing} songs" + (attach_artists(path) if path.exists() else "")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE catalog_song, catalog_artist CASCADE")
    if make_catalog.stale(path):
        subprocess.run(
            [sys.executable, str(BASE_DIR / "bench" / "make_catalog.py"), str(songs), "--out", str(path)],
            check=True,
        )
    started = time.perf_counter()
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), "load_music", str(path)], check=True)
    loaded = f"loaded {songs} songs with load_music in {time.perf_counter() - started:.1f} s"
    return loaded + attach_artists(path)


def attach_artists(path: Path) -> str:
    """Writes the file's `artists` column (names per row) as artists and ordered credits,
    unless the catalog already has credits (a loader that reads the column)."""
    import msgspec
    from django.db import connection, transaction

    from catalog.naming import name_key

    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM catalog_songartist)")
        if cursor.fetchone()[0]:
            return "; artists loaded by load_music"

    class Credits(msgspec.Struct):
        id: dict[str, str]
        artists: dict[str, list[str]]

    started = time.perf_counter()
    credits = msgspec.json.decode(path.read_bytes(), type=Credits)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT spotify_id, id FROM catalog_song")
        song_ids = dict(cursor.fetchall())
        keys: dict[str, str] = {}
        for names in credits.artists.values():
            for name in names:
                keys.setdefault(name_key(name), name)
        raw = cursor.connection.cursor()
        with raw.copy("COPY catalog_artist (name, name_key) FROM STDIN") as copy:
            for key, name in keys.items():
                copy.write_row((name, key))
        cursor.execute("SELECT name_key, id FROM catalog_artist")
        artist_ids = dict(cursor.fetchall())
        with raw.copy("COPY catalog_songartist (song_id, artist_id, position) FROM STDIN") as copy:
            for row, spotify_id in credits.id.items():
                seen: set[int] = set()
                for name in credits.artists.get(row, []):
                    artist_id = artist_ids[name_key(name)]
                    if artist_id not in seen:
                        copy.write_row((song_ids[spotify_id], artist_id, len(seen)))
                        seen.add(artist_id)
        cursor.execute("ANALYZE catalog_artist")
        cursor.execute("ANALYZE catalog_songartist")
        cursor.execute("ANALYZE catalog_artistword")
    return f"; {len(keys):,} artists and their credits written in {time.perf_counter() - started:.1f} s"


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


def per_kind_table(terms: list[tuple[str, str]], values: list[float], slowest: bool = True) -> list[str]:
    by_kind: dict[str, list[tuple[float, str]]] = {}
    for (kind, term), value in zip(terms, values, strict=True):
        by_kind.setdefault(kind, []).append((value, term))
    rows = []
    for kind, pairs in by_kind.items():
        ms = [value for value, _ in pairs]
        worst, term = max(pairs)
        tail = f" | {worst:.1f} (`{term}`)" if slowest else ""
        rows.append(f"| {kind} ({len(ms)}) | {pct(ms, 50):.1f} | {pct(ms, 95):.1f}{tail} |")
    overall = f"{pct(values, 50):.1f} | {pct(values, 95):.1f} | {max(values):.1f}"
    rows.append(f"| all ({len(values)}) | {overall} |")
    return rows


def main() -> int:
    args = parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL must point at a PostgreSQL database of the bench's own")
    if not make_catalog.SPOTIFY_CSV.is_file():
        print(f"search benchmark skipped: {make_catalog.SPOTIFY_CSV} is absent (the catalog's vocabulary)")
        return 0
    print(f"# Search benchmark, {args.songs:,} songs")
    print(prepare_database(args.songs, args.reuse))

    import psycopg
    from django.db import connection

    from catalog.services.search_index import search_index_refresh

    search_index_refresh()
    terms = make_terms(args.per_kind, args.seed)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM catalog_searchword), (SELECT count(*) FROM catalog_artistword), "
            "(SELECT count(*) FROM catalog_artist)"
        )
        words, name_words, artists = cursor.fetchone()
    print(f"{len(terms)} queries; {words:,} title words; {artists:,} artists, {name_words:,} name words")
    print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))

    captured = {term: capture_request_sql(term) for _, term in terms}
    connection.close()
    psql = psycopg.connect(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1))

    port = args.port or free_port()
    server = start_gunicorn(port)
    try:
        search_params = [{"search": term} for _, term in terms]
        for params in search_params[:20]:  # warm-up
            timed_get(port, unique_path(params))
        print("\n## search= through Gunicorn (3 sync workers), 1 client, uncached\n")
        for number in range(1, args.repeat + 1):
            single = [timed_get(port, unique_path(params)) for params in search_params]
            # The floor of the same minutes: a request that does no work, and a song list
            # page without a search (Django, DRF, serializer, two queries).
            health = [timed_get(port, "/healthz") for _ in range(args.per_kind)]
            plain = [timed_get(port, unique_path({"page": 1 + i % 50})) for i in range(args.per_kind)]
            by_title = [
                timed_get(port, unique_path({"ordering": "title", "page": 1 + i % 50}))
                for i in range(args.per_kind)
            ]
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"Run {number} of {args.repeat} (load average {load}):\n")
            print("| query kind | p50 ms | p95 ms | slowest ms |")
            print("|---|---|---|---|")
            print("\n".join(per_kind_table(terms, single)))
            floors = (
                ("/healthz", health),
                ("songs page, no search", plain),
                ("songs page by title", by_title),
            )
            for label, values in floors:
                spread = f"{pct(values, 50):.1f} | {pct(values, 95):.1f} | {max(values):.1f}"
                print(f"| {label} ({len(values)}) | {spread} |")
            print()
        print("load average after the sequential runs: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))

        if args.long:
            # A page of the list, the searches of every kind, in turn.
            mixed: list[dict] = []
            for i, params in enumerate(search_params):
                mixed += [{"page": 1 + i % 50}, params]
            values = long_run(port, mixed, args.long)
            tail = " | ".join(f"{pct(values, p):.1f}" for p in (50, 95, 99, 99.9))
            print(f"\n## A long run: {len(values):,} requests in a row, 1 client\n")
            print("| requests | p50 ms | p95 ms | p99 ms | p99.9 ms | slowest ms | over 100 ms |")
            print("|---|---|---|---|---|---|---|")
            print(f"| {len(values):,} | {tail} | {max(values):.1f} | {sum(v > 100 for v in values)} |")

        print("\n## search= with an ordering, through Gunicorn, 1 client, uncached\n")
        labeled = ordered_requests(terms, args.seed)
        timed = [timed_get(port, unique_path(params)) for _, params in labeled]
        print("| query kind | p50 ms | p95 ms | slowest ms |")
        print("|---|---|---|---|")
        print("\n".join(per_kind_table([label for label, _ in labeled], timed)))

        print("\n## Raw SQL (the statements of one API request, replayed) and plain `<%`\n")
        with psql.cursor() as cursor:
            for statements in captured.values():
                replay(cursor, statements)
            totals = [replay(cursor, captured[term])[0] for _, term in terms]
            baseline = [timed_sql(cursor, WORD_SIMILARITY_SQL, [term, term]) for _, term in terms]
            psql.rollback()
        print("| query kind | API SQL p50 ms | p95 ms | slowest ms | `<%` p50 ms | p95 ms | slowest ms |")
        print("|---|---|---|---|---|---|---|")
        plain_rows = per_kind_table(terms, baseline)
        for api_row, plain_row in zip(per_kind_table(terms, totals), plain_rows, strict=True):
            print(api_row + plain_row.split("|", 2)[2])
        per_request = [len(s) for s in captured.values()]
        print(f"\nstatements per search request: {min(per_request)}-{max(per_request)}")

        if args.concurrency:
            rps, latencies = concurrent(port, search_params, 8, args.duration)
            print("\n## search=, 8 concurrent clients\n")
            print(f"{rps:.0f} req/s, p50 / p95 / p99 {summary(latencies)} ms")
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
