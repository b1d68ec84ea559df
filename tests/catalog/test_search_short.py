"""A search whose terms are all 1-2 characters long: the songs of the artist whose whole
name it is, then the titles starting with it."""

from __future__ import annotations

import pytest

from tests.factories import ArtistFactory, SongArtistFactory, SongFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acdc():
    band = ArtistFactory(name="AC/DC")
    for title in ("Thunderstruck", "Back In Black", "Highway to Hell"):
        SongArtistFactory(song=SongFactory(title=title, popularity=len(title)), artist=band)
    # Another artist whose name only starts with the query is not the artist named so.
    SongArtistFactory(song=SongFactory(title="Covers Live"), artist=ArtistFactory(name="AC/DC Tribute"))
    SongFactory(title="AC/DC Forever", popularity=99)
    SongFactory(title="ac/dc and me", popularity=1)
    SongFactory(title="Acoustic")


def titles(api_client, **params) -> list[str]:
    response = api_client.get("/api/songs/", params)
    assert response.status_code == 200, response.content
    return [song["title"] for song in response.json()["results"]]


BY_RELEVANCE = ["Back In Black", "Highway to Hell", "Thunderstruck", "ac/dc and me", "AC/DC Forever"]


def test_an_artists_whole_name_finds_its_songs_before_titles_starting_with_it(api_client, acdc):
    for query in ("AC/DC", "ac/dc", " AC/DC "):
        assert titles(api_client, search=query) == BY_RELEVANCE, query
    pages = [titles(api_client, search="AC/DC", page_size=2, page=page) for page in (1, 2, 3)]
    assert [title for page in pages for title in page] == BY_RELEVANCE
    response = api_client.get("/api/songs/", {"search": "AC/DC", "page_size": 2})
    assert response.json()["count"] == 5 and response["X-Total-Count-Exact"] == "true"


def test_an_ordered_search_of_an_artists_whole_name_lists_its_songs_too(api_client, acdc):
    assert titles(api_client, search="AC/DC", ordering="-popularity") == [
        "AC/DC Forever",
        "Highway to Hell",
        "Thunderstruck",
        "Back In Black",
        "ac/dc and me",
    ]


def test_short_names_with_punctuation(api_client):
    SongArtistFactory(song=SongFactory(title="So What"), artist=ArtistFactory(name="P!nk"))
    SongArtistFactory(song=SongFactory(title="So Sick"), artist=ArtistFactory(name="Ne-Yo"))
    assert titles(api_client, search="P!nk") == ["So What"]
    assert titles(api_client, search="NE-YO") == ["So Sick"]
    assert titles(api_client, search="ne") == []
