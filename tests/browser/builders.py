"""Test data for the browser tests, written through the project's services (no tests here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from analytics.models import ACTION_BY_NAME
from analytics.services import EventIn, activity_record
from analytics.services.rollups import rollups_catch_up
from catalog.ratings.services import rating_submit, song_ratings_flush
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory, UserFactory

# The password tests.factories.UserFactory gives every user.
PASSWORD = "correct-horse-battery-staple"


@dataclass
class Catalog:
    staff: object
    listener: object
    blank_space: object
    believer: object


def song(title: str, artists: list[str], genres: list[str]):
    made = SongFactory(title=title, genres=genres)
    for position, name in enumerate(artists):
        SongArtistFactory(song=made, artist=ArtistFactory(name=name), position=position)
    return made


def catalog_with_activity() -> Catalog:
    """Three songs with their artists and genres, a staff member (a superuser), and a
    listener who rated two songs and played, liked and skipped them today (and another who
    rated one and shared a third); the rating
    aggregates and the analytics rollups are brought up to date."""
    blank_space = song("Blank Space", ["Taylor Swift"], ["pop"])
    believer = song("Believer", ["Imagine Dragons", "Lil Wayne"], ["rock", "pop rock"])
    bad_romance = song("Bad Romance", ["Lady Gaga"], ["dance pop"])
    staff = UserFactory(username="curator", is_staff=True, is_superuser=True)
    listener = UserFactory(username="night_owl")
    other = UserFactory(username="early_bird")

    rating_submit(user_id=listener.id, song_id=blank_space.id, score=5)
    rating_submit(user_id=other.id, song_id=blank_space.id, score=4)
    rating_submit(user_id=listener.id, song_id=believer.id, score=2)
    song_ratings_flush(song_ids=[blank_space.id, believer.id])

    # Today, a second past midnight UTC: never in the future, always today.
    today = dt.datetime.combine(timezone.now().date(), dt.time(0, 0, 1), tzinfo=dt.UTC)
    events = [
        *[EventIn(song_id=blank_space.id, action=ACTION_BY_NAME["play"], occurred_at=today)] * 6,
        EventIn(song_id=blank_space.id, action=ACTION_BY_NAME["like"], occurred_at=today),
        EventIn(song_id=believer.id, action=ACTION_BY_NAME["skip"], occurred_at=today),
    ]
    activity_record(user_id=listener.id, events=events)
    share = EventIn(song_id=bad_romance.id, action=ACTION_BY_NAME["share"], occurred_at=today)
    activity_record(user_id=other.id, events=[share])
    rollups_catch_up()
    for model in (blank_space, believer):
        model.refresh_from_db()
    return Catalog(staff=staff, listener=listener, blank_space=blank_space, believer=believer)
