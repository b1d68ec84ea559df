"""Rating writes, and the song aggregates derived from them.

A rating is stored by one statement and the request returns. A song's `average_rating`,
`total_ratings` and `rating_score` follow in the background, always recomputed from the
ratings table (absolute values, never increments), so a repeated, duplicated or late
recompute is harmless:

1. After commit, the song id is marked dirty in a Redis sorted set. The first mark since the
   last flush started also schedules one `ratings_flush` task a moment later (a SET NX flag),
   so a burst of votes on a hot song costs one recompute, not one per vote.
2. The flush recomputes the dirty songs, a batch per UPDATE ... FROM (SELECT ... GROUP BY),
   and removes an id from the set only if it was not marked again meanwhile. A flush killed
   half way leaves its ids in the set for the next one.
3. `ratings_reconcile` (beat, see RATINGS_RECONCILE_SECONDS in settings) compares every rated
   song with the truth of the ratings table and fixes the ones that disagree: the safety net
   for a mark lost while Redis was down and for a flush lost with its worker.

Without Redis (the embedded default) there is no set to coalesce in: the recompute task is
called with the song id and Celery runs it in-process.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, FloatField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from redis.exceptions import RedisError

from catalog.models import RATING_PRIOR_MEAN, RATING_PRIOR_WEIGHT, Rating, Song
from catalog.selectors.ratings import songs_with_drifted_ratings

logger = logging.getLogger(__name__)

DIRTY_KEY = "md:ratings:dirty"
SEQUENCE_KEY = "md:ratings:seq"
FLUSH_FLAG_KEY = "md:ratings:flush-scheduled"
# The debounce: votes arriving within this window share one flush. Small against the
# "aggregates within a second" promise, large enough to batch a busy second's votes.
FLUSH_COUNTDOWN_SECONDS = 0.2
# A flush whose task was lost (publish failed half way, worker killed) must not block the
# next one for long: after this the next vote schedules a fresh flush.
FLUSH_FLAG_TTL_MS = 5_000
FLUSH_BATCH_SIZE = 500
# One flush drains at most this many batches, then hands over to a fresh task so that a
# worker is never held for long by a continuous stream of votes.
FLUSH_MAX_BATCHES = 20

SONG_NOT_FOUND = "Song {song_id} does not exist."

# Marks ids dirty with a fresh sequence number and tells whether this caller must schedule
# the flush. One round trip, atomic: a flush that deletes the flag and then reads the set
# sees every mark made before the flag was set again.
_MARK_SCRIPT = """
local seq = redis.call('INCR', KEYS[2])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], seq, ARGV[i]) end
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
"""

# Removes ids whose mark is not newer than the one the flush read: an id marked again
# while it was being recomputed stays for the next flush.
_ACK_SCRIPT = """
local removed = 0
for i = 1, #ARGV, 2 do
  local seq = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if seq and tonumber(seq) <= tonumber(ARGV[i + 1]) then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
"""


# ------------------------------------------------------------------------------
# Ratings
# ------------------------------------------------------------------------------
class RaterNotActiveError(Exception):
    """The rating's user does not exist or is deactivated (its token outlived it)."""


def rating_submit(*, user_id: int, song_id: int, score: int) -> tuple[Rating, bool]:
    """Create or replace `user_id`'s rating of `song_id`; returns (rating, created).

    Checks that the user exists and is active (in the upsert statement itself on
    PostgreSQL), so a caller may authenticate from the token alone: raises RaterNotActiveError
    otherwise. Raises ValidationError naming `song` when the song does not exist, including
    when a concurrent transaction deletes it.
    """
    upsert = _upsert_postgresql if connection.vendor == "postgresql" else _upsert_portable
    # The PostgreSQL upsert is one statement, atomic by itself: outside a caller's
    # transaction it runs in autocommit, sparing a vote the BEGIN and COMMIT round trips of
    # an explicit transaction. Inside one, a savepoint keeps a failure from aborting it.
    single_statement = upsert is _upsert_postgresql and not connection.in_atomic_block
    try:
        with contextlib.nullcontext() if single_statement else transaction.atomic():
            rating, created = upsert(user_id=user_id, song_id=song_id, score=score)
    except IntegrityError as exc:
        # Foreign keys are checked at commit: the song or the user vanished between our
        # statement and the commit. Nothing was stored.
        _raise_missing_party(user_id=user_id, song_id=song_id)
        raise ValidationError("The rating could not be stored; please retry.") from exc
    song_ratings_mark_dirty_on_commit(song_ids=[song_id])
    return rating, created


def _raise_missing_party(*, user_id: int, song_id: int) -> None:
    if not get_user_model().objects.filter(pk=user_id, is_active=True).exists():
        raise RaterNotActiveError(user_id)
    if not Song.objects.filter(pk=song_id).exists():
        raise ValidationError({"song": [SONG_NOT_FOUND.format(song_id=song_id)]})


def _upsert_postgresql(*, user_id: int, song_id: int, score: int) -> tuple[Rating, bool]:
    # One statement. Selecting the song and the active user makes a missing one insert
    # nothing (instead of failing at commit), and xmax = 0 holds only for a row this
    # statement inserted.
    sql = f"""
        INSERT INTO catalog_rating (user_id, song_id, score, created_at, updated_at)
        SELECT u.id, s.id, %(score)s, %(now)s, %(now)s
        FROM catalog_song AS s, {get_user_model()._meta.db_table} AS u
        WHERE s.id = %(song_id)s AND u.id = %(user_id)s AND u.is_active
        ON CONFLICT (user_id, song_id) DO UPDATE
            SET score = EXCLUDED.score, updated_at = EXCLUDED.updated_at
        RETURNING id, created_at, updated_at, (xmax = 0) AS created
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"user_id": user_id, "song_id": song_id, "score": score, "now": timezone.now()})
        row = cursor.fetchone()
    if row is None:
        _raise_missing_party(user_id=user_id, song_id=song_id)
        raise ValidationError("The rating could not be stored; please retry.")
    rating_id, created_at, updated_at, created = row
    rating = Rating(
        id=rating_id,
        user_id=user_id,
        song_id=song_id,
        score=score,
        created_at=created_at,
        updated_at=updated_at,
    )
    return rating, created


def _upsert_portable(*, user_id: int, song_id: int, score: int) -> tuple[Rating, bool]:
    # SQLite runs writing transactions one at a time (IMMEDIATE), so a check-then-write
    # cannot race here; the checks are explicit because foreign keys are only verified at
    # the outermost commit.
    _raise_missing_party(user_id=user_id, song_id=song_id)
    return Rating.objects.update_or_create(user_id=user_id, song_id=song_id, defaults={"score": score})


def rating_delete(*, user_id: int, song_id: int) -> bool:
    """Delete `user_id`'s rating of `song_id`; False when there was none."""
    with transaction.atomic():
        deleted, _ = Rating.objects.filter(user_id=user_id, song_id=song_id).delete()
        if deleted:
            song_ratings_mark_dirty_on_commit(song_ids=[song_id])
    return bool(deleted)


# ------------------------------------------------------------------------------
# Aggregates
# ------------------------------------------------------------------------------
def song_ratings_mark_dirty_on_commit(*, song_ids: Sequence[int]) -> None:
    """Mark these songs dirty once the current transaction commits (at once outside one).
    For every write that adds, changes or removes ratings, whichever path it takes."""
    transaction.on_commit(partial(song_ratings_mark_dirty, song_ids=list(song_ids)), robust=True)


def song_ratings_mark_dirty(*, song_ids: Sequence[int]) -> None:
    """Ask for these songs' aggregates to be recomputed soon. Call after commit.

    Never raises: the rating is already stored, and a mark lost to a Redis or broker
    outage is repaired by `ratings_reconcile`.
    """
    from catalog.tasks import ratings_flush  # the tasks module imports this one

    if not song_ids:
        return
    if not settings.REDIS_URL:
        try:
            ratings_flush.delay(song_ids=list(song_ids))
        except Exception:
            logger.exception("ratings: in-process recompute of songs %s failed", list(song_ids))
        return
    try:
        client = _redis()
        must_schedule = client.register_script(_MARK_SCRIPT)(
            keys=[DIRTY_KEY, SEQUENCE_KEY, FLUSH_FLAG_KEY], args=[FLUSH_FLAG_TTL_MS, *song_ids]
        )
    except RedisError as exc:
        logger.warning(
            "ratings: could not mark songs %s dirty (%s); reconcile will repair them",
            list(song_ids),
            exc,
            extra={"song_ids": list(song_ids)},
        )
        return
    if must_schedule:
        _schedule_flush(client)


def _schedule_flush(client) -> None:
    from catalog.tasks import ratings_flush

    try:
        ratings_flush.apply_async(countdown=FLUSH_COUNTDOWN_SECONDS)
    except Exception as exc:  # kombu raises OperationalError, eager mode anything the task raised
        logger.warning("ratings: could not schedule a flush (%s); reconcile will repair", exc)
        # Let the next vote try again instead of waiting for the flag to expire.
        with contextlib.suppress(RedisError):
            client.delete(FLUSH_FLAG_KEY)


def song_ratings_recompute(*, song_ids: Iterable[int]) -> int:
    """Recompute the aggregates of these songs from the ratings table; returns how many rows
    changed. Idempotent; unknown ids are ignored."""
    ids = sorted({int(song_id) for song_id in song_ids})
    if not ids:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return _recompute_postgresql(ids)
        return _recompute_portable(ids)


def _recompute_postgresql(ids: list[int]) -> int:
    with connection.cursor() as cursor:
        # Lock first, aggregate in a second statement: under READ COMMITTED that statement's
        # snapshot is taken after the lock, so it sees every rating committed before any
        # concurrent recompute of the same song, and the last writer is never stale.
        # NO KEY UPDATE does not block the key-share locks that rating inserts take.
        cursor.execute("SELECT id FROM catalog_song WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE", [ids])
        cursor.execute(
            """
            UPDATE catalog_song AS s
            SET total_ratings = agg.n, average_rating = agg.average, rating_score = agg.score
            FROM (
                SELECT ids.id,
                       count(r.score)::integer AS n,
                       coalesce(sum(r.score)::float8 / nullif(count(r.score), 0), 0) AS average,
                       (%(prior_weight)s * %(prior_mean)s + coalesce(sum(r.score), 0))::float8
                           / (%(prior_weight)s + count(r.score)) AS score
                FROM unnest(%(ids)s::bigint[]) AS ids (id)
                LEFT JOIN catalog_rating AS r ON r.song_id = ids.id
                GROUP BY ids.id
            ) AS agg
            WHERE s.id = agg.id
              AND (s.total_ratings, s.average_rating, s.rating_score)
                  IS DISTINCT FROM (agg.n, agg.average, agg.score)
            """,
            {"ids": ids, "prior_weight": RATING_PRIOR_WEIGHT, "prior_mean": float(RATING_PRIOR_MEAN)},
        )
        return cursor.rowcount


def _recompute_portable(ids: list[int]) -> int:
    ratings = Rating.objects.filter(song_id=OuterRef("pk")).order_by().values("song_id")
    count = Coalesce(Subquery(ratings.annotate(n=Count("*")).values("n")), 0)
    total = Coalesce(Subquery(ratings.annotate(t=Sum("score")).values("t")), 0)
    as_float = partial(Cast, output_field=FloatField())
    prior = Value(RATING_PRIOR_WEIGHT * float(RATING_PRIOR_MEAN), output_field=FloatField())
    return Song.objects.filter(pk__in=ids).update(
        total_ratings=count,
        average_rating=Coalesce(as_float(total) / as_float(count), Value(0.0)),
        rating_score=(prior + as_float(total)) / (Value(float(RATING_PRIOR_WEIGHT)) + as_float(count)),
    )


def song_ratings_flush(*, song_ids: Sequence[int] | None = None) -> int:
    """Recompute `song_ids` and every song marked dirty; returns how many songs were
    recomputed. Safe to run concurrently and repeatedly."""
    done = 0
    if song_ids:
        song_ratings_recompute(song_ids=song_ids)
        done += len(song_ids)
    if settings.REDIS_URL:
        done += _drain_dirty(_redis())
    if done:
        logger.info("ratings: recomputed %d songs", done, extra={"recomputed": done})
    return done


def _drain_dirty(client) -> int:
    # Before reading the set: a vote marked after this point schedules a flush of its own.
    client.delete(FLUSH_FLAG_KEY)
    done = 0
    for _ in range(FLUSH_MAX_BATCHES):
        entries = dirty_batch(client)
        if not entries:
            return done
        song_ratings_recompute(song_ids=[int(member) for member, _seq in entries])
        forget_dirty(client, entries)
        done += len(entries)
        if len(entries) < FLUSH_BATCH_SIZE:
            return done
    if client.zcard(DIRTY_KEY) and client.set(FLUSH_FLAG_KEY, "1", nx=True, px=FLUSH_FLAG_TTL_MS):
        _schedule_flush(client)
    return done


def dirty_batch(client) -> list[tuple[bytes, float]]:
    """The oldest marks of the dirty set: (song id, mark sequence) pairs."""
    return client.zrange(DIRTY_KEY, 0, FLUSH_BATCH_SIZE - 1, withscores=True)


def forget_dirty(client, entries: Sequence[tuple[bytes, float]]) -> int:
    """Unmark the entries a flush has recomputed, except those marked again since it read them."""
    args = [value for member, seq in entries for value in (member, repr(seq))]
    return client.register_script(_ACK_SCRIPT)(keys=[DIRTY_KEY], args=args)


def song_ratings_reconcile(*, batch_size: int = 1000) -> int:
    """Repair every song whose aggregates disagree with its ratings, and drain the dirty
    set; returns how many drifted songs were repaired."""
    drifted = songs_with_drifted_ratings()
    for start in range(0, len(drifted), batch_size):
        song_ratings_recompute(song_ids=drifted[start : start + batch_size])
    if drifted:
        logger.warning("ratings: reconcile repaired %d songs", len(drifted), extra={"repaired": len(drifted)})
    if settings.REDIS_URL:
        try:
            song_ratings_flush()
        except RedisError as exc:
            logger.warning("ratings: reconcile could not drain the dirty set (%s)", exc)
    return len(drifted)


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")
