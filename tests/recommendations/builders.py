"""Small catalogs and listeners as the engine's arrays, for the engine's unit tests;
songs and listening in the database, for the tests that go through it; and the list API's
paths and song ids, for the tests that go through HTTP."""

from __future__ import annotations

import datetime as dt

import numpy as np
import scipy.sparse as sp
from django.utils import timezone

from analytics.services import EventIn, activity_record
from recommendations.engine import FEATURES, CatalogArrays, Listener
from tests.factories import SongArtistFactory, SongFactory


def catalog_of(
    *,
    artists: list[int],
    genres: list[int] | None = None,
    prior: list[float] | None = None,
    features: np.ndarray | None = None,
    seed: int = 0,
    guests: dict[int, list[int]] | None = None,
    more_genres: dict[int, list[int]] | None = None,
    recording: list[int] | None = None,
) -> CatalogArrays:
    """One song per entry of `artists` (its first-credited artist's position), with the
    artists `guests` credits after it on some songs (song -> artists); genres likewise (all
    genre 0 by default), `more_genres` giving some songs more; random features unless given;
    prior falling with position unless given (song 0 most popular); `recording`: each
    song's recording, when some are one song under several ids."""
    size = len(artists)
    genres = genres if genres is not None else [0] * size
    rng = np.random.default_rng(seed)
    if features is None:
        features = rng.random((size, len(FEATURES))).astype(np.float32)
        features[:, FEATURES.index("tempo")] *= 200
        features[:, FEATURES.index("loudness")] = -30 * features[:, FEATURES.index("loudness")]
    credits = [(song, artist) for song, artist in enumerate(artists)]
    credits += [(song, guest) for song, extra in (guests or {}).items() for guest in extra]
    credit_songs, credit_artists = (np.array(column, np.int64) for column in zip(*credits, strict=True))
    tags = [(song, genre) for song, genre in enumerate(genres)]
    tags += [(song, genre) for song, extra in (more_genres or {}).items() for genre in extra]
    tag_songs, tag_genres = (np.array(column, np.int64) for column in zip(*tags, strict=True))
    artist_count, genre_count = int(credit_artists.max()) + 1, int(tag_genres.max()) + 1
    return CatalogArrays(
        song_ids=np.arange(size, dtype=np.int64) + 1000,
        features=features.astype(np.float32),
        prior=np.asarray(prior if prior is not None else np.linspace(1, 0, size), np.float32),
        song_artists=sp.csr_matrix(
            (np.ones(len(credits), np.float32), (credit_songs, credit_artists)), shape=(size, artist_count)
        ),
        song_genres=sp.csr_matrix(
            (np.ones(len(tags), np.float32), (tag_songs, tag_genres)), shape=(size, genre_count)
        ),
        main_artist=np.asarray(artists, np.int64),
        artist_names=tuple(f"Artist {i}" for i in range(artist_count)),
        genre_names=tuple(f"genre {i}" for i in range(genre_count)),
        recording=None if recording is None else np.asarray(recording, np.int64),
    )


def listener_of(
    *, liked: dict[int, float] | None = None, exclude: list[int] | None = None, **kwargs
) -> Listener:
    """A listener with signed interest in songs (`liked`: position -> interest)."""
    liked = liked or {}
    return Listener(
        song_index=np.array(list(liked), np.int64),
        interest=np.array(list(liked.values()), np.float32),
        exclude=np.array(exclude if exclude is not None else list(liked), np.int64),
        **{
            key: np.array(value, np.int64) if key != "moods" else tuple(value)
            for key, value in kwargs.items()
        },
    )


def user_songs(rows: list[list[int]], song_count: int) -> sp.csr_matrix:
    """Users x songs, 1 for each song a user's row names."""
    data = [(u, s) for u, row in enumerate(rows) for s in row]
    users, songs = zip(*data, strict=True)
    return sp.csr_matrix((np.ones(len(data), np.float32), (users, songs)), shape=(len(rows), song_count))


def song_by(artist, *, popularity: int, genres=("pop",), **features):
    """A song credited to `artist` first."""
    song = SongFactory(popularity=popularity, genres=list(genres), **features)
    SongArtistFactory(song=song, artist=artist, position=0)
    return song


def listened(user, *pairs):
    """`user`'s events, one per (song, action), a minute apart, newest first."""
    now = timezone.now()
    activity_record(
        user_id=user.pk,
        events=[
            EventIn(song_id=song.pk, action=action, occurred_at=now - dt.timedelta(minutes=i))
            for i, (song, action) in enumerate(pairs)
        ],
    )


def url(user_id: int) -> str:
    """A listener's list: GET /api/recommendations/user/{id}/."""
    return f"/api/recommendations/user/{user_id}/"


def refresh_url(user_id: int) -> str:
    return f"/api/recommendations/user/{user_id}/refresh/"


def song_ids(body: dict) -> list[int]:
    """The song ids of a list's body, in its order."""
    return [item["song"]["id"] for item in body["results"]]
