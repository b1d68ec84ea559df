"""An artist's name with words of a title (`the doors the end`, `hans zimmer a`): the titles
holding some of the query's words, the other terms in an artist's name, come before that
artist's other songs, those starting with a word of the query first, then those holding
more of its 1-2 character words, then more of its terms (`search_postgres._held_sql`, the
Python ranking alike). Ranked whole or tier by tier, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.catalog.builders import searched_titles
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory

pytestmark = pytest.mark.django_db


def credited(artist: str, *songs: tuple[str, int]) -> None:
    """Songs (title, popularity) credited to one artist of that name (created once)."""
    from catalog.models import Artist

    singer = Artist.objects.filter(name=artist).first() or ArtistFactory(name=artist)
    for title, popularity in songs:
        SongArtistFactory(song=SongFactory(title=title, popularity=popularity), artist=singer)


@pytest.fixture(params=[2000, -1], ids=["ranked whole", "tier by tier"])
def small_result(request, monkeypatch):
    monkeypatch.setattr("catalog.selectors.search_ranking.SMALL_RESULT", request.param)


def test_a_title_word_that_the_artists_name_holds_too(api_client, small_result):
    """Every song of The Doors holds "the" and "doors"; "The End" holds "the" in its title
    as well, and comes before their more popular songs whose titles hold no word of the
    query (it came last: a term in the title, not every term starting its words)."""
    credited("The Doors", ("People Are Strange", 73), ("Light My Fire", 71), ("The End", 61))
    credited("Will Ackerman", ("The Opening Of Doors", 20))

    assert searched_titles(api_client, "the doors the") == [
        "The Opening Of Doors",  # every word in the title
        "The End",
        "People Are Strange",
        "Light My Fire",
    ]


def test_a_one_letter_title_word_after_the_artists_name(api_client, small_result):
    """`a` is too short to match anything: Hans Zimmer's songs are the matches, and those
    whose titles hold it as a word come first, a title starting with it before one holding
    it further on."""
    credited(
        "Hans Zimmer",
        ("Cornfield Chase", 74),
        ("Time", 72),
        ("I'm Not a Hero", 60),
        ("A Dark Knight", 54),
        ("Leaves", 50),  # "a" inside a word does not count
    )

    assert searched_titles(api_client, "hans zimmer a") == [
        "A Dark Knight",
        "I'm Not a Hero",
        "Cornfield Chase",
        "Time",
        "Leaves",
    ]


def test_the_short_word_typed_counts_before_an_artists_name_in_a_title(api_client, small_result):
    """ "Cheap Thrills (feat. Sean Paul)" holds the artist's name in its title, but not "we":
    it no longer comes before Sean Paul's song that does."""
    credited("Sean Paul", ("Temperature", 80), ("We Be Burnin'", 61))
    credited("Sia", ("Cheap Thrills (feat. Sean Paul)", 71))

    assert searched_titles(api_client, "sean paul we") == [
        "We Be Burnin'",
        "Cheap Thrills (feat. Sean Paul)",
        "Temperature",
    ]


def test_a_title_starting_with_a_word_of_the_query_first(api_client, small_result):
    """Of an artist's songs whose titles hold "the", the one starting with it (people type a
    title's beginning) before a more popular one holding it further on."""
    credited(
        "Elvis Presley",
        ("Suspicious Minds", 80),
        ("In the Ghetto", 69),
        ("The Girl of My Best Friend", 50),
    )

    assert searched_titles(api_client, "elvis presley the") == [
        "The Girl of My Best Friend",
        "In the Ghetto",
    ]  # "the" is a term: a title without it is no match


def test_the_whole_ranking_orders_them_alike():
    from catalog.selectors.search import song_search, song_search_ranked
    from catalog.selectors.songs import song_list

    credited("Hans Zimmer", ("Time", 72), ("I'm Not a Hero", 60), ("A Dark Knight", 54))
    credited("Sia", ("Hans Zimmer Suite", 10))

    whole = list(song_search(song_list(), "hans zimmer a").values_list("title", flat=True))
    ranked = song_search_ranked(song_list(), "hans zimmer a")

    assert (
        whole
        == [song.title for song in ranked[0:20]]
        == ["A Dark Knight", "Hans Zimmer Suite", "I'm Not a Hero", "Time"]
    )


def test_when_any_term_will_do_the_closest_title_comes_first_as_before(api_client, small_result):
    """No song has "back" and "flies": any term will do, and a term a title lacks is then in
    no artist's name. Titles holding one term each come closest first, not most popular
    first as in the tier of titles holding some of the query's words."""
    credited("Ben Howard", ("Black Flies", 50))
    credited("Somebody", ("Flies Over the Old Town at Night", 90), ("Back Home", 10))

    titles = searched_titles(api_client, "back flies")

    assert titles.index("Black Flies") < titles.index("Flies Over the Old Town at Night")
