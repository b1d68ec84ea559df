"""A search with a 1-2 character term: the songs of the artist it names (its whole name, or
its name's words) first, then the titles starting with it (every term that short) or the other matches."""

from __future__ import annotations

import pytest

from catalog.selectors.search import song_search
from catalog.selectors.search_short import named_artist_ids
from catalog.selectors.songs import song_list
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


# The band's songs most popular first (two of them equally popular: then by title), then
# the titles starting with its name, by title.
BY_RELEVANCE = ["Highway to Hell", "Back In Black", "Thunderstruck", "ac/dc and me", "AC/DC Forever"]


def test_an_artists_whole_name_finds_its_songs_before_titles_starting_with_it(api_client, acdc):
    for query in ("AC/DC", "ac/dc", " AC/DC "):
        assert titles(api_client, search=query) == BY_RELEVANCE, query
    pages = [titles(api_client, search="AC/DC", page_size=2, page=page) for page in (1, 2, 3)]
    assert [title for page in pages for title in page] == BY_RELEVANCE
    response = api_client.get("/api/songs/", {"search": "AC/DC", "page_size": 2})
    assert response.json()["count"] == 5 and response["X-Total-Count-Exact"] == "true"
    # The single-statement search (the admin's) gives the same order.
    assert list(song_search(song_list(), "AC/DC").values_list("title", flat=True)) == BY_RELEVANCE


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


@pytest.fixture
def jay_z():
    rapper = ArtistFactory(name="JAY-Z")
    for title in ("Izzo", "Empire State of Mind", "99 Problems"):
        SongArtistFactory(song=SongFactory(title=title, popularity=len(title)), artist=rapper)
    SongArtistFactory(
        song=SongFactory(title="Money Trees", popularity=90), artist=ArtistFactory(name="Jay Rock")
    )
    for title in ("Jay", "Jaywalking", "Blue Jay Way"):
        SongFactory(title=title, popularity=50)


JAY_Z_FIRST = ["Empire State of Mind", "99 Problems", "Izzo"]  # most popular first


@pytest.mark.parametrize("small_result", [2000, -1])
def test_a_whole_artist_name_with_a_short_word_finds_its_songs_first(
    api_client, jay_z, monkeypatch, small_result
):
    """ "z" has no trigram, so "JAY-Z" would be a search for "jay" alone: the songs of the
    artist whose whole name it is come first, then the other matches by relevance, ranked
    whole or (SMALL_RESULT = -1, as for many matches on PostgreSQL) tier by tier as pages
    need them."""
    monkeypatch.setattr("catalog.selectors.search_ranking.SMALL_RESULT", small_result)
    for query in ("JAY-Z", "jay-z", " Jay-Z "):
        found = titles(api_client, search=query, page_size=100)
        assert found[:3] == JAY_Z_FIRST, query
        assert found[3] == "Jay" and set(found[4:]) == {"Jaywalking", "Blue Jay Way", "Money Trees"}, query
    pages = [titles(api_client, search="JAY-Z", page_size=2, page=page) for page in (1, 2, 3, 4)]
    assert [title for page in pages for title in page] == titles(api_client, search="JAY-Z", page_size=100)
    response = api_client.get("/api/songs/", {"search": "JAY-Z", "page_size": 2})
    assert response.json()["count"] == 7
    # The single-statement search (the admin's) gives the same order.
    whole = list(song_search(song_list(), "JAY-Z").values_list("title", flat=True))
    assert whole == titles(api_client, search="JAY-Z", page_size=100)


def test_a_query_of_an_artists_words_names_it_whatever_joins_them(api_client, jay_z, acdc):
    """A name's words are what a user types: "jay z" names JAY-Z, "ac dc" AC/DC. A name
    holding more words ("AC/DC Tribute") or other ones ("Jay Rock") is not so named."""
    for query in ("jay z", "Jay Z", "jay.z", "JAY - Z"):
        found = titles(api_client, search=query, page_size=100)
        assert found[:3] == JAY_Z_FIRST, query
        assert "Money Trees" not in found[:3], query
    assert titles(api_client, search="ac dc") == ["Highway to Hell", "Back In Black", "Thunderstruck"]
    assert named_artist_ids("jay r") == [] and named_artist_ids("ac dc tribute") != named_artist_ids("ac dc")
    ordered = titles(api_client, search="ac dc", ordering="-popularity")
    assert ordered == ["Highway to Hell", "Thunderstruck", "Back In Black"]
    whole = list(song_search(song_list(), "jay z").values_list("title", flat=True))
    assert whole[:3] == JAY_Z_FIRST


def test_each_page_past_the_artists_songs_counts_the_song_after_it(api_client, jay_z, monkeypatch):
    """Titles starting with the query are read tier by tier as pages need them (SMALL_RESULT
    = -1): a page's count reaches at least the song after it, so its `next` link never leads
    to an empty page, as for any search by relevance."""
    monkeypatch.setattr("catalog.selectors.search_ranking.SMALL_RESULT", -1)
    for title in ("Jay-Z Forever", "Jay-Z Live", "Jay-Z Tribute"):
        SongFactory(title=title)
    for page in (1, 2, 3, 4, 5):
        response = api_client.get("/api/songs/", {"search": "JAY-Z", "page_size": 2, "page": page})
        assert response.status_code == 200, page
        if response.json()["next"] is None:
            break
        assert response.json()["count"] > 2 * page, page
    else:
        raise AssertionError("more pages than songs")


def test_an_ordered_search_of_a_whole_name_with_a_short_word_lists_its_songs(api_client, jay_z):
    by_popularity = titles(api_client, search="JAY-Z", ordering="-popularity", page_size=100)
    assert by_popularity[0] == "Money Trees"
    assert set(JAY_Z_FIRST) <= set(by_popularity)
    assert len(by_popularity) == 7


def test_an_artist_named_only_once_names_are_normalised_is_listed_by_every_search(api_client):
    """Names compare by `name_key` (NFKC, case-folded): "Straße X" names the artist "STRASSE X",
    whose name does not contain "straße" as the titles' search reads it. Its songs are listed
    first by relevance, and among the matches of an ordered search, counted alike."""
    band = ArtistFactory(name="STRASSE X")
    SongArtistFactory(song=SongFactory(title="Autobahn", popularity=10), artist=band)
    SongFactory(title="Straße", popularity=50)
    assert titles(api_client, search="Straße X") == ["Autobahn", "Straße"]
    assert titles(api_client, search="Straße X", ordering="-popularity") == ["Straße", "Autobahn"]
    assert api_client.get("/api/songs/", {"search": "Straße X", "ordering": "title"}).json()["count"] == 2


def test_a_whole_artist_name_of_long_words_is_ranked_as_any_search(api_client):
    """Without a short word every term counts already: the exact title still comes first."""
    SongArtistFactory(song=SongFactory(title="Alone Again Or"), artist=ArtistFactory(name="Love"))
    SongFactory(title="Love")
    assert titles(api_client, search="love")[0] == "Love"
