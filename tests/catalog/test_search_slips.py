"""Which word a typo meant, the same rules on SQLite and PostgreSQL: the slips trigram
similarity misses (two letters swapped in a short word), the most likely of the words one
edit away (`search_corrections.likelihood`), a word's beginning that a far more frequent word
one edit away outweighs (`search_corrections.prevailing`), and a query read again when no song
has every term as typed (`search_words.reread`)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.selectors import search_ranking
from catalog.selectors.search import corrected_query
from catalog.selectors.search_text import neighbouring_key
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory

pytestmark = pytest.mark.django_db


def search(api_client, query: str) -> list[str]:
    response = api_client.get("/api/songs/", {"search": query})
    assert response.status_code == 200, response.json()
    return [song["title"] for song in response.json()["results"]]


def test_two_letters_swapped_in_a_short_word_find_the_word(api_client):
    # "hlelo" shares two of its trigrams with "hello", three with "hielo".
    for title in ("Hello", "Hello Again", "Angel de Hielo", "Shape of You", "Yuko Theme"):
        SongFactory(title=title)

    assert search(api_client, "hlelo")[:2] == ["Hello", "Hello Again"]
    assert search(api_client, "shape of yuo")[0] == "Shape of You"


def test_a_correction_keeps_the_first_letter_typed(api_client):
    for title in ("Canto delle menti", "Il tango delle capinere", "La Pastorella delle Alpi"):
        SongFactory(title=title)
    SongArtistFactory(song=SongFactory(title="Hello"), artist=ArtistFactory(name="Adele"))

    assert corrected_query(connection.alias, "adelle") == "adele"


def test_a_far_more_frequent_correction_outweighs_a_lost_letter(api_client):
    """ "ryaan" is one letter from "royaan" (left out) and from "ryan" (typed too many): the
    word twenty times as frequent is the one meant."""
    SongFactory(title="Royaan Theme")
    for i in range(20):
        SongFactory(title=f"Ryan Song {i}")

    assert corrected_query(connection.alias, "ryaan") == "ryan"


def test_a_letter_replaced_by_its_neighbour_on_the_keyboard_is_the_likelier_slip(api_client):
    """ "bitd" is "bird" with the r's neighbour typed, and "bite" with a letter replaced at
    random: the neighbour's word is meant though the other is more frequent."""
    for title in ("Blue Bird", "Bird Song"):
        SongFactory(title=title)
    for i in range(5):
        SongFactory(title=f"Bite {i}")

    assert corrected_query(connection.alias, "bitd") == "bird"
    assert search(api_client, "blue bitd")[0] == "Blue Bird"


@pytest.fixture
def spirit_titles(db):
    """`spirt` starts one title word ("Spirto"), and is one letter from "spirit", which
    titles hold ten times as often (`search_corrections.PREVAILS`)."""
    SongFactory(title="Spirto Gentil")
    SongFactory(title="Smells Like Teen Spirit", popularity=10)
    SongFactory(title="Teen Dream", popularity=90)
    for i in range(9):
        SongFactory(title=f"Spirit {i}")


def test_a_word_beginning_is_corrected_too_when_a_word_one_edit_away_prevails(api_client, spirit_titles):
    # Only the song with both terms: "spirit" is one of the variants of `spirt`.
    assert search(api_client, "teen spirt") == ["Smells Like Teen Spirit"]
    # Taken as typed too: what the corrected query reads keeps it.
    assert corrected_query(connection.alias, "teen spirt") == "teen spirt"


def test_a_word_alone_stays_a_beginning(api_client, spirit_titles):
    assert search(api_client, "spirt") == ["Spirto Gentil"]


def test_a_correction_less_than_ten_times_as_frequent_is_none_while_a_song_has_every_term(
    api_client, spirit_titles
):
    SongFactory._meta.model.objects.filter(title="Spirit 8").delete()  # 9 "spirit", 1 "spirto"
    SongFactory(title="Teen Spirto")  # now 2 "spirto"

    assert search(api_client, "teen spirt") == ["Teen Spirto"]


def test_a_word_of_the_catalog_is_meant_as_typed_while_a_song_has_every_term(api_client, spirit_titles):
    SongFactory(title="Spirt Teen")  # a word of its own, not only a beginning
    for i in range(30):  # "spirit" would prevail: 40 against 3
        SongFactory(title=f"Spirit Again {i}")

    assert search(api_client, "teen spirt") == ["Spirt Teen"]


@pytest.fixture
def loved_titles(db):
    """ "lived" is a word of the catalog, one letter from "loved", which titles hold twice
    as often (`search_corrections.PREVAILS_AGAIN`); no title holds "someone", "you" and "lived"."""
    SongFactory(title="Someone You Loved", popularity=80)
    SongFactory(title="Loved Again", popularity=90)
    SongFactory(title="Lived Once", popularity=95)
    SongFactory(title="You Belong", popularity=99)


@pytest.mark.parametrize("ranked_whole", [True, False])
def test_a_typo_that_is_a_word_is_read_again_when_no_song_has_every_term(
    api_client, loved_titles, monkeypatch, ranked_whole
):
    if not ranked_whole:  # PostgreSQL's search of many expected matches, tier by tier
        monkeypatch.setattr(search_ranking, "SMALL_RESULT", -1)

    # Read as typed, any term would do: every song but "Loved Again" would be listed.
    assert search(api_client, "someone you lived") == ["Someone You Loved"]


@pytest.mark.parametrize("params", [{"ordering": "-popularity"}, {"ordering": "title"}])
def test_a_query_read_again_in_another_order(api_client, loved_titles, params):
    response = api_client.get("/api/songs/", {"search": "someone you lived", **params})

    assert [song["title"] for song in response.json()["results"]] == ["Someone You Loved"]


def test_a_typo_that_is_a_word_is_meant_as_typed_while_a_song_has_every_term(api_client, loved_titles):
    SongFactory(title="Someone You Lived With")

    assert search(api_client, "someone you lived") == ["Someone You Lived With"]


def test_a_word_one_edit_away_less_than_twice_as_frequent_reads_nothing_again(api_client, loved_titles):
    SongFactory(title="Lived Twice")  # 2 "lived", 2 "loved"

    assert len(search(api_client, "someone you lived")) > 1


def test_a_letter_replaced_by_its_neighbour_is_looked_up_as_typed(api_client):
    """ "cst" shares one trigram of seven with "cat", under the similarity the trigram
    indexes look for: its neighbouring-key slips are looked up as they are."""
    SongFactory(title="Black Cat")

    assert corrected_query(connection.alias, "cst") == "cat"


def test_neighbouring_keys():
    assert neighbouring_key("bitd", "bird")
    assert neighbouring_key("lived", "loved")  # i and o are neighbours
    assert not neighbouring_key("lived", "laved")
    assert neighbouring_key("lovwd", "loved")
    assert neighbouring_key("bitd", "bits")  # s is d's neighbour too
    assert not neighbouring_key("bitd", "bite")
    assert not neighbouring_key("bird", "birds")
    assert not neighbouring_key("bitd", "bitd")


@pytest.mark.postgres
def test_a_query_read_again_looks_its_terms_up_once(api_client, loved_titles):
    """The reread looks up only the words one edit from each term: whether each term is
    known, and its counts, come from the first reading (`parse_postgres`'s `looked_up`)."""
    with CaptureQueriesContext(connection) as captured:
        assert search(api_client, "someone you lived") == ["Someone You Loved"]

    assert sum(" AS known" in q["sql"] for q in captured.captured_queries) == 1


def test_a_query_read_again_reads_the_catalogs_words_once(api_client, loved_titles):
    """The SQLite path parses over every title's and name's words: a query read again is
    parsed over the same words, not read again (on PostgreSQL no statement reads them all)."""
    with CaptureQueriesContext(connection) as captured:
        assert search(api_client, "someone you lived") == ["Someone You Loved"]

    every_name = 'SELECT "catalog_artist"."name" AS "name" FROM "catalog_artist" ORDER BY'
    assert sum(q["sql"].startswith(every_name) for q in captured.captured_queries) <= 1
