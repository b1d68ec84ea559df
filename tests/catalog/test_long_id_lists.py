"""Lists of ids or names longer than a statement may have parameters.

SQLite builds cap a statement's parameters (32,766 by default since 3.32, 999 before); this
machine's allows 250,000. The cap is lowered here on the test's own connection so that a
few dozen songs stand for a catalog past it: each request must still answer in full. On
PostgreSQL, which has no such cap, the same requests run as they are.
"""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection

from catalog.selectors.match import songs_match
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory

pytestmark = pytest.mark.django_db

CAP = 40
SONGS = 60
PAGE = 10


@pytest.fixture
def few_parameters():
    """SQLite: at most CAP parameters a statement for the rest of the test."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, CAP)
    yield
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)


def pages(api_client, params: dict[str, str]) -> list[str]:
    """Every page's titles in turn (pages of PAGE songs: a page's own statements stay under
    the cap, as a page of the largest size stays under a real one)."""
    titles: list[str] = []
    for page in range(1, SONGS // PAGE + 2):
        response = api_client.get("/api/songs/", {**params, "page_size": PAGE, "page": page})
        assert response.status_code == 200, response.content[:300]
        titles += [song["title"] for song in response.json()["results"]]
        if response.json()["next"] is None:
            return titles
    raise AssertionError("more pages than songs")


@pytest.mark.parametrize("ordering", ["-popularity", "title"])
def test_an_ordered_search_with_more_matches_than_parameters(api_client, few_parameters, ordering):
    for i in range(SONGS):
        SongFactory(title=f"Lantern {i:02d}", popularity=i)
    expected = sorted((f"Lantern {i:02d}" for i in range(SONGS)), reverse=ordering == "-popularity")
    assert pages(api_client, {"search": "lantern", "ordering": ordering}) == expected


def test_a_short_artist_name_with_more_songs_than_parameters(api_client, few_parameters):
    artist = ArtistFactory(name="AB")
    for i in range(SONGS):
        SongArtistFactory(song=SongFactory(title=f"Track {i:02d}"), artist=artist)
    SongFactory(title="Abacus")
    expected = ["Abacus", *(f"Track {i:02d}" for i in range(SONGS))]
    assert pages(api_client, {"search": "ab", "ordering": "title"}) == expected


def test_an_import_naming_more_artists_than_parameters(few_parameters):
    songs = {}
    for i in range(SONGS):
        song = SongFactory(title=f"Song {i:02d}")
        SongArtistFactory(song=song, artist=ArtistFactory(name=f"Singer {i:02d}"))
        songs[(f"Singer {i:02d}", f"Song {i:02d}")] = song.pk
    assert songs_match(list(songs)) == songs
