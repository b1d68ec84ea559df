"""Run every benchmark in turn, each on a PostgreSQL database and a Redis database of its own.

    python bench/run_all.py [--only load,load_parts,search,search_typos,ratings,ops,analytics]

BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432) and BENCH_REDIS (default
redis://127.0.0.1:6379) say where the servers are; the databases are created when missing.
The benchmarks print their figures; bench/README.md holds the latest ones.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import psycopg

BENCH_DIR = Path(__file__).resolve().parent
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432").rstrip("/")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379").rstrip("/")

# name -> (script, database, redis db number)
BENCHMARKS = {
    "load": ("load.py", "md_loader_bench", 3),
    "load_parts": ("load_parts.py", "md_loader_parts", 7),
    "search": ("search.py", "md_search_bench", 4),
    "search_typos": ("search_typos.py", "md_search_typos", 8),
    "ratings": ("ratings.py", "md_ratings_bench", 5),
    "ops": ("ops.py", "md_ops_bench", 2),
    "analytics": ("analytics.py", "md_analytics_bench", 6),
}


def ensure_database(name: str) -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated benchmarks to run")
    args = parser.parse_args()
    failed = []
    for name in args.only.split(","):
        script, database, redis_db = BENCHMARKS[name]
        ensure_database(database)
        env = dict(os.environ)
        env.update(
            DATABASE_URL=f"{POSTGRES}/{database}",
            BENCH_DATABASE_URL=f"{POSTGRES}/{database}",
            REDIS_URL=f"{REDIS}/{redis_db}",
        )
        print(f"\n=== bench/{script} (database {database}, Redis db {redis_db})", flush=True)
        if subprocess.run([sys.executable, str(BENCH_DIR / script)], env=env).returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
