"""Benchmark of `manage.py load_music` on PostgreSQL, against the seed's approach.

    python bench/load.py [--songs 1000000] [--database-url postgres://...] [--seed-songs N]

Runs, on the database of --database-url (default: $BENCH_DATABASE_URL, else the local
`md_loader_bench`), each step in a fresh process so that its wall time (Python start-up,
parsing and index builds included) and peak RSS are its own:

1. a fresh load of a synthetic catalog (bench/make_catalog.py) into an empty songs table;
2. a re-load of the same, unchanged file, which finds the catalog as that load left it;
3. the same re-load after a write to one song (a no-op update, as a rating's aggregates
   make), which has to stage and compare every song;
4. a re-load of a copy in which 1% of the songs changed;
5. the seed's approach on an empty table: `json.load`, one model object per song and one
   `bulk_create(ignore_conflicts=True)`, on --seed-songs songs (default 100,000: one such
   statement of a million rows took the PostgreSQL backend past 10 GB until the kernel
   killed it, so the seed's rate is measured on a tenth and is, if anything, flattered).

The database is migrated first and its songs are deleted between steps. Prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/md_loader_bench"

# Runs a command and reports its peak RSS two ways: RUSAGE_CHILDREN of this small wrapper
# (the largest single process among those it waited for) and, sampled every 20 ms from
# /proc, the command and its descendants together (load_music forks a decoding child).
# Only the command's own process tree is read, so sampling costs next to nothing.
MEASURE = textwrap.dedent(
    """
    import os, resource, subprocess, sys, tempfile, time
    PAGE = os.sysconf("SC_PAGE_SIZE")

    def rss(pid):
        try:
            with open(f"/proc/{pid}/statm") as statm:
                return int(statm.read().split()[1]) * PAGE
        except OSError:
            return 0

    def children(pid):
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as listed:
                return [int(child) for child in listed.read().split()]
        except OSError:
            return []

    def tree_rss(root):
        total, stack = 0, [root]
        while stack:
            pid = stack.pop()
            total += rss(pid)
            stack.extend(children(pid))
        return total

    # Files, not pipes: a pipe nobody reads while the command runs could fill and stall it.
    out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    started = time.perf_counter()
    process = subprocess.Popen(sys.argv[1:], stdout=out, stderr=err, text=True)
    together = 0
    while process.poll() is None:
        together = max(together, tree_rss(process.pid))
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    for source, target in ((out, sys.stdout), (err, sys.stderr)):
        source.seek(0)
        target.write(source.read())
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"@@measure {elapsed:.3f} {peak} {together // 1024} {process.returncode}")
    """
)

SEED_APPROACH = textwrap.dedent(
    """
    import json, sys, time
    import django
    django.setup()
    from catalog.models import Song
    started = time.perf_counter()
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    fields = [f for f in data if f not in ("id", "class")]
    songs = [
        Song(spotify_id=spotify_id, **{name: data[name][key] for name in fields})
        for key, spotify_id in data["id"].items()
    ]
    Song.objects.bulk_create(songs, ignore_conflicts=True)
    print(f"seed inserted {len(songs)} songs in {time.perf_counter() - started:.2f} s")
    """
)


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """(seconds, peak RSS in MB of the largest process, peak RSS in MB of the command's
    processes together, combined output) of one command."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], env=env, cwd=BASE_DIR, capture_output=True, text=True
    )
    output = done.stdout + done.stderr
    match = re.search(r"@@measure (\S+) (\d+) (\d+) (-?\d+)", output)
    if not match or match.group(4) != "0":
        raise SystemExit(f"command failed: {' '.join(command)}\n{output}")
    return float(match.group(1)), int(match.group(2)) / 1024, int(match.group(3)) / 1024, output


def manage(*args: str) -> list[str]:
    return [sys.executable, str(BASE_DIR / "manage.py"), *args]


def psql_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def run_sql(url: str, sql: str) -> str:
    import psycopg

    with psycopg.connect(psql_url(url), autocommit=True) as conn:
        cursor = conn.execute(sql)
        return str(cursor.fetchone()[0]) if cursor.description else ""


def checkpoint(url: str) -> None:
    """Flush the dirty pages a previous step left (CHECKPOINT needs a superuser or the
    pg_checkpoint role; without either, the steps run without it and say so)."""
    import psycopg

    try:
        run_sql(url, "CHECKPOINT")
    except psycopg.errors.InsufficientPrivilege:
        print("(no CHECKPOINT between steps: the database user may not run it)")


def empty_songs(url: str) -> None:
    run_sql(url, "TRUNCATE catalog_song CASCADE")


def changed_copy(source: Path, target: Path, share: float) -> int:
    """A copy of `source` where every 1/share-th song has a new tempo and title."""
    import msgspec

    document = msgspec.json.decode(source.read_bytes())
    step = round(1 / share)
    changed = 0
    for key in list(document["id"])[::step]:
        document["tempo"][key] = round(document["tempo"][key] + 1.5, 3)
        document["title"][key] = document["title"][key] + " (Live)"
        changed += 1
    target.write_bytes(msgspec.json.encode(document))
    return changed


def load_figures(output: str) -> tuple[str, str]:
    summary = next(line for line in output.splitlines() if line.startswith("loaded "))
    phases = [
        f"{m.group(1)} {float(m.group(2)):.1f}s"
        for m in re.finditer(r"(?:load phase )?(parsed and validated|[a-z ]+): (\d+\.\d+) s\n", output)
        if not m.group(1).startswith("loaded")
    ]
    parsed = re.search(r"parsed and validated \d+ songs in (\d+\.\d+) s", output)
    if parsed:
        phases = [f"parse+validate {float(parsed.group(1)):.1f}s"] + [
            p for p in phases if not p.startswith("parsed")
        ]
    # A first load through a swap logs each index build of the copy, e.g. `3.641 s: CREATE
    # INDEX "catalog_song_swap_4" ON public.catalog_song_swap USING gin (title gin_trgm_ops)`.
    builds = [
        f"{m.group(2)} {float(m.group(1)):.1f}s"
        for m in re.finditer(r"^(\d+\.\d+) s: CREATE (?:UNIQUE )?INDEX \S+ ON \S+ USING (.*)$", output, re.M)
    ]
    if builds:
        phases.append("index builds on two connections: " + ", ".join(builds))
    return summary, ", ".join(phases)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=1_000_000)
    parser.add_argument("--seed-songs", type=int, default=100_000, help="songs for the seed approach")
    parser.add_argument("--skip-load", action="store_true", help="measure the seed approach only")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--workdir", default=str(BASE_DIR / "var" / "bench"))
    args = parser.parse_args()
    seed_songs = min(args.seed_songs, args.songs)

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "music_discovery.settings",
    }
    env.pop("REDIS_URL", None)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)

    subprocess.run(manage("migrate", "--noinput", "-v", "0"), env=env, cwd=BASE_DIR, check=True)
    catalog = workdir / f"catalog-{args.songs}.json"
    if not catalog.exists():
        subprocess.run(
            [
                sys.executable,
                str(BASE_DIR / "bench" / "make_catalog.py"),
                str(args.songs),
                "--out",
                str(catalog),
            ],
            check=True,
        )
    rows = []

    def load_step(label: str, path: Path) -> float:
        # Each step starts with no dirty pages left by the one before (a fresh load writes
        # ~1 GB of WAL, whose checkpoint would otherwise run during the next step).
        checkpoint(args.database_url)
        seconds, peak, together, output = measure(manage("load_music", str(path), "-v", "2"), env)
        summary, phases = load_figures(output)
        rate = args.songs / seconds
        notes = f"{summary.split(' in ')[0]}; {phases}"
        rows.append((label, args.songs, seconds, rate, peak, together, notes))
        print(
            f"{label}: {seconds:.1f} s, {rate:,.0f} songs/s, peak RSS {peak:,.0f} MB"
            f" ({together:,.0f} MB all processes together)\n  {summary}\n  {phases}"
        )
        return rate

    fresh = None
    if not args.skip_load:
        changed = workdir / f"catalog-{args.songs}-changed.json"
        n_changed = changed_copy(catalog, changed, 0.01)
        empty_songs(args.database_url)
        fresh = load_step("load_music, fresh (empty table)", catalog)
        load_step("load_music, unchanged re-load (the last file, nothing written since)", catalog)
        # A write to the songs since the last load, as a rating's aggregates make: the
        # re-load must then stage and compare every song.
        run_sql(
            args.database_url,
            "UPDATE catalog_song SET total_ratings = total_ratings"
            " WHERE id = (SELECT min(id) FROM catalog_song)",
        )
        load_step("load_music, unchanged re-load, compared (a song written since)", catalog)
        load_step(f"load_music, re-load with 1% changed ({n_changed} songs)", changed)

    empty_songs(args.database_url)
    seed_file = catalog
    if seed_songs != args.songs:
        seed_file = workdir / f"catalog-{seed_songs}.json"
        if not seed_file.exists():
            subprocess.run(
                [
                    sys.executable,
                    str(BASE_DIR / "bench" / "make_catalog.py"),
                    str(seed_songs),
                    "--out",
                    str(seed_file),
                ],
                check=True,
            )
    checkpoint(args.database_url)
    seconds, peak, together, output = measure([sys.executable, "-c", SEED_APPROACH, str(seed_file)], env)
    count = int(run_sql(args.database_url, "SELECT count(*) FROM catalog_song"))
    seed_rate = seed_songs / seconds
    rows.append(
        (
            "seed: json.load + bulk_create(ignore_conflicts=True)",
            seed_songs,
            seconds,
            seed_rate,
            peak,
            together,
            f"{count} rows",
        )
    )
    print(f"seed approach: {seconds:.1f} s, {seed_rate:,.0f} songs/s, peak RSS {peak:,.0f} MB")
    empty_songs(args.database_url)

    print()
    print("| step | songs | seconds | songs/s | peak RSS MB (largest process / all together) | notes |")
    print("|---|---|---|---|---|---|")
    for label, n, seconds, rate, peak, together, notes in rows:
        print(f"| {label} | {n:,} | {seconds:.1f} | {rate:,.0f} | {peak:,.0f} / {together:,.0f} | {notes} |")
    if fresh is not None:
        print(f"\nfresh load_music vs seed: {fresh / seed_rate:.1f}x")
    print(json.dumps({"fresh_songs_per_s": fresh and round(fresh), "seed_songs_per_s": round(seed_rate)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
