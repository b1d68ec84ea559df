"""Builders for analytics tests: events go through the real ingest path (`activity_record`);
the catalog and history of the import tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from analytics import partitions
from analytics.models import ACTION_BY_NAME
from analytics.services import EventIn, activity_record
from tests.analytics.builders import T0, listen, today_at
from tests.analytics.user_builders import artist, song_by


@pytest.fixture
def record(db) -> Callable[..., None]:
    """Returns record(user, song, action="play", times=1, at=None): stores `times` events of
    `user` on `song` through `activity_record`, at `at` (default: today 00:00:01 UTC)."""

    def make(user, song, action: str = "play", times: int = 1, at: dt.datetime | None = None) -> None:
        moment = at or today_at()
        activity_record(
            user_id=user.id,
            events=[EventIn(song_id=song.id, action=ACTION_BY_NAME[action], occurred_at=moment)] * times,
        )

    return make


@pytest.fixture
def partitions_forgotten():
    """For events in months no partition exists for (an imported history): each test's
    rolled-back transaction drops the partitions it made, so the process must not remember
    them."""
    partitions.forget_known()
    yield
    partitions.forget_known()


@pytest.fixture
def catalog(db):
    """The import tests' catalog: two Beatles songs and one by Queen (a module may define a
    catalog of its own)."""
    beatles, queen = artist("The Beatles"), artist("Queen")
    return {
        "something": song_by(beatles, title="Something"),
        "jude": song_by(beatles, title="Hey Jude"),
        "rhapsody": song_by(queen, title="Bohemian Rhapsody"),
    }


@pytest.fixture
def history():
    """Five listens of `catalog`'s songs and others, a minute apart from T0: three match."""
    return [
        listen("the  BEATLES", "SOMETHING", T0),  # exact, once normalised
        listen("Queen", "Bohemian Rapsody", T0 + 60),  # a typo: trigram similarity
        listen("Nobody Known", "Something", T0 + 120),  # no such artist
        listen("The Beatles", "Yellow Submarine", T0 + 180),  # no such title
        listen("The Beatles", "Hey Jude", T0 + 240),
    ]
