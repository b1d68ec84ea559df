"""The data of bench/analytics.py: the real catalog, 100k listeners and N listening events
written straight into the events table, then the rollups built from them.

Events are drawn so that the tables take a realistic shape:
- songs by a Zipf-Mandelbrot popularity (weight 1 / (rank + 10) ** 0.9 over a seeded
  shuffle of the catalog: the top song takes ~0.7% of events, the top 100 ~18%), and 30% of
  a listener's events go to one of their 25 favourites among the 5,000 most popular songs
  (people replay songs, which is what a user x song rollup folds);
- listeners by a log-normal activity (sigma 1.3; 15% of accounts never listen): at 10M
  events the heaviest account has ~10k events, the median active one ~60;
- actions 80% plays, 12% skips, 6% likes, 2% shares;
- `occurred_at` uniform over the last --days days up to now (24-hour chunks, each sorted, so
  ids grow with time as they would at ingest), received a second or two later; no
  `event_id` (which marks the events later sent by the benchmark itself) and an empty context.

The rows go in through binary COPY packed with `struct`, one transaction per day, with the
foreign-key triggers off (`session_replication_role = replica`): every user and song id is
drawn from the tables themselves, and the deferred checks would double the load's time and
queue two trigger events per row until commit.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SPOTIFY_CSV = BASE_DIR.parent / "shared" / "data" / "spotify-tracks-114k.csv"
USER_PREFIX = "bench-listener-"
ACTIONS = (1, 2, 3, 4)  # play, like, skip, share: analytics.models.Action
ACTION_CUM_WEIGHTS = (80, 86, 98, 100)  # play 80%, like 6%, skip 12%, share 2%
FAVOURITES = 25
FAVOURITE_SHARE = 0.3
FAVOURITE_POOL = 5_000
INACTIVE_SHARE = 0.15

# Binary COPY: a header, then per row the field count and each field as (length, value);
# the fields are user_id, song_id, action, occurred_at, received_at, context (jsonb: version
# byte + text), event_id (NULL: length -1). Timestamps are microseconds since 2000-01-01 UTC.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)
ROW = struct.Struct(">h iq iq ih iq iq i3s i")
EMPTY_JSONB = b"\x01{}"
PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
COPY_SQL = (
    "COPY analytics_activity (user_id, song_id, action, occurred_at, received_at, context, event_id) "
    "FROM STDIN (FORMAT BINARY)"
)


def database_url() -> str:
    return os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)


def connect(autocommit: bool = True):
    import psycopg

    return psycopg.connect(database_url(), autocommit=autocommit)


# ------------------------------------------------------------------------------------------
# Catalog and users
# ------------------------------------------------------------------------------------------
def load_catalog(keep: bool) -> str:
    """The real catalog, loaded by `manage.py load_music --skip-invalid` (bench/load.py's way)."""
    with connect() as conn:
        songs = conn.execute("SELECT count(*) FROM catalog_song").fetchone()[0]
    if keep and songs:
        return f"catalog kept: {songs:,} songs"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "load_music", str(SPOTIFY_CSV), "--skip-invalid"],
        check=True,
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
    )
    with connect() as conn:
        songs = conn.execute("SELECT count(*) FROM catalog_song").fetchone()[0]
    seconds = time.perf_counter() - started
    return f"catalog: load_music --skip-invalid {SPOTIFY_CSV.name}: {songs:,} songs in {seconds:.1f} s"


def fill_users(count: int) -> str:
    """`count` listeners named bench-listener-N, written by COPY with one password hash
    computed once (hashing 100k passwords would take the hasher's ~100k x 0.1 s)."""
    from django.contrib.auth.hashers import make_password

    with connect() as conn:
        have = conn.execute(
            "SELECT count(*) FROM users_user WHERE username LIKE %s", [USER_PREFIX + "%"]
        ).fetchone()[0]
        if have >= count:
            return f"users kept: {have:,}"
        started = time.perf_counter()
        password = make_password("bench-listener-password")
        joined = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
        with conn.transaction(), conn.cursor() as cursor:
            with cursor.copy(
                "COPY users_user (password, is_superuser, username, username_key, first_name, "
                "last_name, email, email_key, is_staff, is_active, date_joined) FROM STDIN"
            ) as copy:
                for i in range(have, count):
                    # Lower-case ASCII: the name and the email are their own keys
                    # (users.models.username_key, email_key).
                    name, email = f"{USER_PREFIX}{i}", f"{USER_PREFIX}{i}@bench.invalid"
                    copy.write_row((password, False, name, name, "", "", email, email, False, True, joined))
            cursor.execute("ANALYZE users_user")
    return f"users: {count - have:,} added by COPY in {time.perf_counter() - started:.1f} s"


def listener_ids() -> list[int]:
    with connect() as conn:
        rows = conn.execute(
            "SELECT id FROM users_user WHERE username LIKE %s ORDER BY id", [USER_PREFIX + "%"]
        ).fetchall()
    return [row[0] for row in rows]


def song_ids() -> list[int]:
    with connect() as conn:
        return [row[0] for row in conn.execute("SELECT id FROM catalog_song ORDER BY id").fetchall()]


# ------------------------------------------------------------------------------------------
# Events
# ------------------------------------------------------------------------------------------
@dataclass
class Population:
    """Who listens to what, how often: the draws of the generator and of the clients."""

    songs_by_rank: list[int]
    song_cum: list[float]
    users: list[int]
    user_cum: list[float]
    active_users: list[int]

    @classmethod
    def build(cls, users: list[int], songs: list[int], seed: int) -> Population:
        rng = random.Random(seed)
        by_rank = songs[:]
        rng.shuffle(by_rank)
        song_cum = list(itertools.accumulate(1 / (rank + 10) ** 0.9 for rank in range(len(by_rank))))
        weights = [0.0 if rng.random() < INACTIVE_SHARE else rng.lognormvariate(0, 1.3) for _ in users]
        return cls(
            songs_by_rank=by_rank,
            song_cum=song_cum,
            users=users,
            user_cum=list(itertools.accumulate(weights)),
            active_users=[u for u, w in zip(users, weights, strict=True) if w > 0],
        )

    def draw(self, rng: random.Random, n: int) -> tuple[list[int], list[int], list[int]]:
        """(users, songs, actions) of n events."""
        users = rng.choices(self.users, cum_weights=self.user_cum, k=n)
        songs = rng.choices(self.songs_by_rank, cum_weights=self.song_cum, k=n)
        pool = min(FAVOURITE_POOL, len(self.songs_by_rank))
        for i in range(n):
            if rng.random() < FAVOURITE_SHARE:
                # One of the user's favourites: a fixed function of (user, k), k < FAVOURITES.
                rank = (users[i] * 2654435761 + rng.randrange(FAVOURITES) * 40503) % pool
                songs[i] = self.songs_by_rank[rank]
        actions = rng.choices(ACTIONS, cum_weights=ACTION_CUM_WEIGHTS, k=n)
        return users, songs, actions


def _micros(moment: dt.datetime) -> int:
    return (moment - PG_EPOCH) // dt.timedelta(microseconds=1)


def _day_rows(population: Population, rng: random.Random, n: int, start: dt.datetime, span_s: float) -> bytes:
    users, songs, actions = population.draw(rng, n)
    base = _micros(start)
    offsets = sorted(int(rng.random() * span_s * 1e6) for _ in range(n))
    pack = ROW.pack
    return b"".join(
        pack(7, 8, u, 8, s, 2, a, 8, base + o, 8, base + o + 1_000_000 + o % 1_000_000, 3, EMPTY_JSONB, -1)
        for u, s, a, o in zip(users, songs, actions, offsets, strict=True)
    )


def ensure_partitions(start: dt.datetime, end: dt.datetime) -> None:
    from analytics.partitions import ensure_months, month_of

    months, month = [], month_of(start)
    while month <= month_of(end):
        months.append(month)
        month = (month[0] + 1, 1) if month[1] == 12 else (month[0], month[1] + 1)
    ensure_months(months)


def generate_events(population: Population, total: int, days: int, seed: int) -> str:
    """`total` events over the last `days` days, one COPY and one transaction per day."""
    now = dt.datetime.now(dt.UTC)
    first = now - dt.timedelta(days=days)
    ensure_partitions(first, now)
    rng = random.Random(seed)
    started = time.perf_counter()
    written = 0
    with connect(autocommit=False) as conn:
        conn.execute("SET session_replication_role = replica")
        for day in range(days):
            n = total // days + (total % days if day == days - 1 else 0)
            data = _day_rows(population, rng, n, first + dt.timedelta(days=day), 86_400)
            with conn.cursor() as cursor, cursor.copy(COPY_SQL) as copy:
                copy.write(COPY_HEADER)
                copy.write(data)
                copy.write(COPY_TRAILER)
            conn.commit()
            written += n
            if day % 10 == 9:
                print(
                    f"  events: {written:,} of {total:,} ({time.perf_counter() - started:.0f} s)", flush=True
                )
    copied = time.perf_counter() - started
    with connect() as conn:
        conn.execute("VACUUM ANALYZE analytics_activity")
    return (
        f"events: {total:,} over {days} days by COPY in {copied:.1f} s ({total / copied:,.0f}/s), "
        f"VACUUM ANALYZE {time.perf_counter() - started - copied:.1f} s"
    )


def pending_from_events() -> str:
    """The pending counts ingest would have written with these events (one row per day, user,
    song and action; listening time the played song's duration), by one INSERT ... SELECT,
    so that the project's own refresh builds the rollups from them."""
    started = time.perf_counter()
    with connect() as conn:
        written = conn.execute(
            """
            INSERT INTO analytics_pendingrollup (day, user_id, song_id, action, count, listen_ms, last_at)
            SELECT (a.occurred_at AT TIME ZONE 'UTC')::date, a.user_id, a.song_id, a.action, count(*),
                   coalesce(sum(s.duration_ms) FILTER (WHERE a.action = 1), 0), max(a.occurred_at)
            FROM analytics_activity a JOIN catalog_song s ON s.id = a.song_id
            GROUP BY 1, 2, 3, 4
            """
        ).rowcount
        conn.execute("ANALYZE analytics_pendingrollup")
    seconds = time.perf_counter() - started
    return f"pending counts: {written:,} rows written from the events in {seconds:.1f} s"


_COUNTS = (
    "count(*) FILTER (WHERE a.action = 1), count(*) FILTER (WHERE a.action = 2), "
    "count(*) FILTER (WHERE a.action = 3), count(*) FILTER (WHERE a.action = 4)"
)
# A user-song's score, the weights being analytics.scoring's (imported once Django is set up).
_SCORE = "{score}"
_CODES = {"play": 1, "like": 2, "skip": 3, "share": 4}
# The same counts, named as the rollups' counters.
_COUNTS_AS = ", ".join(
    f"count(*) FILTER (WHERE a.action = {code}) AS {action}s" for action, code in _CODES.items()
)
# Rows are inserted in the order the refresh job would have written them over the days the
# events span (a table's layout decides how many pages a refresh touches): by the day of a
# key's first event, then in the order each run upserts its rows (rollups_postgres: by the
# table's key, the user first for the per-user ones). (An INSERT ...
# SELECT ... GROUP BY alone writes them in hash order, scattering today's rows and each
# listener's over the whole table: bench/README.md, "Analytics".)
ROLLUPS_SQL = [
    "TRUNCATE analytics_pendingrollup, analytics_pendinguserrollup, analytics_songday, analytics_songtotal, "
    "analytics_usermonth, analytics_usersong, analytics_userartist, analytics_usergenre",
    f"""INSERT INTO analytics_songday (day, song_id, plays, likes, skips, shares)
        SELECT (a.occurred_at AT TIME ZONE 'UTC')::date, a.song_id, {_COUNTS}
        FROM analytics_activity a GROUP BY 1, 2 ORDER BY 1, 2""",
    """INSERT INTO analytics_songtotal (song_id, plays, likes, skips, shares)
        SELECT song_id, sum(plays), sum(likes), sum(skips), sum(shares) FROM analytics_songday
        GROUP BY song_id ORDER BY song_id""",
    f"""INSERT INTO analytics_usermonth
            (month, user_id, plays, likes, skips, shares, days, listen_ms, last_at)
        SELECT date_trunc('month', a.occurred_at AT TIME ZONE 'UTC')::date, a.user_id, {_COUNTS},
               bit_or(1 << (extract(day FROM a.occurred_at AT TIME ZONE 'UTC')::int - 1)),
               coalesce(sum(s.duration_ms) FILTER (WHERE a.action = 1), 0), max(a.occurred_at)
        FROM analytics_activity a JOIN catalog_song s ON s.id = a.song_id GROUP BY 1, 2
        ORDER BY min(a.occurred_at), 2""",
    f"""CREATE TEMPORARY TABLE bench_usersong AS
        SELECT a.user_id, a.song_id, {_COUNTS_AS}, max(a.occurred_at) AS last_at,
               {_SCORE} AS score, min(a.occurred_at AT TIME ZONE 'UTC')::date AS first_day
        FROM analytics_activity a GROUP BY 1, 2""",
    """INSERT INTO analytics_usersong (user_id, song_id, plays, likes, skips, shares, last_at, score)
        SELECT user_id, song_id, plays, likes, skips, shares, last_at, score FROM bench_usersong
        ORDER BY first_day, user_id, song_id""",
    *(
        f"""INSERT INTO analytics_user{kind} (user_id, {kind}_id, plays, likes, skips, shares, score)
            SELECT us.user_id, x.{kind}_id, sum(us.plays), sum(us.likes), sum(us.skips), sum(us.shares),
                   sum(us.score)
            FROM bench_usersong us JOIN {through} x ON x.song_id = us.song_id GROUP BY 1, 2
            ORDER BY min(us.first_day), 1, 2"""
        for kind, through in (("artist", "catalog_songartist"), ("genre", "catalog_song_genres"))
    ),
    "DROP TABLE bench_usersong",
    "VACUUM ANALYZE analytics_songday",
    "VACUUM ANALYZE analytics_songtotal",
    "VACUUM ANALYZE analytics_usermonth",
    "VACUUM ANALYZE analytics_usersong",
    "VACUUM ANALYZE analytics_userartist",
    "VACUUM ANALYZE analytics_usergenre",
]


def rollups_by_sql() -> str:
    """The rollups as the refresh job would leave them after applying every event, computed
    here by one INSERT ... SELECT per table (foreign-key triggers off, as for the events):
    `rollups_rebuild()` goes row by row through the ORM (12 minutes at 1M events here), and
    the refresh job applying 10M events' pending counts would take longer still."""
    started = time.perf_counter()
    from analytics.scoring import score_sql

    score = score_sql(
        {action: f"count(*) FILTER (WHERE a.action = {code})" for action, code in _CODES.items()}
    )
    with connect() as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET work_mem = '256MB'")
        for statement in ROLLUPS_SQL:
            conn.execute(statement.replace(_SCORE, score))
    return f"rollups: built by SQL from the events in {time.perf_counter() - started:.1f} s"


def analyze_analytics() -> str:
    started = time.perf_counter()
    with connect() as conn:
        autovacuum = conn.execute("SHOW autovacuum").fetchone()[0]
        # The whole database: the catalog's credits and genres too (load_music leaves them).
        conn.execute("ANALYZE")
    seconds = time.perf_counter() - started
    return f"ANALYZE (the whole database): {seconds:.1f} s (autovacuum {autovacuum})"


def vacuum_pending() -> str:
    """VACUUM of the two pending tables, as autovacuum would have done: every row they take is
    deleted minutes later, so runs of a kept database leave them mostly dead rows (millions
    after a few runs, on a server whose autovacuum is off), which each stage's DELETE reads."""
    started = time.perf_counter()
    with connect() as conn:
        dead = conn.execute(
            "SELECT sum(n_dead_tup) FROM pg_stat_user_tables WHERE relname LIKE 'analytics_pending%'"
        ).fetchone()[0]
        conn.execute("VACUUM analytics_pendingrollup, analytics_pendinguserrollup")
    return f"VACUUM of the pending tables ({dead or 0:,} dead rows): {time.perf_counter() - started:.1f} s"


def checkpoint() -> str:
    """Writes out what the build dirtied: without it the first measured rounds run during the
    checkpoint that gigabytes of new rows set off, and pay for it."""
    started = time.perf_counter()
    with connect() as conn:
        conn.execute("CHECKPOINT")
    return f"CHECKPOINT after the build: {time.perf_counter() - started:.1f} s"


def generated_events() -> int:
    """Events written by the generator (no event_id; the benchmark's own sends carry one)."""
    with connect() as conn:
        return conn.execute("SELECT count(*) FROM analytics_activity WHERE event_id IS NULL").fetchone()[0]


def rollups_built() -> bool:
    with connect() as conn:
        return conn.execute("SELECT EXISTS (SELECT 1 FROM analytics_songday)").fetchone()[0]


def reset_analytics() -> None:
    """Empty every analytics table (a new data set)."""
    with connect() as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE 'analytics\\_%' "
            "AND tablename NOT LIKE 'analytics\\_activity\\_%'"
        ).fetchall()
        names = ", ".join(name for (name,) in tables)
        conn.execute(f"TRUNCATE {names}")


def heaviest_users(limit: int) -> list[tuple[int, int]]:
    with connect() as conn:
        return conn.execute(
            "SELECT user_id, count(*) FROM analytics_activity GROUP BY user_id ORDER BY 2 DESC LIMIT %s",
            [limit],
        ).fetchall()


def table_sizes() -> str:
    with connect() as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "WHERE c.relname IN ('analytics_songday', 'analytics_usermonth', 'analytics_usersong', "
            "'analytics_userartist', 'analytics_usergenre', "
            "'analytics_pendingrollup', 'analytics_activitykey')"
        ).fetchall()
        events = conn.execute(
            "SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits "
            "WHERE inhparent = 'analytics_activity'::regclass"
        ).fetchone()[0]
    parts = [f"analytics_activity {events / 2**20:,.0f} MB"]
    parts += [f"{name} {size / 2**20:,.0f} MB" for name, size in sorted(rows)]
    return ", ".join(parts)
