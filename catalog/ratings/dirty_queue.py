"""The songs whose aggregates wait for a recompute: a Redis sorted set, and the flag that
tells whether a flush is already scheduled.

Each mark carries a fresh sequence number (the member's score), so a flush can unmark
exactly what it read: a song marked again while it was being recomputed stays for the next
flush. The scripts run atomically in Redis, one round trip each.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis import Redis

DIRTY_KEY = "md:ratings:dirty"
SEQUENCE_KEY = "md:ratings:seq"
FLUSH_FLAG_KEY = "md:ratings:flush-scheduled"
KEYS = (DIRTY_KEY, SEQUENCE_KEY, FLUSH_FLAG_KEY)
# A flush whose task was lost (publish failed half way, worker killed) must not block the
# next one for long: after this the next mark schedules a fresh flush.
FLUSH_FLAG_TTL_MS = 5_000
BATCH_SIZE = 500

Entry = tuple[bytes, float]

# Marks ids dirty with a fresh sequence number and tells whether this caller must schedule
# the flush. A flush that clears the flag and then reads the set sees every mark made before
# the flag was set again.
_MARK_SCRIPT = """
local seq = redis.call('INCR', KEYS[2])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], seq, ARGV[i]) end
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
"""

# Removes ids whose mark is not newer than the one the flush read.
_FORGET_SCRIPT = """
local removed = 0
for i = 1, #ARGV, 2 do
  local seq = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if seq and tonumber(seq) <= tonumber(ARGV[i + 1]) then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
"""


def client() -> Redis:
    """The Redis connection of the default cache (REDIS_URL). Precondition: REDIS_URL is set."""
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def mark(redis: Redis, song_ids: Sequence[int]) -> bool:
    """Mark these songs dirty; True when the caller must schedule a flush (none was)."""
    script = redis.register_script(_MARK_SCRIPT)
    return bool(script(keys=[DIRTY_KEY, SEQUENCE_KEY, FLUSH_FLAG_KEY], args=[FLUSH_FLAG_TTL_MS, *song_ids]))


def claim_flush(redis: Redis) -> bool:
    """Set the flush flag unless set; True when the caller must schedule a flush."""
    return bool(redis.set(FLUSH_FLAG_KEY, "1", nx=True, px=FLUSH_FLAG_TTL_MS))


def release_flush(redis: Redis) -> None:
    """Clear the flush flag: the next mark schedules a flush."""
    redis.delete(FLUSH_FLAG_KEY)


def batch(redis: Redis) -> list[Entry]:
    """The oldest marks: (song id, mark sequence) pairs, at most BATCH_SIZE."""
    return redis.zrange(DIRTY_KEY, 0, BATCH_SIZE - 1, withscores=True)


def forget(redis: Redis, entries: Sequence[Entry]) -> int:
    """Unmark the entries a flush has recomputed, except those marked again since it read
    them. Precondition: their recompute has committed."""
    args = [value for member, seq in entries for value in (member, repr(seq))]
    return redis.register_script(_FORGET_SCRIPT)(keys=[DIRTY_KEY], args=args)


def pending(redis: Redis) -> int:
    """How many songs are marked."""
    return redis.zcard(DIRTY_KEY)


def marked_ids(redis: Redis) -> set[int]:
    """Every marked song id."""
    return {int(member) for member in redis.zrange(DIRTY_KEY, 0, -1)}
