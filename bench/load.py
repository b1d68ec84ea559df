"""Benchmark of `manage.py load_music` on PostgreSQL.

    python bench/load.py [--songs 1000000] [--base-songs 100000] [--database-url postgres://...]

On the database of --database-url (default: $BENCH_DATABASE_URL, else the local
`md_loader_bench`), migrated first, each load runs in a process of its own so that its wall
time (Python start-up, parsing, writing, committing) and peak RSS are its own:

1. the floor: a raw binary COPY of the same rows (songs, artists, credits, genres and their
   links) into bare copies of their tables, then building the same indexes one after the
   other (what any first load must at least do);
2. a fresh load of a synthetic catalog (bench/make_catalog.py) into an empty catalog;
3. a re-load of the same, unchanged file (the load record's shortcut);
4. the same re-load after a write to one song (it must stage and compare every song);
5. a re-load of a copy in which 1% of the songs changed;
6. the common case of a live catalog: --songs new songs added to a catalog of --base-songs,
   while a reader runs a title search every 50 ms on its own connection (its slowest query
   and any error are reported);
7. the Spotify tracks CSV of ../shared/data (when present): first load and unchanged re-load;
8. with --ablations, what each kept mechanism buys: the same loads with it switched off
   (the PostgreSQL path against the ORM path on --ablation-songs songs; msgspec's typed
   decoders against the standard library's).

Prints a table for bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from load_floor import connect, floor  # bench/, the script's own directory, is on sys.path
from make_catalog import stale as catalog_stale

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/md_loader_bench"
SHARED_CSV = BASE_DIR.parent / "shared" / "data" / "spotify-tracks-114k.csv"


# Runs a command (argv) from a small process and prints its peak RSS in kB last (see `measure`).
PEAK = textwrap.dedent(
    """
    import os, subprocess, sys
    child = subprocess.Popen(sys.argv[1:])
    _, status, usage = os.wait4(child.pid, 0)
    print(f"peak-rss-kb {usage.ru_maxrss}", flush=True)
    sys.exit(os.waitstatus_to_exitcode(status))
    """
)


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, output) of one command run to completion. Linux carries a
    process's peak RSS over to what it starts (at exec), so a command started from this
    script, which holds a whole catalog for the floor, would report that as its own peak;
    and `RUSAGE_CHILDREN` is the running maximum over every child, a catalog generator's
    included. So the command is started by a small process (`PEAK`), which reports the
    command's own peak."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *command],
        env=env,
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seconds = time.perf_counter() - started
    output, _, peak = done.stdout.rpartition("peak-rss-kb ")
    if done.returncode != 0 or not peak:
        raise SystemExit(f"command failed: {' '.join(command)}\n{done.stdout}")
    return seconds, int(peak) / 1024, output


def manage(*args: str) -> list[str]:
    return [sys.executable, str(BASE_DIR / "manage.py"), *args]


def run_sql(url: str, sql: str) -> None:
    with connect(url) as conn:
        conn.execute(sql)


def checkpoint(url: str) -> None:
    """Flush what the step before left dirty, so that each step pays for its own writes."""
    import psycopg

    try:
        run_sql(url, "CHECKPOINT")
    except psycopg.errors.InsufficientPrivilege:
        print("(no CHECKPOINT between steps: the database user may not run it)")


def empty_catalog(url: str) -> None:
    run_sql(url, "TRUNCATE catalog_song, catalog_artist, catalog_genre, catalog_songfileload CASCADE")


def make_catalog(workdir: Path, songs: int, seed: int) -> Path:
    path = workdir / f"catalog-{songs}-seed{seed}.json"
    if catalog_stale(path):
        subprocess.run(
            [
                sys.executable,
                str(BASE_DIR / "bench" / "make_catalog.py"),
                str(songs),
                "--out",
                str(path),
                "--seed",
                str(seed),
            ],
            check=True,
        )
    return path


def changed_copy(source: Path, target: Path, share: float) -> int:
    """A copy of `source` where every 1/share-th song has a new tempo and title."""
    import msgspec

    document = msgspec.json.decode(source.read_bytes())
    step = round(1 / share)
    keys = list(document["id"])[::step]
    for key in keys:
        document["tempo"][key] = round(document["tempo"][key] + 1.5, 3)
        document["title"][key] = document["title"][key] + " (Live)"
    target.write_bytes(msgspec.json.encode(document))
    return len(keys)


# Runs `load_music` in-process with one mechanism switched off (argv: what, path).
ABLATION = textwrap.dedent(
    """
    import sys, time
    import django
    django.setup()
    from django.core.management import call_command
    from catalog.loading import jsonfile, read_song_file
    from catalog.services import loading
    what, path = sys.argv[1], sys.argv[2]
    if what == "orm-path":  # the path every database but PostgreSQL takes
        real = loading.connection
        class _NotPostgres:
            vendor = "orm"
            def __getattr__(self, name):
                return getattr(real, name)
        loading.connection = _NotPostgres()
    elif what == "stdlib-decoder":
        jsonfile._columnar_fast = lambda data: None
        started = time.perf_counter()
        read_song_file(path)
        print(f"loaded parse only in {time.perf_counter() - started:.2f} s")
        sys.exit(0)
    call_command("load_music", path, verbosity=2)
    """
)


class Reader(threading.Thread):
    """A title search every 50 ms on a connection of its own, until stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def run(self) -> None:
        with connect(self.url) as conn:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    conn.execute(
                        "SELECT id FROM catalog_song WHERE title ILIKE '%love%' ORDER BY id LIMIT 20"
                    ).fetchall()
                except Exception as exc:  # reported, not raised: the reader must go on
                    self.errors.append(repr(exc))
                self.latencies.append(time.perf_counter() - started)
                time.sleep(0.05)

    def summary(self) -> str:
        if not self.latencies:
            return "reader ran no query"
        ordered = sorted(self.latencies)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        return (
            f"reader: {len(ordered)} searches, p95 {p95 * 1000:.0f} ms,"
            f" slowest {ordered[-1] * 1000:.0f} ms, {len(self.errors)} errors"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=1_000_000)
    parser.add_argument("--base-songs", type=int, default=100_000, help="the live catalog's size in step 6")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--workdir", default=str(BASE_DIR / "var" / "bench"))
    parser.add_argument("--ablations", action="store_true", help="also measure each mechanism switched off")
    parser.add_argument(
        "--ablation-songs", type=int, default=100_000, help="songs for the ORM path comparison"
    )
    args = parser.parse_args()
    url = args.database_url
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "music_discovery.settings"}
    env.pop("REDIS_URL", None)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(manage("migrate", "--noinput", "-v", "0"), env=env, cwd=BASE_DIR, check=True)
    catalog = make_catalog(workdir, args.songs, seed=42)
    rows: list[tuple[str, int, float, str]] = []

    def load(label: str, path: Path, songs: int, *extra: str, ablation: str | None = None) -> float:
        checkpoint(url)
        if ablation:
            command = [sys.executable, "-c", ABLATION, ablation, str(path)]
        else:
            command = manage("load_music", str(path), "-v", "2", *extra)
        seconds, peak, output = measure(command, env)
        summary = next(line for line in output.splitlines() if line.startswith("loaded "))
        phases = ", ".join(
            f"{m.group(1)} {float(m.group(2)):.1f}s"
            for m in re.finditer(
                r"(?:load phase |)(parsed and validated|[a-z ]+)(?: \d+ songs in|:) (\d+\.\d+) s", output
            )
        )
        rows.append((label, songs, seconds, f"{summary.split(' in ')[0]}; {phases}; peak RSS {peak:,.0f} MB"))
        print(f"{label}: {seconds:.1f} s ({songs / seconds:,.0f} songs/s)  {summary}\n  {phases}", flush=True)
        return seconds

    empty_catalog(url)
    floor_seconds, floor_notes = floor(url, catalog)
    rows.append(
        ("floor: raw COPY of the same rows + the same index builds", args.songs, floor_seconds, floor_notes)
    )
    print(f"floor: {floor_seconds:.1f} s  {floor_notes}", flush=True)

    fresh = load("fresh load (empty catalog)", catalog, args.songs)
    load("unchanged re-load (the last file, nothing written since)", catalog, args.songs)
    run_sql(
        url,
        "UPDATE catalog_song SET total_ratings = total_ratings WHERE id = (SELECT min(id) FROM catalog_song)",
    )
    load("unchanged re-load, compared (a song written since)", catalog, args.songs)
    changed = workdir / f"catalog-{args.songs}-changed.json"
    n_changed = changed_copy(catalog, changed, 0.01)
    load(f"re-load with 1% changed ({n_changed:,} songs)", changed, args.songs)

    empty_catalog(url)
    base = make_catalog(workdir, args.base_songs, seed=7)
    load(f"base catalog of {args.base_songs:,} (setup of the next step)", base, args.base_songs)
    reader = Reader(url)
    reader.start()
    load(f"{args.songs:,} new songs into a live catalog of {args.base_songs:,}", catalog, args.songs)
    reader.stop.set()
    reader.join()
    rows[-1] = (*rows[-1][:3], rows[-1][3] + "; " + reader.summary())
    print(reader.summary())

    if args.ablations:
        empty_catalog(url)
        load(
            "ablation: msgspec's typed decoders off (the standard library's), parse only",
            catalog,
            args.songs,
            ablation="stdlib-decoder",
        )
        small = make_catalog(workdir, args.ablation_songs, seed=11)
        empty_catalog(url)
        load(f"PostgreSQL path, fresh, {args.ablation_songs:,} songs", small, args.ablation_songs)
        empty_catalog(url)
        load(
            f"ablation: ORM path on PostgreSQL, fresh, {args.ablation_songs:,} songs",
            small,
            args.ablation_songs,
            ablation="orm-path",
        )

    if SHARED_CSV.exists():
        empty_catalog(url)
        load("Spotify tracks CSV (114,000 rows), first load", SHARED_CSV, 89_740, "--skip-invalid")
        load("Spotify tracks CSV, unchanged re-load", SHARED_CSV, 89_740, "--skip-invalid")
    else:
        print(f"(no {SHARED_CSV}: the CSV steps are skipped)")
    empty_catalog(url)

    print()
    print("| step | songs | seconds | songs/s | notes |")
    print("|---|---|---|---|---|")
    for label, n, seconds, notes in rows:
        print(f"| {label} | {n:,} | {seconds:.1f} | {n / seconds:,.0f} | {notes} |")
    print(f"\nfresh load / floor: {fresh / floor_seconds:.2f}x (target <= 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
