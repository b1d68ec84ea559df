"""One user's statistics: totals by action, top songs, artists and genres, recent activity,
listening time, streak and skip rate.

Every read is bounded by the user through an index that leads with them: UserMonth by its
(user, month) key; UserSong, UserArtist and UserGenre by their (user, -score) indexes, of which
a top list reads its first rows only; the events by (user, -occurred_at) for the last RECENT
only. Totals, tops, time and streak come from the rollups, so they trail the events
by the rollup job's lag; recent activity reads the events and is current.

Days are UTC days, as the rollups count them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection
from django.utils import timezone

from analytics.models import Action, Activity, UserArtist, UserGenre, UserMonth, UserSong, days_of
from analytics.scoring import COUNT_FIELDS
from catalog.selectors.credits import song_titles

TOP = 10
RECENT = 20


def user_stats(*, user_id: int, today: dt.date | None = None) -> dict[str, Any]:
    """`user_id`'s statistics, JSON-ready (see the module)."""
    today = today or timezone.now().date()
    with connection.cursor() as cursor:
        # One read of the user's month rows gives the totals, the listening time and the streak.
        months = _fetch(cursor, _MONTHS, user_id)
        top = [
            {
                "id": song_id,
                "score": score,
                **dict(zip(_COUNTS, counts, strict=True)),
                "last_at": _aware(last_at),
            }
            for song_id, score, *counts, last_at in _fetch(cursor, _TOP_SONGS, user_id)
        ]
        recent = [
            {"song": song_id, "action": Action(action).label, "occurred_at": _aware(occurred_at)}
            for song_id, action, occurred_at in _fetch(cursor, _RECENT, user_id)
        ]
        top_artists, top_genres = (_named(_fetch(cursor, sql, user_id)) for sql in _TOP_NAMED)
    totals = {action: sum(row[3 + n] for row in months) for n, action in enumerate(COUNT_FIELDS)}
    plays, skips = totals["play"], totals["skip"]
    # One lookup of titles and credits for both lists.
    titles = song_titles(ids={row["id"] for row in top} | {event["song"] for event in recent})
    for row in top:
        song = titles.get(row["id"])
        row["title"], row["artists"] = (song.title, list(song.artists)) if song else ("", [])
    for event in recent:
        song = titles.get(event["song"])
        event["title"] = song.title if song else ""
    return {
        "user_id": user_id,
        "totals": totals,
        "listening_ms": sum(row[2] for row in months),
        "skip_rate": round(skips / (plays + skips), 4) if plays + skips else None,
        "streak_days": _streak(_active_days(months), today=today),
        "top_songs": top,
        "top_artists": top_artists,
        "top_genres": top_genres,
        "recent": recent,
    }


# The reads in SQL (portable: PostgreSQL and SQLite), not through the ORM, whose building and
# compiling of each query cost more than running it: bench/README.md, "A user's statistics
# in SQL". Each is bounded by the user through an index that leads with them (the module's
# docstring), and takes the user's id as its one parameter.
_COUNTS = list(COUNT_FIELDS.values())
# (month, days, listen_ms, *counts), newest first: a few rows a year.
_MONTHS = (
    f"SELECT month, days, listen_ms, {', '.join(_COUNTS)} FROM {UserMonth._meta.db_table}"
    " WHERE user_id = %s ORDER BY month DESC"
)
_TOP_SONGS = (
    f"SELECT song_id, score, {', '.join(_COUNTS)}, last_at FROM {UserSong._meta.db_table}"
    f" WHERE user_id = %s AND score > 0 ORDER BY score DESC, last_at DESC, song_id LIMIT {TOP}"
)
# The events the rollups count (none kept out of taste), newest first.
_RECENT = (
    f"SELECT song_id, action, occurred_at FROM {Activity._meta.db_table}"
    f" WHERE user_id = %s AND NOT excluded ORDER BY occurred_at DESC, id DESC LIMIT {RECENT}"
)


def _top_named_sql(model: type[UserArtist] | type[UserGenre], key: str) -> str:
    """The user's best artists or genres (`key`), ties by name: the first rows of the
    (user, -score) index, each joined to its name."""
    named = model._meta.get_field(key).related_model._meta.db_table  # type: ignore[union-attr]
    return (
        f"SELECT r.{key}_id, n.name, r.score FROM {model._meta.db_table} r"
        f" JOIN {named} n ON n.id = r.{key}_id WHERE r.user_id = %s AND r.score > 0"
        f" ORDER BY r.score DESC, n.name, r.{key}_id LIMIT {TOP}"
    )


_TOP_NAMED = (_top_named_sql(UserArtist, "artist"), _top_named_sql(UserGenre, "genre"))


def _fetch(cursor: Any, sql: str, user_id: int) -> list[tuple[Any, ...]]:
    cursor.execute(sql, [user_id])
    return cursor.fetchall()


def _named(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [{"id": key_id, "name": name, "score": score} for key_id, name, score in rows]


def _aware(value: dt.datetime) -> dt.datetime:
    """A stored time as the ORM gives it: SQLite's come back naive (in UTC, as stored)."""
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def streak_days(*, user_id: int, today: dt.date) -> int:
    """Consecutive days with any counted activity (any action), ending today or yesterday: a streak
    still counts on a day with no activity yet, and is 0 once a whole day passes without.
    A day "after today" (a client clock a few minutes ahead at midnight) neither starts nor
    breaks it."""
    months = UserMonth.objects.filter(user_id=user_id).order_by("-month").values_list("month", "days")
    return _streak(_active_days(months.iterator()), today=today)


def _active_days(months: Iterable[Sequence[Any]]) -> Iterator[dt.date]:
    """The active days, newest first, of a user's month rows (month, days, ...) given newest
    first; lazily, so a streak stops at its first gap."""
    for month, days, *_ in months:
        yield from days_of(month, days)


def _streak(days: Iterable[dt.date], *, today: dt.date) -> int:
    """The streak (see `streak_days`) of `days`, the user's active days newest first."""
    expected: dt.date | None = None
    streak = 0
    for day in days:
        if day > today:
            continue
        if expected is None:
            if day < today - dt.timedelta(days=1):
                return 0
        elif day != expected:
            return streak
        streak += 1
        expected = day - dt.timedelta(days=1)
    return streak


__all__ = ["user_stats", "streak_days"]
