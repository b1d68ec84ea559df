"""Rating writes, and the background work that keeps the song aggregates right.

See the package docstring for the flow: write, mark dirty after commit, flush, reconcile.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from redis import Redis
from redis.exceptions import RedisError

from catalog.models import Rating
from catalog.ratings import dirty_queue
from catalog.ratings.aggregates import song_ratings_recompute
from catalog.ratings.drift import songs_with_drifted_ratings
from catalog.ratings.upsert import (
    NOT_STORED,
    RaterNotActiveError,
    raise_missing_party,
    rating_upsert,
    upsert_postgresql,
)
from music_discovery.signals import signals_changed

__all__ = [
    "RaterNotActiveError",
    "rating_delete",
    "rating_submit",
    "song_ratings_flush",
    "song_ratings_mark_dirty",
    "song_ratings_mark_dirty_on_commit",
    "song_ratings_reconcile",
    "song_ratings_recompute",
]

logger = logging.getLogger(__name__)

# The debounce: votes arriving within this window share one flush. Small against the
# "aggregates within a second" promise, large enough to batch a busy second's votes.
FLUSH_COUNTDOWN_SECONDS = 0.2
# One flush drains at most this many batches, then hands over to a fresh task so that a
# worker is never held for long by a continuous stream of votes.
FLUSH_MAX_BATCHES = 20
RECONCILE_BATCH_SIZE = 1000


def rating_submit(*, user_id: int, song_id: int, score: int) -> tuple[Rating, bool]:
    """Create or replace `user_id`'s rating of `song_id`; returns (rating, created).

    Checks that the user exists and is active, so a caller may authenticate from the token
    alone: raises RaterNotActiveError otherwise. Raises ValidationError naming `song` when the
    song does not exist, including when a concurrent transaction deletes it.
    """
    upsert = rating_upsert()
    # The PostgreSQL upsert is one statement, atomic by itself: outside a caller's
    # transaction it runs in autocommit, sparing a vote the BEGIN and COMMIT round trips.
    # Inside one, a savepoint keeps a failure from aborting it.
    single_statement = upsert is upsert_postgresql and not connection.in_atomic_block
    try:
        with contextlib.nullcontext() if single_statement else transaction.atomic():
            rating, created = upsert(user_id=user_id, song_id=song_id, score=score)
    except IntegrityError as exc:
        # Foreign keys are checked at commit: the song or the user vanished between our
        # statement and the commit. Nothing was stored.
        raise_missing_party(user_id=user_id, song_id=song_id)
        raise ValidationError(NOT_STORED) from exc
    song_ratings_mark_dirty_on_commit(song_ids=[song_id])
    signals_changed(user_id=user_id)
    return rating, created


def rating_delete(*, user_id: int, song_id: int) -> bool:
    """Delete `user_id`'s rating of `song_id`; False when there was none."""
    with transaction.atomic():
        deleted, _ = Rating.objects.filter(user_id=user_id, song_id=song_id).delete()
        if deleted:
            song_ratings_mark_dirty_on_commit(song_ids=[song_id])
            signals_changed(user_id=user_id)
    return bool(deleted)


def song_ratings_mark_dirty_on_commit(*, song_ids: Sequence[int]) -> None:
    """Mark these songs dirty once the current transaction commits (at once outside one).
    For every write that adds, changes or removes ratings, whichever path it takes."""
    transaction.on_commit(partial(song_ratings_mark_dirty, song_ids=list(song_ids)), robust=True)


def song_ratings_mark_dirty(*, song_ids: Sequence[int]) -> None:
    """Ask for these songs' aggregates to be recomputed soon. Call after commit.

    Never raises: the rating is already stored, and a mark lost to a Redis or broker
    outage is repaired by `song_ratings_reconcile`.
    """
    if not song_ids:
        return
    if not settings.REDIS_URL:
        try:
            _flush_task().delay(song_ids=list(song_ids))
        except Exception:
            logger.exception("ratings: in-process recompute of songs %s failed", list(song_ids))
        return
    try:
        redis = dirty_queue.client()
        must_schedule = dirty_queue.mark(redis, song_ids)
    except RedisError as exc:
        logger.warning(
            "ratings: could not mark songs %s dirty (%s); reconcile will repair them",
            list(song_ids),
            exc,
            extra={"song_ids": list(song_ids)},
        )
        return
    if must_schedule:
        _schedule_flush(redis)


def _flush_task():
    # Imported here: the tasks module imports this one.
    from catalog.tasks import ratings_flush

    return ratings_flush


def _schedule_flush(redis: Redis) -> None:
    try:
        _flush_task().apply_async(countdown=FLUSH_COUNTDOWN_SECONDS)
    except Exception as exc:  # kombu raises OperationalError, eager mode anything the task raised
        logger.warning("ratings: could not schedule a flush (%s); reconcile will repair", exc)
        # Let the next vote try again instead of waiting for the flag to expire.
        with contextlib.suppress(RedisError):
            dirty_queue.release_flush(redis)


def song_ratings_flush(*, song_ids: Sequence[int] | None = None) -> int:
    """Recompute `song_ids` and every song marked dirty; returns how many songs were
    recomputed. Safe to run concurrently and repeatedly."""
    done = 0
    if song_ids:
        song_ratings_recompute(song_ids=song_ids)
        done += len(song_ids)
    if settings.REDIS_URL:
        done += _drain_dirty(dirty_queue.client())
    if done:
        logger.info("ratings: recomputed %d songs", done, extra={"recomputed": done})
    return done


def _drain_dirty(redis: Redis) -> int:
    # Before reading the set: a vote marked after this point schedules a flush of its own.
    dirty_queue.release_flush(redis)
    done = 0
    for _ in range(FLUSH_MAX_BATCHES):
        entries = dirty_queue.batch(redis)
        if not entries:
            return done
        # Unmarked only after the recompute committed: a flush killed in between leaves the
        # marks for the next one.
        song_ratings_recompute(song_ids=[int(member) for member, _seq in entries])
        dirty_queue.forget(redis, entries)
        done += len(entries)
        if len(entries) < dirty_queue.BATCH_SIZE:
            return done
    if dirty_queue.pending(redis) and dirty_queue.claim_flush(redis):
        _schedule_flush(redis)
    return done


def _marked_ids() -> set[int]:
    """The songs votes marked for a recompute; none without Redis (or when it is down)."""
    if not settings.REDIS_URL:
        return set()
    try:
        return dirty_queue.marked_ids(dirty_queue.client())
    except RedisError:
        return set()


def song_ratings_reconcile() -> int:
    """Repair every song whose aggregates disagree with its ratings, then drain the dirty
    set; returns how many drifted songs were repaired. Only those that no vote had marked
    for a recompute (read before and after the check) are drift worth a warning: under
    load, many songs wait a fraction of a second for theirs."""
    in_flight = _marked_ids()
    drifted = songs_with_drifted_ratings()
    in_flight |= _marked_ids()
    for start in range(0, len(drifted), RECONCILE_BATCH_SIZE):
        song_ratings_recompute(song_ids=drifted[start : start + RECONCILE_BATCH_SIZE])
    lost = [song_id for song_id in drifted if song_id not in in_flight]
    if lost:
        logger.warning("ratings: reconcile repaired %d songs", len(lost), extra={"repaired": len(lost)})
    if len(drifted) > len(lost):
        logger.info("ratings: reconcile recomputed %d songs waiting for it", len(drifted) - len(lost))
    if settings.REDIS_URL:
        try:
            song_ratings_flush()
        except RedisError as exc:
            logger.warning("ratings: reconcile could not drain the dirty set (%s)", exc)
    return len(drifted)
