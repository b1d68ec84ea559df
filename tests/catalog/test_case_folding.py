"""`title=` and the artist search ignore the case of any letter, not of ASCII ones only, on
either database (SQLite's LIKE folds ASCII only)."""

from __future__ import annotations

import pytest

from tests.factories import ArtistFactory, SongFactory

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
