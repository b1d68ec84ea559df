"""Builders for a user's statistics: counts added to the rollups by the rollup job, and
catalog songs with credited artists."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from analytics.models import ACTION_BY_NAME, PendingRollup
from analytics.scoring import COUNT_FIELDS
from analytics.services.rollups import rollups_refresh
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory


def utc_today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


def rolled_up(user, song, *, day: dt.date | None = None, listen_ms: int = 0, **counts: int) -> None:
    """Adds `counts` (plays=, likes=, skips=, shares=) of `user` on `song` on `day` (default
    today, UTC) to the rollups through the rollup job itself (`listen_ms` with the first
    count given), as if ingest had written them."""
    day = day or utc_today()
    at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    for action, field in COUNT_FIELDS.items():
        if counts.get(field):
            PendingRollup.objects.create(
                day=day,
                user=user,
                song=song,
                action=ACTION_BY_NAME[action],
                count=counts[field],
                listen_ms=listen_ms,
                last_at=at,
            )
            listen_ms = 0
    rollups_refresh()


def song_by(*artists, title: str | None = None, genres: list[str] | None = None):
    """A song crediting `artists` in order (the first is the main artist)."""
    song = SongFactory(**({"title": title} if title else {}), genres=genres or [])
    for position, artist in enumerate(artists):
        SongArtistFactory(song=song, artist=artist, position=position)
    return song


def artist(name: str):
    return ArtistFactory(name=name)
