"""Listening events and the rollups every analytics read is served from.

Events (`Activity`) are the record; nothing reads them wholesale. On PostgreSQL the table is
partitioned by month of `occurred_at` (created by migration 0001's own DDL, see
`analytics.partitions`), a plain table elsewhere; the model is the same on both.

Why the model keeps a single-column primary key: on PostgreSQL the table's real key is
(id, occurred_at), because a partitioned table's unique keys must include the partition key.
`id` comes from one identity sequence, so it is unique on its own and Django (the admin, the
ORM's deletes) can keep treating it as the key; nothing references an event by foreign key.

No table here has foreign-key constraints in the database: ingest checks the song and the
user in the request, the rollup job adds only rows of existing songs and users, and checking
every one of billions of rows again costs a third of a write (bench/README.md, "Analytics").
Django still cascades deletes; a song or user deleted while a batch naming it commits can
leave orphan rows, which every read joins away. A user's counts in the per-song rollups
(SongDay, SongTotal), which no cascade reaches, are taken out by the deletion itself
(`services.account_deletion`).

Why the rollup tables' real key on PostgreSQL is their unique key, not `id` (migration
0005): a refresh upserts ~100k rows, and each B-tree a row goes into is most of its cost; the
surrogate `id` key was one more per row, read by nothing. Django keeps `id` as the model's
key (an identity column, unique by itself) as for events. The per-user all-time tables
(migration 0006) lead their key with the user: a refresh's pending rows come a listener's
batch at a time, so the rows they touch lie in a few leaves per listener, where a key led by
the song, artist or genre scatters them over the whole index, which outgrows the cache as
histories grow (bench/README.md, "Analytics"). The price: deleting a song, an artist or a
genre (its rows cascade, through Django) scans these tables; the catalog deletes only
through the admin.

Why the per-user `event_id` dedupe lives in its own table (`ActivityKey`): a unique index on
the partitioned table would have to include `occurred_at`, and a client retrying a batch
without `occurred_at` gets a new server time on each try, so (user, event_id, occurred_at)
would not catch the retry. `ActivityKey` is small (user, event_id), unpartitioned, and written
in the same transaction as the events, so a key is stored exactly when its event is.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone


class Action(models.IntegerChoices):
    """What a listener did. Stored as a small integer: the table grows to billions of rows."""

    PLAY = 1, "play"
    LIKE = 2, "like"
    SKIP = 3, "skip"
    SHARE = 4, "share"


# The API's words for actions, both ways; the one vocabulary.
ACTION_BY_NAME: dict[str, Action] = {str(a.label): a for a in Action}
ACTION_NAMES: tuple[str, ...] = tuple(ACTION_BY_NAME)


def _user_key() -> models.ForeignKey:
    """A reference to a user without a database constraint (see the module's docstring),
    indexed by whatever key of its table leads with it."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )


def _song_key(*, db_index: bool = True) -> models.ForeignKey:
    """A reference to a song without a database constraint (see the module's docstring)."""
    return models.ForeignKey(
        "catalog.Song", on_delete=models.CASCADE, related_name="+", db_index=db_index, db_constraint=False
    )


class Activity(models.Model):
    id = models.BigAutoField(primary_key=True)
    # Indexed by activity_user_time below, which leads with it.
    user = _user_key()
    # Indexed: deleting a song (its events cascade) must not scan every event.
    song = _song_key()
    action = models.PositiveSmallIntegerField(choices=Action.choices)
    # The client's time of the event; the partition key on PostgreSQL.
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    context = models.JSONField(default=dict, blank=True)
    event_id = models.CharField(max_length=64, null=True, blank=True)
    # "Keep out of my taste" (a child's music, a shared account, a party): the event stays in
    # the user's history and export, but no rollup counts it, so no statistic, trend or
    # model sees it (`analytics.services.exclusions`). A database default too: bulk paths
    # that COPY events without the column store them as counted.
    excluded = models.BooleanField(default=False, db_default=False)
    # A play's listening time as the rollups counted it: the song's duration when the event
    # came in. An exclusion and a rebuild take back or recount this figure, not the song's
    # duration of the day, which a re-load may have changed (listening time then drifted, even
    # below zero). Null for other actions, and for plays stored before the column (counted
    # with the song's duration of the day, as they were before).
    duration_ms = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "activities"
        indexes = [
            # A user's history, newest first: statistics' recent activity, export.
            models.Index(fields=["user", "-occurred_at"], name="activity_user_time"),
            # Rebuilding a day's rollups, retention on SQLite.
            models.Index(fields=["occurred_at"], name="activity_time"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.user_id} {self.get_action_display()} {self.song_id} at {self.occurred_at:%Y-%m-%d %H:%M}"
        )


class ActivityKey(models.Model):
    """A client's `event_id`, once per user: a retried batch is stored once."""

    # Indexed by the unique constraint, which leads with it.
    user = _user_key()
    event_id = models.CharField(max_length=64)
    # Lets retention forget keys together with their events.
    occurred_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event_id"], name="activity_key_unique"),
        ]
        indexes = [models.Index(fields=["occurred_at"], name="activity_key_time")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.event_id}"


class PendingRollup(models.Model):
    """Counts written with their events, not yet added to the rollups.

    Ingest writes one row per (day, song, action) of each stored batch, in the batch's own
    transaction; the rollup job removes exactly the rows it read and adds them to the
    rollups in one transaction. So every committed event is counted once, however late its
    `occurred_at` and whatever order the id sequence and the commits came in.
    """

    id = models.BigAutoField(primary_key=True)
    day = models.DateField()
    # No indexes but the key: rows live seconds, read and deleted by id.
    user = _user_key()
    song = _song_key(db_index=False)
    action = models.PositiveSmallIntegerField(choices=Action.choices)
    # Signed: excluding events already counted writes negative rows (and including them back,
    # positive ones), so they leave the rollups through the same exactly-once path.
    count = models.IntegerField()
    # Sum of the played songs' durations: listening time.
    listen_ms = models.BigIntegerField(default=0)
    # The newest event of the row, for a user's "last played" and the trend windows.
    last_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.day} {self.user_id} {self.get_action_display()} {self.song_id} x{self.count}"


class PendingUserRollup(models.Model):
    """Counts already added to the day rollups, not yet to the per-user all-time ones
    (UserSong, UserArtist, UserGenre) and the per-song all-time one (SongTotal).

    The day refresh moves each pending row here in the statement that adds it to SongDay and
    UserMonth; the user refresh, on a longer period, removes these rows and adds them to the
    all-time tables, a listener's rows together. Why two stages: each listener's all-time
    rows lie in leaves of their own in every per-user index, so applying them costs per
    listener more than per event. A refresh every few seconds of events from many listeners,
    a few each, wrote nearly every leaf of those indexes every time; gathered over a longer
    period, each leaf is written once for all of its listeners' events (bench/README.md,
    "Analytics", two stages). Nothing is lost or counted twice between the stages: each move
    is one statement, and readers that need every count (`selectors.signals`) add these rows.
    """

    id = models.BigAutoField(primary_key=True)
    # Indexed by pending_user_rollup_user below: a recommendation for one listener reads
    # their rows (`selectors.signals`), and the table holds up to a user stage's period of
    # everyone's events. Otherwise rows live minutes, read and deleted by id.
    user = _user_key()
    song = _song_key(db_index=False)
    action = models.PositiveSmallIntegerField(choices=Action.choices)
    # Signed, as PendingRollup's.
    count = models.IntegerField()
    last_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user"], name="pending_user_rollup_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.get_action_display()} {self.song_id} x{self.count}"


class ActionCounts(models.Model):
    """The per-action counters every rollup row carries.

    Signed, though never negative once a run commits: a run adds an exclusion's negative
    pending counts with INSERT ... ON CONFLICT DO UPDATE, and PostgreSQL checks the row it
    would insert against CHECK constraints before it finds the conflict."""

    plays = models.IntegerField(default=0)
    likes = models.IntegerField(default=0)
    skips = models.IntegerField(default=0)
    shares = models.IntegerField(default=0)

    class Meta:
        abstract = True


class SongDay(ActionCounts):
    """Per day and song: trends (songs, and through credits and genres, artists and genres)."""

    day = models.DateField()
    song = _song_key()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "song"], name="song_day_unique")]

    def __str__(self) -> str:
        return f"{self.day} song {self.song_id}"


class SongTotal(ActionCounts):
    """Per song, all time: the `all` window of trends, which would otherwise sum every day
    row of history (bench/README.md, "Analytics", trends of all time). Added by the user
    stage of the rollup job, from the same rows as UserSong, so it trails SongDay by that
    stage's period; a rebuild sets it to the sums of SongDay."""

    song = _song_key(db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["song"], name="song_total_unique")]

    def __str__(self) -> str:
        return f"song {self.song_id}"


class UserMonth(ActionCounts):
    """Per month and user: a user's totals, listening time and active days (their streak);
    platform totals and active users.

    A month, not a day: the day stage upserts one row per listener it saw, and a listener's
    statistics read all of their rows. Per day there was a row per active day, a table many
    times the listeners that outgrew the cache, where each upsert and each read touched pages
    of its own; per month, a listener has a few rows a year, and a statistics read takes a few
    rows (bench/README.md, "A listener's months")."""

    # The first day of the month (UTC).
    month = models.DateField()
    # Indexed by the unique constraint, which leads with it.
    user = _user_key()
    # The month's active days: bit d - 1 for day d (1..31), days with counted events (an
    # exclusion that takes a day's last ones out clears it: `services.rollups_markers`).
    days = models.IntegerField(default=0)
    listen_ms = models.BigIntegerField(default=0)
    # The newest counted event of the month: exactly who was active in the last 24 hours or 7 days.
    last_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "month"], name="user_month_unique")]
        indexes = [models.Index(fields=["month"], name="user_month_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} user {self.user_id}"


def month_start(day: dt.date) -> dt.date:
    """The first day of `day`'s month: UserMonth's key."""
    return day.replace(day=1)


def day_bit(day: dt.date) -> int:
    """`day`'s bit in UserMonth.days."""
    return 1 << (day.day - 1)


def days_of(month: dt.date, days: int) -> list[dt.date]:
    """The active days a UserMonth row's `days` holds, newest first."""
    return [month.replace(day=d) for d in range(31, 0, -1) if days >> (d - 1) & 1]


class Scored(ActionCounts):
    """Counters with their weighted score (`analytics.scoring.score`), stored so that a
    user's best rows are the first of an index on (user, -score): a read takes the top rows
    only, however long the history. Every writer (both refresh paths, the rebuild) sets it
    with the counters."""

    score = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class UserSong(Scored):
    """Per user and song, all time: a user's top songs."""

    # Indexed by the unique key, which leads with it.
    user = _user_key()
    # Not indexed (see the module's docstring): a deleted song's rows are found by a scan.
    song = _song_key(db_index=False)
    # The newest counted event (recounted after an exclusion: `services.rollups_markers`).
    last_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "song"], name="user_song_unique")]
        indexes = [models.Index(fields=["user", "-score"], name="user_song_top")]

    def __str__(self) -> str:
        return f"user {self.user_id} song {self.song_id}"


class UserArtist(Scored):
    """Per user and artist, all time: the counts of the user's events on every song that
    credits the artist (at any position), added by the refresh from the same pending rows as
    UserSong: a user's top artists without grouping all of their songs' credits per read.
    Credits as they were when the events were applied; a rebuild counts today's."""

    # Indexed by the unique key, which leads with it.
    user = _user_key()
    # Not indexed (see the module's docstring): a deleted artist's rows are found by a scan.
    artist = models.ForeignKey(
        "catalog.Artist", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "artist"], name="user_artist_unique")]
        indexes = [models.Index(fields=["user", "-score"], name="user_artist_top")]

    def __str__(self) -> str:
        return f"user {self.user_id} artist {self.artist_id}"


class UserGenre(Scored):
    """Per user and genre, all time: as UserArtist, for the genres of the user's songs."""

    # Indexed by the unique key, which leads with it.
    user = _user_key()
    # Not indexed (see the module's docstring): a deleted genre's rows are found by a scan.
    genre = models.ForeignKey(
        "catalog.Genre", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "genre"], name="user_genre_unique")]
        indexes = [models.Index(fields=["user", "-score"], name="user_genre_top")]

    def __str__(self) -> str:
        return f"user {self.user_id} genre {self.genre_id}"


class FillState(models.Model):
    """How far a rollup job got (after Zulip's analytics.FillState): one row per job."""

    name = models.CharField(max_length=40, unique=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    # Pending rows applied by the last run, and in all.
    last_applied = models.BigIntegerField(default=0)
    total_applied = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
