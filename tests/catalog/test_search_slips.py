"""Which word a typo meant, the same rules on SQLite and PostgreSQL: the slips trigram
similarity misses (two letters swapped in a short word), and the most likely of the words one
edit away (`search_words._likelihood`)."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.selectors.search import corrected_query
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
