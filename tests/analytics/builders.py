"""Plain helpers for analytics tests (fixtures are in conftest.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from analytics.models import SongDay, UserDay, UserSong
from analytics.scoring import score

COUNTERS = ("plays", "likes", "skips", "shares")


def today_at(hour: int = 0, minute: int = 0, days_ago: int = 0) -> dt.datetime:
    """A moment of today (UTC), or of `days_ago` days before. Today's default (00:00:01) is
    never in the future and always today, whenever the test runs."""
    day = timezone.now().date() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour, minute, 1), tzinfo=dt.UTC)


def rollups() -> dict[str, set[tuple]]:
    """Every rollup row's key and values, to compare whole tables."""
    return {
        "song_days": set(SongDay.objects.values_list("day", "song_id", *COUNTERS)),
        "user_days": set(UserDay.objects.values_list("user_id", "day", *COUNTERS, "listen_ms", "last_at")),
        "user_songs": set(UserSong.objects.values_list("user_id", "song_id", *COUNTERS, "last_at", "score")),
    }


def scores_kept() -> bool:
    """Whether every stored score is its row's counters' score."""
    return all(
        stored == score(**dict(zip(COUNTERS, counts, strict=True)))
        for model in (UserSong,)
        for stored, *counts in model.objects.values_list("score", *COUNTERS)
    )
