"""Queries whose terms are split between an artist's name and the title, where an artist's
name holds some title word too (`search_ways._mixed_ways`): the same results on SQLite,
whose Python ranking checks every song, and on PostgreSQL, which reads a bounded number of
songs through each way of finding them."""

from __future__ import annotations

import pytest

from tests.catalog.builders import searched_titles
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory

pytestmark = pytest.mark.django_db


def credited(title: str, artist: str) -> None:
    SongArtistFactory(song=SongFactory(title=title), artist=ArtistFactory(name=artist))


def test_the_artist_typed_first_is_looked_for_though_another_name_term_is_rarer(api_client):
    """No name holds "pearl", "jam" and "given"; "given" is in fewer names than "pearl" (the
    band Given), and the titles holding the rarest title word ("pearl") are not the song."""
    credited("Given to Fly", "Pearl Jam")
    credited("Given Up", "Somebody")
    credited("Pearl Necklace", "Somebody Else")
    credited("River Song", "Pearl River")
    credited("Jam Session", "The Jam")
    credited("Virtual Insanity", "Jamiroquai")
    credited("Alone", "Given")

    assert searched_titles(api_client, "pearl jam given") == ["Given to Fly"]


@pytest.fixture
def close_titles(db):
    """No song has "fel", "close", "radio" and "edit": any term will do. "fel" starts an
    artist's name (a known beginning, not a typo), whose songs the relevance lists before
    titles holding a term inside a word; "Feel So Close - Radio Edit" holds three of the
    terms in its title."""
    credited("Never There", "Felix Jaehn")
    credited("Feel So Close - Radio Edit", "Calvin Harris")
    credited("Radio Ga Ga", "Queen")


@pytest.mark.parametrize("small_result", [2000, -1])
def test_when_any_term_will_do_the_titles_holding_more_terms_come_first(
    api_client, close_titles, monkeypatch, small_result
):
    monkeypatch.setattr("catalog.selectors.search_ranking.SMALL_RESULT", small_result)

    assert searched_titles(api_client, "fel so close radio edit") == [
        "Feel So Close - Radio Edit",  # close, radio, edit
        "Radio Ga Ga",  # radio
        "Never There",  # fel, in the artist's name
    ]


def test_the_whole_ranking_orders_any_term_alike(close_titles):
    from catalog.selectors.search import song_search, song_search_ranked
    from catalog.selectors.songs import song_list

    whole = list(song_search(song_list(), "fel so close radio edit").values_list("title", flat=True))
    ranked = song_search_ranked(song_list(), "fel so close radio edit")

    assert (
        whole
        == [song.title for song in ranked[0:20]]
        == [
            "Feel So Close - Radio Edit",
            "Radio Ga Ga",
            "Never There",
        ]
    )


def test_an_artist_of_several_words_typed_first_is_looked_for_with_them_all(api_client, monkeypatch):
    """Every term is in some artist's name, none holds all three, no title holds them all:
    the mixed ways, each reading at most two songs here, look for the artists whose name
    holds "raul" and "seixas" too, whose song holds "american" in its title. The ways of the
    rarest name term ("american") and of the first ("raul", Raul Malo's songs read first),
    and the titles holding "american", read other songs first."""
    monkeypatch.setattr("catalog.selectors.search_ranking.MIXED_AT_MOST", 2)
    malo = ArtistFactory(name="Raul Malo")
    for title in ("Dance the Night Away", "Every Little Thing", "Running Back"):
        SongArtistFactory(song=SongFactory(title=title), artist=malo)
    credited("American Pie", "Don McLean")
    credited("American Idiot", "Green Day")
    credited("Best Day of My Life", "American Authors")
    credited("Canto Livre", "Seixas Trio")
    credited("American Way", "Raul Seixas")

    assert searched_titles(api_client, "raul seixas american") == ["American Way"]
