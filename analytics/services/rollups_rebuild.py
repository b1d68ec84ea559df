"""Rebuilding the rollups from the events, for repair: whole day buckets from a day on.

In one transaction holding both stages' FillState locks (no refresh runs meanwhile) and, on
PostgreSQL, an EXCLUSIVE lock on the pending table (ingest's batches wait at their pending
write until the rebuild commits; reads go on), so the events the rebuild reads and the
pending rows it removes are the same committed batches:
1. pending rows of days before `since` are applied as a refresh would (their days are not
   rebuilt, but their users' UserSong rows may be), then every row of the user stage (those
   of rebuilt users are then replaced with the rest of their rows);
2. pending rows of days from `since` on are deleted: the events behind them are read below;
3. SongDay from `since` on, and UserMonth from `since`'s month on, are replaced by counts
   of the events (whole months: retention drops events a month at a time);
4. UserSong is all time: it is replaced, from all the events still kept, for every user
   with events or month rows from `since`'s month on; so are those users' UserArtist and UserGenre,
   from their new UserSong rows and the songs' credits and genres of today;
5. SongTotal becomes the sums of SongDay, which with both stages drained count the same
   events.
Without `since`, the rebuild starts at the oldest event kept, so days whose events retention
dropped keep their rollups; UserSong then counts the kept events only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate

from analytics.models import (
    Action,
    Activity,
    PendingRollup,
    SongDay,
    SongTotal,
    UserArtist,
    UserGenre,
    UserMonth,
    UserSong,
    day_bit,
    month_start,
)
from analytics.scoring import score
from analytics.services.rollups import (
    USER_FILL_STATE,
    fill_state_lock,
    fill_state_record,
    pending_apply,
    user_pending_apply,
)
from analytics.services.rollups_markers import counted_events, day_start
from analytics.services.rollups_merge import (
    COUNTERS,
    FIELD_OF,
    USER_ARTIST,
    USER_GENRE,
    Totals,
    merge,
    user_tops,
)

# Rows written per INSERT, and users whose UserSong rows are rebuilt per query.
CHUNK = 2000


@dataclass(frozen=True)
class Rebuilt:
    since: dt.date | None
    applied: int
    song_days: int
    user_months: int
    user_songs: int


def _counters() -> dict[str, Count]:
    return {FIELD_OF[int(a)]: Count("id", filter=Q(action=a)) for a in Action}


def rollups_rebuild(*, since: dt.date | None = None) -> Rebuilt:
    """Replaces the rollups of days from `since` on (from the oldest event if None) with
    counts of the events, and the UserSong rows of the users concerned."""
    with transaction.atomic():
        state = fill_state_lock(wait=True)
        user_state = fill_state_lock(wait=True, name=USER_FILL_STATE)
        assert state is not None and user_state is not None  # waited for them
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE analytics_pendingrollup IN EXCLUSIVE MODE")
        if since is None:
            oldest = Activity.objects.aggregate(oldest=Min("occurred_at"))["oldest"]
            since = oldest.astimezone(dt.UTC).date() if oldest is not None else None
        if since is None:  # no events at all: only the pending counts to apply
            applied = pending_apply(cap=None)
            fill_state_record(state, applied=applied)
            fill_state_record(user_state, applied=user_pending_apply(cap=None))
            return Rebuilt(None, applied, 0, 0, 0)
        applied = pending_apply(cap=None, before=since)
        fill_state_record(user_state, applied=user_pending_apply(cap=None))
        PendingRollup.objects.filter(day__gte=since).delete()
        users = _users_from(since)
        SongDay.objects.filter(day__gte=since).delete()
        UserMonth.objects.filter(month__gte=month_start(since)).delete()
        song_days = _insert(SongDay, _song_days(since))
        user_months = _insert(UserMonth, _user_months(month_start(since)))
        user_songs = 0
        for start in range(0, len(users), CHUNK):
            user_songs += _user_all_time(users[start : start + CHUNK])
        _song_totals()
        fill_state_record(state, applied=applied)
    return Rebuilt(since, applied, song_days, user_months, user_songs)


def _users_from(since: dt.date) -> list[int]:
    with_events = Activity.objects.filter(occurred_at__gte=day_start(since)).values_list("user_id", flat=True)
    with_days = UserMonth.objects.filter(month__gte=month_start(since)).values_list("user_id", flat=True)
    return sorted(set(with_events.distinct()) | set(with_days.distinct()))


def _by_day(since: dt.date) -> QuerySet[Any, Any]:
    # Typed loosely: the stubs cannot follow the annotated `day` into values().
    events = counted_events().filter(occurred_at__gte=day_start(since))
    return events.annotate(day=TruncDate("occurred_at", tzinfo=dt.UTC))


def _song_days(since: dt.date) -> Iterator[SongDay]:
    rows = _by_day(since).values("day", "song_id").annotate(**_counters()).order_by()
    for row in rows.iterator(chunk_size=CHUNK):
        yield SongDay(**row)


def _user_months(since: dt.date) -> Iterator[UserMonth]:
    """The UserMonth rows of the events from `since` (a month's first day) on: their days'
    counts, added up per month."""
    months: defaultdict[tuple[int, dt.date], Totals] = defaultdict(Totals)
    for row in _user_days(since):
        day, user_id = row.pop("day"), row.pop("user_id")
        months[(user_id, month_start(day))].add_stored(Totals(**row, days=day_bit(day)))
    for (user_id, month), total in months.items():
        yield UserMonth(user_id=user_id, month=month, **asdict(total))


def _user_days(since: dt.date) -> Iterator[dict[str, Any]]:
    # Listening time as ingest counted it: each play's stored duration (the song's, for plays
    # stored before events kept one).
    rows = (
        _by_day(since)
        .values("day", "user_id")
        .annotate(
            **_counters(),
            listen_ms=Sum(
                Coalesce("duration_ms", "song__duration_ms"), filter=Q(action=Action.PLAY), default=0
            ),
            last_at=Max("occurred_at"),
        )
        .order_by()
    )
    yield from rows.iterator(chunk_size=CHUNK)


def _user_all_time(users: list[int]) -> int:
    """Replaces the UserSong, UserArtist and UserGenre rows of `users`; returns the UserSong
    rows written."""
    for model in (UserSong, UserArtist, UserGenre):
        model.objects.filter(user_id__in=users).delete()
    songs = list(_user_songs(users))
    written = _insert(UserSong, songs)
    totals = {
        (row.user_id, row.song_id): Totals(**{field: getattr(row, field) for field in COUNTERS})
        for row in songs
    }
    user_artists, user_genres = user_tops(totals)
    merge(USER_ARTIST, user_artists)
    merge(USER_GENRE, user_genres)
    return written


def _user_songs(users: list[int]) -> Iterator[UserSong]:
    rows = (
        counted_events()
        .filter(user_id__in=users)
        .values("user_id", "song_id")
        .annotate(**_counters(), last_at=Max("occurred_at"))
        .order_by()
    )
    for row in rows.iterator(chunk_size=CHUNK):
        song = UserSong(**row)
        song.score = score(plays=song.plays, likes=song.likes, skips=song.skips, shares=song.shares)
        yield song


def _song_totals() -> None:
    SongTotal.objects.all().delete()
    sums = SongDay.objects.values("song_id").annotate(**{field: Sum(field) for field in COUNTERS}).order_by()
    _insert(SongTotal, (SongTotal(**row) for row in sums.iterator(chunk_size=CHUNK)))


def _insert(model: type[SongDay] | type[UserMonth] | type[UserSong] | type[SongTotal], rows: Iterable) -> int:
    written = 0
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            written += len(model.objects.bulk_create(batch))
            batch = []
    if batch:
        written += len(model.objects.bulk_create(batch))
    return written
