"""Adding pending counts into the rollups, portably (the ORM on any database).

Precondition for everything here: the caller holds the stage's FillState row lock ("rollups"
for the day stage, "user-rollups" for the user stage), inside the transaction that also
deletes the pending rows it passes. Only that lock's holder writes the stage's rollup tables,
so reading a rollup row and writing back its new total cannot race.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Model, Q, QuerySet

from analytics.models import (
    Action,
    PendingRollup,
    PendingUserRollup,
    SongDay,
    SongTotal,
    UserArtist,
    UserGenre,
    UserMonth,
    UserSong,
    day_bit,
    month_start,
)
from analytics.scoring import COUNT_FIELDS, score
from catalog.selectors.credits import song_artist_ids, song_genre_ids
from catalog.selectors.refs import song_refs
from users.selectors import user_ids_existing

COUNTERS = ("plays", "likes", "skips", "shares")
# The rollup counter each action adds to.
FIELD_OF: dict[int, str] = {int(action): COUNT_FIELDS[str(action.label)] for action in Action}
# Parameters per query: well under SQLite's limit on bound variables (999 in old builds);
# elsewhere, enough to keep the statements few.
SQLITE_PARAMS = 900
OTHER_PARAMS = 20_000


def _params() -> int:
    return SQLITE_PARAMS if connection.vendor == "sqlite" else OTHER_PARAMS


# (day, user_id, song_id, action, count, listen_ms, last_at): a pending row as read.
PendingRow = tuple[dt.date, int, int, int, int, int, dt.datetime]
PENDING_COLUMNS = ("day", "user_id", "song_id", "action", "count", "listen_ms", "last_at")
# (user_id, song_id, action, count, last_at): a row of the user stage as read.
UserPendingRow = tuple[int, int, int, int, dt.datetime]
USER_PENDING_COLUMNS = ("user_id", "song_id", "action", "count", "last_at")


@dataclass(slots=True)
class Totals:
    plays: int = 0
    likes: int = 0
    skips: int = 0
    shares: int = 0
    listen_ms: int = 0
    last_at: dt.datetime | None = None
    # UserMonth's active days (`analytics.models.day_bit`).
    days: int = 0

    def add(self, field: str, count: int, listen_ms: int, last_at: dt.datetime, days: int = 0) -> None:
        setattr(self, field, getattr(self, field) + count)
        self.listen_ms += listen_ms
        self.days |= days
        self.last_at = last_at if self.last_at is None else max(self.last_at, last_at)

    def add_totals(self, other: Totals) -> None:
        """Adds another key's counters (a song's, into each of its artists and genres)."""
        for field in COUNTERS:
            setattr(self, field, getattr(self, field) + getattr(other, field))

    def add_stored(self, row: Any) -> None:
        """Adds a stored rollup row's values (the fields it has) to these."""
        for field in COUNTERS:
            setattr(self, field, getattr(self, field) + getattr(row, field))
        self.listen_ms += getattr(row, "listen_ms", 0)
        self.days |= getattr(row, "days", 0)
        stored_last = getattr(row, "last_at", None)
        if stored_last is not None:
            self.last_at = stored_last if self.last_at is None else max(self.last_at, stored_last)


@dataclass(frozen=True)
class Target:
    """A rollup table: its model, its key (attribute names, then field names: one or two),
    the columns besides the counters, and whether it stores the counters' score."""

    model: type[Model]
    key: tuple[str, ...]
    key_fields: tuple[str, ...]
    extra: tuple[str, ...]
    scored: bool = False


SONG_DAY = Target(SongDay, ("day", "song_id"), ("day", "song"), ())
SONG_TOTAL = Target(SongTotal, ("song_id",), ("song",), ())
USER_MONTH = Target(UserMonth, ("user_id", "month"), ("user", "month"), ("days", "listen_ms", "last_at"))
USER_SONG = Target(UserSong, ("user_id", "song_id"), ("user", "song"), ("last_at",), scored=True)
USER_ARTIST = Target(UserArtist, ("user_id", "artist_id"), ("user", "artist"), (), scored=True)
USER_GENRE = Target(UserGenre, ("user_id", "genre_id"), ("user", "genre"), (), scored=True)


def pending_read(
    model: type[PendingRollup] | type[PendingUserRollup], *, cap: int | None, before: dt.date | None = None
) -> list[tuple[int, Any]]:
    """Up to `cap` rows of a stage's pending table, oldest first (for the day stage, those of
    days before `before` only, if given), with their ids: one statement, so the rows read are
    exactly the rows then committed."""
    rows: QuerySet = model.objects.order_by("id")
    if before is not None:
        rows = PendingRollup.objects.filter(day__lt=before).order_by("id")
    columns = PENDING_COLUMNS if model is PendingRollup else USER_PENDING_COLUMNS
    picked = rows.values_list("id", *columns)
    return [(row[0], row[1:]) for row in (picked if cap is None else picked[:cap])]


def of_existing(rows: list[Any], *, user_at: int, song_at: int) -> list[Any]:
    """The rows whose song (column `song_at`) and user (`user_at`) still exist. Pending rows
    carry no foreign-key constraints: those of a song or user deleted since are consumed
    without being counted."""
    songs = {ref.id for ref in song_refs(ids={row[song_at] for row in rows})}
    users = user_ids_existing(ids={row[user_at] for row in rows})
    return [row for row in rows if row[song_at] in songs and row[user_at] in users]


def pending_delete(model: type[PendingRollup] | type[PendingUserRollup], ids: Sequence[int]) -> None:
    """Deletes exactly the pending rows `ids` (never a range: a row with a smaller id may
    have committed after they were read, and must stay for the next run)."""
    step = _params()
    for start in range(0, len(ids), step):
        # Nothing references a pending row: Django deletes them in one statement.
        model.objects.filter(id__in=ids[start : start + step]).delete()


def rollups_add(rows: Iterable[PendingRow]) -> None:
    """Adds the pending `rows`' counts into SongDay and UserMonth, and moves them on to the
    user stage (PendingUserRollup)."""
    song_days: defaultdict[tuple, Totals] = defaultdict(Totals)
    user_months: defaultdict[tuple, Totals] = defaultdict(Totals)
    onward = []
    for day, user_id, song_id, action, count, listen_ms, last_at in rows:
        field = FIELD_OF[action]
        song_days[(day, song_id)].add(field, count, 0, last_at)
        user_months[(user_id, month_start(day))].add(field, count, listen_ms, last_at, day_bit(day))
        onward.append(
            PendingUserRollup(user_id=user_id, song_id=song_id, action=action, count=count, last_at=last_at)
        )
    merge(SONG_DAY, song_days)
    merge(USER_MONTH, user_months)
    PendingUserRollup.objects.bulk_create(onward)


def user_rollups_add(rows: Iterable[UserPendingRow]) -> None:
    """Adds the user stage's `rows` into SongTotal and UserSong, and through the songs'
    credits and genres into UserArtist and UserGenre."""
    user_songs: defaultdict[tuple, Totals] = defaultdict(Totals)
    song_totals: defaultdict[tuple, Totals] = defaultdict(Totals)
    for user_id, song_id, action, count, last_at in rows:
        user_songs[(user_id, song_id)].add(FIELD_OF[action], count, 0, last_at)
        song_totals[(song_id,)].add(FIELD_OF[action], count, 0, last_at)
    # From the new counts only: merging UserSong adds its stored totals into `user_songs`.
    user_artists, user_genres = user_tops(user_songs)
    for target, totals in (
        (SONG_TOTAL, song_totals),
        (USER_SONG, user_songs),
        (USER_ARTIST, user_artists),
        (USER_GENRE, user_genres),
    ):
        merge(target, totals)


def user_tops(user_songs: dict[tuple, Totals]) -> tuple[dict[tuple, Totals], dict[tuple, Totals]]:
    """Per (user, artist) and (user, genre), the sums of the (user, song) counters of
    `user_songs` over the songs crediting that artist or of that genre."""
    songs = list({song_id for _, song_id in user_songs})
    artists_of: dict[int, list[int]] = {}
    genres_of: dict[int, list[int]] = {}
    step = _params()
    for start in range(0, len(songs), step):
        chunk = songs[start : start + step]
        artists_of |= song_artist_ids(ids=chunk)
        genres_of |= song_genre_ids(ids=chunk)
    user_artists: defaultdict[tuple, Totals] = defaultdict(Totals)
    user_genres: defaultdict[tuple, Totals] = defaultdict(Totals)
    for (user_id, song_id), totals in user_songs.items():
        for artist_id in artists_of.get(song_id, ()):
            user_artists[(user_id, artist_id)].add_totals(totals)
        for genre_id in genres_of.get(song_id, ()):
            user_genres[(user_id, genre_id)].add_totals(totals)
    return user_artists, user_genres


def merge(target: Target, totals: dict[tuple, Totals]) -> None:
    """Adds `totals` into `target`'s stored rows (new rows for keys it has not)."""
    for key, stored in _stored(target, list(totals)).items():
        totals[key].add_stored(stored)
    fields = COUNTERS + target.extra + (("score",) if target.scored else ())
    rows = []
    for key, total in totals.items():
        values = {field: getattr(total, field) for field in COUNTERS + target.extra}
        if target.scored:
            values["score"] = score(**{field: values[field] for field in COUNTERS})
        rows.append(target.model(**dict(zip(target.key, key, strict=True)), **values))
    # Django sizes the INSERTs to the database's limit on parameters.
    target.model._default_manager.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=list(target.key_fields),
        update_fields=list(fields),
    )


def _stored(target: Target, keys: list[tuple]) -> dict[tuple, Model]:
    """The stored rows of `keys`, a bounded number of parameters per query: the keys grouped
    by their leading part (nothing, for a one-column key), each group one `IN` on the last."""
    *leading, last = target.key
    groups: defaultdict[tuple, list] = defaultdict(list)
    for *lead, value in keys:
        groups[tuple(lead)].append(value)
    found: dict[tuple, Model] = {}
    for chunk in _chunks(groups, _params()):
        condition = Q()
        for lead, values in chunk:
            condition |= Q(**dict(zip(leading, lead, strict=True)), **{f"{last}__in": values})
        for row in target.model._default_manager.filter(condition):
            found[tuple(getattr(row, field) for field in target.key)] = row
    return found


def _chunks(groups: dict[Any, list], limit: int) -> Iterable[list[tuple[Any, list]]]:
    chunk: list[tuple[Any, list]] = []
    size = 0
    for a, bs in groups.items():
        for start in range(0, len(bs), limit):
            part = bs[start : start + limit]
            if size + len(part) + 1 > limit and chunk:
                yield chunk
                chunk, size = [], 0
            chunk.append((a, part))
            size += len(part) + 1
    if chunk:
        yield chunk
