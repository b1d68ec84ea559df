"""PostgreSQL's way of applying pending counts: one statement instead of rows through Python.

Kept because it makes a refresh several times cheaper (bench/README.md, "Analytics", rollup
refresh paths); `rollups_merge` does the same portably. One statement means one snapshot:
each stage's DELETE ... RETURNING takes exactly the rows its upserts add (and, for the day
stage, its INSERT moves on to the user stage, in id order: `rollups_markers` relies on it),
so a pending row committed meanwhile is neither counted nor deleted, and waits for the next
run.

Precondition: the caller holds the stage's FillState row lock ("rollups" for the day stage,
"user-rollups" for the user stage; only its holder writes that stage's rollup tables),
inside the transaction that records the run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection

from analytics.models import Action
from analytics.scoring import score_sql
from analytics.services.rollups_merge import FIELD_OF

_SUMS = ", ".join(
    f"coalesce(sum(count) FILTER (WHERE action = {int(action)}), 0) AS {FIELD_OF[int(action)]}"
    for action in Action
)
_COUNTERS = [FIELD_OF[int(action)] for action in Action]
_ADD = ", ".join(f"{field} = t.{field} + excluded.{field}" for field in _COUNTERS)
_COLUMNS = ", ".join(_COUNTERS)
# The score of the summed counts; a stored score adds the new rows' score, as the counters
# add their counts (a weighted sum of sums).
_SCORE = score_sql(
    {str(action.label): f"coalesce(sum(count) FILTER (WHERE action = {int(action)}), 0)" for action in Action}
)
# The counts of the user's songs, added into each artist credited on them and each genre of
# them (UserArtist, UserGenre).
_TOPS = """
), user_{kind}s AS (
    INSERT INTO analytics_user{kind} AS t (user_id, {kind}_id, {columns}, score)
    SELECT kept.user_id, x.{kind}_id, {sums}, {score}
    FROM kept JOIN {through} x ON x.song_id = kept.song_id
    GROUP BY kept.user_id, x.{kind}_id ORDER BY kept.user_id, x.{kind}_id
    ON CONFLICT (user_id, {kind}_id) DO UPDATE SET {add}, score = t.score + excluded.score"""
_USER_TOPS = "".join(
    _TOPS.format(kind=kind, through=through, columns=_COLUMNS, sums=_SUMS, score=_SCORE, add=_ADD)
    for kind, through in (("artist", "catalog_songartist"), ("genre", "catalog_song_genres"))
)

# Pending rows carry no foreign-key constraints: those of a song or user deleted since are
# consumed without being counted.
_KEPT = """kept AS (
    SELECT * FROM picked
    WHERE EXISTS (SELECT 1 FROM catalog_song s WHERE s.id = picked.song_id)
      AND EXISTS (SELECT 1 FROM users_user u WHERE u.id = picked.user_id)
)"""

# The keys of the negative rows (an exclusion's, whose markers are then recounted), as two
# arrays aggregated over the same rows in the same order (NULL for none).
_TAKEN_BACK = """n.users, n.keys
FROM (SELECT array_agg(user_id) AS users, array_agg({key}) AS keys FROM kept WHERE count < 0) AS n"""

# The day refresh: pending rows into SongDay and UserMonth, and on to the user stage. A
# month's active days are bits (`analytics.models.day_bit`).
DAYS_SQL = f"""
WITH picked AS (
    DELETE FROM analytics_pendingrollup WHERE {{where}}
    RETURNING id, day, user_id, song_id, action, count, listen_ms, last_at
), {_KEPT}, song_days AS (
    INSERT INTO analytics_songday AS t (day, song_id, {_COLUMNS})
    SELECT day, song_id, {_SUMS} FROM kept GROUP BY day, song_id ORDER BY day, song_id
    ON CONFLICT (day, song_id) DO UPDATE SET {_ADD}
), user_months AS (
    INSERT INTO analytics_usermonth AS t (user_id, month, {_COLUMNS}, days, listen_ms, last_at)
    SELECT user_id, date_trunc('month', day)::date, {_SUMS},
        bit_or(1 << (extract(day FROM day)::int - 1)), sum(listen_ms), max(last_at)
    FROM kept GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (user_id, month) DO UPDATE SET {_ADD}, days = t.days | excluded.days,
        listen_ms = t.listen_ms + excluded.listen_ms, last_at = greatest(t.last_at, excluded.last_at)
), moved AS (
    INSERT INTO analytics_pendinguserrollup (user_id, song_id, action, count, last_at)
    SELECT user_id, song_id, action, count, last_at FROM kept ORDER BY id
)
SELECT (SELECT count(*) FROM picked), {_TAKEN_BACK.format(key="day")}
"""

# The user refresh: the user stage's rows into SongTotal, UserSong, UserArtist and
# UserGenre, each table's rows in its key's order (a listener's together).
USERS_SQL = f"""
WITH picked AS (
    DELETE FROM analytics_pendinguserrollup WHERE {{where}}
    RETURNING id, user_id, song_id, action, count, last_at
), {_KEPT}, song_totals AS (
    INSERT INTO analytics_songtotal AS t (song_id, {_COLUMNS})
    SELECT song_id, {_SUMS} FROM kept GROUP BY song_id ORDER BY song_id
    ON CONFLICT (song_id) DO UPDATE SET {_ADD}
), user_songs AS (
    INSERT INTO analytics_usersong AS t (user_id, song_id, {_COLUMNS}, last_at, score)
    SELECT user_id, song_id, {_SUMS}, max(last_at), {_SCORE} FROM kept
    GROUP BY user_id, song_id ORDER BY user_id, song_id
    ON CONFLICT (user_id, song_id) DO UPDATE SET {_ADD}, last_at = greatest(t.last_at, excluded.last_at),
        score = t.score + excluded.score{_USER_TOPS}
)
SELECT (SELECT count(*) FROM picked), {_TAKEN_BACK.format(key="song_id")}
"""


# The first `cap` pending rows are those up to the cap-th id. A range, not a list of ids:
# the statement's snapshot fixes which rows it sees, so a row of a smaller id committed
# meanwhile is neither deleted nor counted.
CAPPED = (
    "id <= coalesce((SELECT id FROM {table} ORDER BY id OFFSET %(cap)s - 1 LIMIT 1), 9223372036854775807)"
)


@dataclass(frozen=True)
class Applied:
    """How many pending rows a statement moved, and the keys of its negative rows (an
    exclusion's): (user, day) for the day stage, (user, song) for the user stage."""

    rows: int
    taken_back: list[tuple[int, Any]]


def _run(sql: str, params: dict) -> Applied:
    with connection.cursor() as cursor:
        # For this transaction only: JIT compiling the statement anew costs more than it
        # saves on 100k rows, and its GROUP BYs spill to disk at the default work_mem
        # (bench/README.md, "Analytics").
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        rows, users, keys = cursor.fetchone()
        return Applied(int(rows), list(zip(users or (), keys or (), strict=True)))


def pending_apply_postgres(*, cap: int | None, before: dt.date | None = None) -> Applied:
    """Moves up to `cap` pending rows (all if None; only days before `before` if given) into
    the day rollups and the user stage, in id order."""
    if before is not None:
        assert cap is None, "a rebuild applies every pending row of the earlier days"
        where = "day < %(before)s"
    else:
        where = "true" if cap is None else CAPPED.format(table="analytics_pendingrollup")
    return _run(DAYS_SQL.format(where=where), {"cap": cap, "before": before})


def user_pending_apply_postgres(*, cap: int | None) -> Applied:
    """Moves up to `cap` rows of the user stage (all if None) into the per-user all-time
    rollups."""
    where = "true" if cap is None else CAPPED.format(table="analytics_pendinguserrollup")
    return _run(USERS_SQL.format(where=where), {"cap": cap})
