"""What the rollups mark besides counts, recounted after an exclusion: a month's active days
and latest event (UserMonth.days, UserMonth.last_at) and a listener's latest event of a
song (UserSong.last_at).

These markers are those of counted events, as every counter is: an event kept out of its
user's taste is neither counted nor marks a day active. Counters take an exclusion out
exactly, through its negative pending rows; markers cannot (an OR of day bits and a greatest
time do not know which events set them). So once a stage has applied negative rows, the
markers of the keys they touch are recounted from the counted events, as a rebuild counts
them. Including events back needs no recount: their positive rows raise the markers.

Preconditions: the caller holds the stage's lock, in the transaction that applied the rows,
and that stage has applied every pending row of the excluded events. It has: those rows were
committed with their events, before the exclusion could see them, so they have smaller ids,
and each stage applies its rows oldest first (the day stage moves them on in id order).
Exclusions are rare and touch few keys: a few queries per listener, portable.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Max, QuerySet
from django.db.models.functions import TruncDate

from analytics.models import Activity, UserMonth, UserSong, day_bit, month_start
from analytics.services.rollups_merge import COUNTERS
from catalog.selectors.songs import song_list
from users.selectors import user_list

# Songs per query: under SQLite's limit on bound parameters.
_CHUNK = 900


def counted_events() -> QuerySet[Activity]:
    """The events the rollups count: those of songs and users that exist, not kept out of
    their user's taste. Events carry no foreign-key constraints: an orphan left by a deletion
    racing its batch is not counted, as the refresh does not count its pending rows."""
    return Activity.objects.filter(
        song_id__in=song_list().values("id"), user_id__in=user_list().values("id"), excluded=False
    )


def day_start(day: dt.date) -> dt.datetime:
    """The first moment of `day` (UTC), the rollups' days."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=31)).replace(day=1)


def _by_user(keys: Iterable[tuple[int, object]]) -> dict[int, set]:
    grouped: defaultdict[int, set] = defaultdict(set)
    for user_id, value in keys:
        grouped[user_id].add(value)
    return grouped


def user_months_recount(keys: Iterable[tuple[int, dt.date]]) -> None:
    """Sets the active days and latest time of the UserMonth rows `keys` (user, month) from
    their counted events; deletes a row left with no counted event and nothing counted."""
    for user_id, months in _by_user(keys).items():
        events = counted_events().filter(
            user_id=user_id,
            occurred_at__gte=day_start(min(months)),
            occurred_at__lt=day_start(_next_month(max(months))),
        )
        days = events.annotate(day=TruncDate("occurred_at", tzinfo=dt.UTC)).values("day")
        bits: defaultdict[dt.date, int] = defaultdict(int)
        latest: dict[dt.date, dt.datetime] = {}
        for row in days.annotate(last_at=Max("occurred_at")).order_by():
            month = month_start(row["day"])
            bits[month] |= day_bit(row["day"])
            latest[month] = max(latest.get(month, row["last_at"]), row["last_at"])
        changed, emptied = [], []
        for stored in UserMonth.objects.filter(user_id=user_id, month__in=months):
            if stored.month in latest:
                stored.days, stored.last_at = bits[stored.month], latest[stored.month]
                changed.append(stored)
            elif not any(getattr(stored, field) for field in (*COUNTERS, "listen_ms")):
                emptied.append(stored.pk)
        UserMonth.objects.bulk_update(changed, ["days", "last_at"])
        UserMonth.objects.filter(pk__in=emptied).delete()


def user_songs_recount(keys: Iterable[tuple[int, int]]) -> None:
    """Sets the latest time of the UserSong rows `keys` (user, song) to their latest counted
    event's. A row with none kept is deleted when nothing is counted in it (as a rebuild
    writes none: kept, its latest time, an excluded event's, came back with the song's next
    counted event), and left as it is when it counts events retention has dropped."""
    for user_id, songs in _by_user(keys).items():
        song_ids = sorted(songs)
        for start in range(0, len(song_ids), _CHUNK):
            chunk = song_ids[start : start + _CHUNK]
            latest = dict(
                counted_events()
                .filter(user_id=user_id, song_id__in=chunk)
                .values("song_id")
                .annotate(last_at=Max("occurred_at"))
                .values_list("song_id", "last_at")
                .order_by()
            )
            changed, emptied = [], []
            for stored in UserSong.objects.filter(user_id=user_id, song_id__in=chunk):
                if stored.song_id in latest:
                    stored.last_at = latest[stored.song_id]
                    changed.append(stored)
                elif not any(getattr(stored, field) for field in COUNTERS):
                    emptied.append(stored.pk)
            UserSong.objects.bulk_update(changed, ["last_at"])
            UserSong.objects.filter(pk__in=emptied).delete()
