"""Shared builders for the recommendation tests that go through the database: a small
catalog of four artists with listeners, the model's lifetime, and the API tests' listener
and clients."""

from __future__ import annotations

import pytest

from analytics.models import Action
from recommendations.model import model_forget
from tests.factories import ArtistFactory, RatingFactory, UserFactory
from tests.recommendations.builders import listened, song_by


@pytest.fixture(autouse=True)
def _no_model_between_tests():
    """The model lives in the process: each test builds its own from its own rows."""
    model_forget()
    yield
    model_forget()


@pytest.fixture
def world(db):
    """Artists "Alpha", "Beta", "Gamma", "Delta", three songs each (popularity falling);
    eight listeners who like Alpha and Beta, four who like Gamma and Delta."""
    artists = {name: ArtistFactory(name=name) for name in ("Alpha", "Beta", "Gamma", "Delta")}
    songs = {
        name: [
            song_by(artist, popularity=90 - 10 * i, genres=("rock" if name in ("Alpha", "Beta") else "jazz",))
            for i in range(3)
        ]
        for name, artist in artists.items()
    }
    for pair, count in ((("Alpha", "Beta"), 8), (("Gamma", "Delta"), 4)):
        for _ in range(count):
            listened(UserFactory(), *[(songs[name][0], Action.LIKE) for name in pair])
    return songs


@pytest.fixture
def listener(world):
    """A listener who played an Alpha song, skipped another and rated a third (a module may
    define a listener of its own)."""
    user = UserFactory(profile__favorite_genres=[], profile__moods=[])
    listened(user, (world["Alpha"][0], Action.PLAY), (world["Alpha"][1], Action.SKIP))
    RatingFactory(user=user, song=world["Alpha"][2], score=5)
    return user


@pytest.fixture
def client_of(make_auth_client):
    """client_of(user): an API client signed in as `user`."""
    return make_auth_client
