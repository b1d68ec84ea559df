"""A load writes its new songs and their credits most popular first, so that a search's
bounded read of a common word's matches (table order) reaches the most popular ones.
PostgreSQL only: the other path ranks every match."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.catalog.builders import song_row, upsert

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def bounded(monkeypatch):
    """Each way of finding matches reads 3 songs, and every search is paged tier by tier;
    the catalog's tables start anew, with no free space left by earlier tests' rows, where
    PostgreSQL would put rows wherever it has room (a layout is kept by the rows a load
    appends, not by space it reuses)."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE catalog_song, catalog_artist, catalog_genre CASCADE")
    monkeypatch.setattr("catalog.selectors.search_ranking.RANK_AT_MOST", 3)
    monkeypatch.setattr("catalog.selectors.search_ranking.WHOLE_AT_MOST", 3)
    monkeypatch.setattr("catalog.selectors.search_ranking.SMALL_RESULT", -1)


def listed(api_client, query: str) -> set[str]:
    response = api_client.get("/api/songs/", {"search": query, "page_size": 100})
    assert response.status_code == 200, response.json()
    return {song["title"] for song in response.json()["results"]}


def test_the_most_popular_titles_holding_a_common_word_are_reached(api_client, bounded):
    # The file lists the least popular first; none starts with the word (no prefix tier).
    upsert([song_row(i, title=f"Song {i} Love", popularity=i, artists=[f"Singer {i}"]) for i in range(12)])

    assert listed(api_client, "love") == {"Song 11 Love", "Song 10 Love", "Song 9 Love"}


def test_the_most_popular_songs_of_artists_named_by_a_common_word_are_reached(api_client, bounded):
    upsert([song_row(i, title=f"Tune {i}", popularity=i, artists=[f"Lovers {i}"]) for i in range(12)])

    assert listed(api_client, "lovers") == {"Tune 11", "Tune 10", "Tune 9"}


def test_a_later_load_lays_out_its_own_songs_most_popular_first(api_client, bounded):
    upsert([song_row(i, title=f"Old {i}", popularity=50, artists=["Old Band"]) for i in range(2)])
    upsert([song_row(i, title=f"Song {i} Love", popularity=i, artists=[f"Singer {i}"]) for i in range(2, 14)])

    assert listed(api_client, "love") == {"Song 13 Love", "Song 12 Love", "Song 11 Love"}
