"""Builders for a user's statistics: rollup rows written directly (what the rollup job
would write), and catalog songs with credited artists."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from analytics.models import UserDay, UserSong
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory

COUNTERS = ("plays", "likes", "skips", "shares")


def utc_today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


def rolled_up(user, song, *, day: dt.date | None = None, listen_ms: int = 0, **counts: int) -> None:
    """Adds `counts` (plays=, likes=, skips=, shares=) of `user` on `song` on `day` (default
    today, UTC) to UserDay and UserSong, as the rollup job would."""
    day = day or utc_today()
    at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    values = {name: counts.get(name, 0) for name in COUNTERS}
    user_day, created = UserDay.objects.get_or_create(
        user=user, day=day, defaults={**values, "listen_ms": listen_ms, "last_at": at}
    )
    if not created:
        UserDay.objects.filter(pk=user_day.pk).update(
            listen_ms=F("listen_ms") + listen_ms, **{name: F(name) + v for name, v in values.items()}
        )
    user_song, created = UserSong.objects.get_or_create(
        user=user, song=song, defaults={**values, "last_at": at}
    )
    if not created:
        UserSong.objects.filter(pk=user_song.pk).update(**{name: F(name) + v for name, v in values.items()})


def song_by(*artists, title: str | None = None, genres: list[str] | None = None):
    """A song crediting `artists` in order (the first is the main artist)."""
    song = SongFactory(**({"title": title} if title else {}), genres=genres or [])
    for position, artist in enumerate(artists):
        SongArtistFactory(song=song, artist=artist, position=position)
    return song


def artist(name: str):
    return ArtistFactory(name=name)
