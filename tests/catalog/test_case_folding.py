"""`title=` and the artist search ignore the case of any letter, not of ASCII ones only, on
either database (SQLite's LIKE folds ASCII only)."""

from __future__ import annotations

import pytest

from tests.factories import ArtistFactory, SongArtistFactory, SongFactory

pytestmark = pytest.mark.django_db


def test_title_filter_ignores_the_case_of_any_letter(api_client):
    summer = {SongFactory(title=title).pk for title in ("Un été à Paris", "ÉTÉ INDIEN", "Nuits d'Été")}
    SongFactory(title="Ete sans accents")
    moscow = SongFactory(title="Москва").pk

    def found(value: str) -> set[int]:
        response = api_client.get("/api/songs/", {"title": value})
        assert response.status_code == 200
        return {song["id"] for song in response.json()["results"]}

    for value in ("ÉTÉ", "été", "Été"):
        assert found(value) == summer, value
    assert found("МОСКВА") == {moscow}


def test_artist_search_ignores_the_case_of_any_letter(api_client):
    # A name that holds the query as typed: the names closest to it are not looked for.
    artists = {ArtistFactory(name=name).pk for name in ("BJÖRK GUÐMUNDSDÓTTIR", "Björk Tribute Band")}

    response = api_client.get("/api/artists/", {"search": "björk"})

    assert {found["id"] for found in response.json()["results"]} == artists


def _searched(api_client, query: str) -> set[str]:
    response = api_client.get("/api/songs/", {"search": query, "page_size": 100})
    assert response.status_code == 200, response.content
    return {song["title"] for song in response.json()["results"]}


def test_song_search_ignores_the_case_of_any_letter(api_client):
    # SQLite reads the songs that may match with LIKE, which folds ASCII letters only: the
    # titles and names it would not fold must be found all the same.
    for title in ("ÉTÉ INDIEN", "Un été à Paris", "Ete sans accents", "СЛОВО МОСКВА"):
        SongFactory(title=title)
    edith = ArtistFactory(name="ÉDITH PIAF")
    SongArtistFactory(song=SongFactory(title="La Vie en rose"), artist=edith, position=0)

    assert {"ÉTÉ INDIEN", "Un été à Paris"} <= _searched(api_client, "été")
    assert "ÉTÉ INDIEN" in _searched(api_client, "ÉTÉ indien")
    assert "СЛОВО МОСКВА" in _searched(api_client, "москва")
    assert "La Vie en rose" in _searched(api_client, "édith vie")
    # A query of 1-2 letter words: the titles starting with it.
    assert "ÉTÉ INDIEN" in _searched(api_client, "ét")
