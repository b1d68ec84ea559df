"""Which word a typo meant, the same rules on SQLite and PostgreSQL: the slips trigram
similarity misses (two letters swapped in a short word), the most likely of the words one
edit away (`search_words._likelihood`), and a word's beginning that a far more frequent word
one edit away outweighs (`search_words._prevailing`)."""

from __future__ import annotations

import pytest
from django.db import connection

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
    titles hold ten times as often (`search_words.PREVAILS`)."""
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


def test_a_correction_less_than_ten_times_as_frequent_is_none(api_client, spirit_titles):
    SongFactory._meta.model.objects.filter(title="Spirit 8").delete()  # 9 "spirit", 1 "spirto"

    # No song has both terms as typed: the songs with either are listed.
    assert len(search(api_client, "teen spirt")) > 1


def test_a_word_of_the_catalog_is_meant_as_typed(api_client, spirit_titles):
    SongFactory(title="Spirt")  # now a word of its own, not only a beginning
    for i in range(30):  # "spirit" still prevails: 40 against 2
        SongFactory(title=f"Spirit Again {i}")

    assert search(api_client, "teen spirt") != ["Smells Like Teen Spirit"]


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
