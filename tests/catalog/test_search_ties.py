"""Where relevance says nothing, popularity: songs of equal relevance by title, then, among
equal titles (a recording on several albums, covers of a song), the most popular first;
songs found through an artist's name alone after the titles where the terms start words, most
popular first, and before the titles holding a term inside a word. Songs
without a popularity last."""

from __future__ import annotations

import pytest

from catalog.selectors.search import song_search
from catalog.selectors.songs import song_list
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory

pytestmark = pytest.mark.django_db


def results(api_client, **params) -> list[tuple[str, int | None]]:
    response = api_client.get("/api/songs/", {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return [(song["title"], song["popularity"]) for song in response.json()["results"]]


@pytest.fixture
def yellows():
    # Created least popular first, so that an order by id alone would list them backwards.
    for title, popularity in [
        ("Yellow", 3),
        ("Yellow", None),
        ("YELLOW", 62),
        ("Yellow", 85),
        ("Yellow Submarine", 10),
        ("Yellow Submarine", 70),
        ("Mellow Yellow", 1),
        ("Mellow Yellow", 40),
    ]:
        SongFactory(title=title, popularity=popularity)


EXPECTED = [
    ("Yellow", 85),
    ("YELLOW", 62),
    ("Yellow", 3),
    ("Yellow", None),
    ("Yellow Submarine", 70),
    ("Yellow Submarine", 10),
    ("Mellow Yellow", 40),
    ("Mellow Yellow", 1),
]


@pytest.mark.parametrize("small_result", [2000, -1])
def test_equal_titles_come_most_popular_first(api_client, yellows, monkeypatch, small_result):
    """Ranked whole, or (SMALL_RESULT = -1, as for many matches on PostgreSQL) tier by tier:
    the exact titles and the titles starting with the query from their index, the rest
    ranked; pages read the same order."""
    monkeypatch.setattr("catalog.selectors.search_ranking.SMALL_RESULT", small_result)
    assert results(api_client, search="yellow") == EXPECTED
    pages = [results(api_client, search="yellow", page_size=3, page=page) for page in (1, 2, 3)]
    assert [song for page in pages for song in page] == EXPECTED
    # The single-statement search (the admin's) gives the same order.
    whole = list(song_search(song_list(), "yellow").values_list("title", "popularity"))
    assert whole == EXPECTED


def test_equal_titles_past_the_prefix_tiers_and_by_artist_come_most_popular_first(api_client):
    singer = ArtistFactory(name="Coldplay")
    for popularity in (5, 88, None, 60):
        SongArtistFactory(song=SongFactory(title="Trouble", popularity=popularity), artist=singer)
    for popularity in (2, 45):
        SongFactory(title="Double Trouble", popularity=popularity)

    assert results(api_client, search="coldplay") == [
        ("Trouble", 88),
        ("Trouble", 60),
        ("Trouble", 5),
        ("Trouble", None),
    ]
    assert results(api_client, search="ouble")[:2] == [("Double Trouble", 45), ("Double Trouble", 2)]


def test_a_short_query_lists_equal_titles_most_popular_first(api_client):
    band = ArtistFactory(name="U2")
    for popularity in (12, 77):
        SongArtistFactory(song=SongFactory(title="One", popularity=popularity), artist=band)
    for popularity in (None, 30):
        SongFactory(title="U2 Tribute", popularity=popularity)

    assert results(api_client, search="u2") == [
        ("One", 77),
        ("One", 12),
        ("U2 Tribute", 30),
        ("U2 Tribute", None),
    ]


@pytest.mark.parametrize("small_result", [2000, -1])
def test_songs_found_by_their_artists_name_alone_come_between_word_and_substring_titles(
    api_client, monkeypatch, small_result
):
    """After the titles where the query starts a word, most popular first; before the
    titles holding it inside a word (`adele`: Adele's songs before "Madeleine")."""
    monkeypatch.setattr("catalog.selectors.search_ranking.SMALL_RESULT", small_result)
    band = ArtistFactory(name="Coldplay")
    for title, popularity in [("Trouble", 5), ("Yellow", 88), ("Clocks", None), ("Fix You", 60)]:
        SongArtistFactory(song=SongFactory(title=title, popularity=popularity), artist=band)
    for title in ("Ode to Coldplay", "Coldplayer Blues", "Coldplay", "Uncoldplayable", "Anticoldplay"):
        SongFactory(title=title, popularity=90)

    expected = [
        "Coldplay",
        "Coldplayer Blues",
        "Ode to Coldplay",
        "Yellow",
        "Fix You",
        "Trouble",
        "Clocks",
        "Anticoldplay",
        "Uncoldplayable",
    ]
    assert [title for title, _ in results(api_client, search="coldplay")] == expected
    # A typo is corrected to the artist's name as to a title word.
    assert [title for title, _ in results(api_client, search="coldpaly")] == expected
    whole = list(song_search(song_list(), "coldplay").values_list("title", flat=True))
    assert whole == expected
