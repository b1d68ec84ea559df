"""GET /api/songs/ in pages: a fixed number of queries, the page size cap, and counts that
reach every song (exact within a genre or an artist, never cutting a page at an estimate)."""

from __future__ import annotations

import pytest

from tests.catalog.builders import song_row, upsert
from tests.factories import ArtistFactory, RatingFactory, SongArtistFactory, SongFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("songs", [3, 15])
def test_list_reads_a_fixed_number_of_queries_whatever_the_page(
    make_auth_client, django_assert_num_queries, songs
):
    user = UserFactory()
    for i in range(songs):
        song = SongFactory(genres=["pop", f"genre {i}"])
        RatingFactory(user=user, song=song, score=3)
        for position in range(3):
            SongArtistFactory(song=song, artist=ArtistFactory(name=f"A{i}-{position}"), position=position)
    client = make_auth_client(user)

    # The user, the count, the page, then credits and genres, and the caller's ratings.
    with django_assert_num_queries(5):
        response = client.get("/api/songs/?page_size=20")

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == songs
    assert all(len(song["artists"]) == 3 and len(song["genres"]) == 2 for song in results)
    assert all(song["my_rating"] == 3 for song in results)
    assert [a["name"][-1] for a in results[0]["artists"]] == ["0", "1", "2"]


def test_list_is_paginated_and_page_size_is_capped_at_100(api_client):
    SongFactory.create_batch(105)

    default = api_client.get("/api/songs/")
    big = api_client.get("/api/songs/?page_size=500")

    assert set(default.json()) == {"count", "next", "previous", "results"}
    assert default.json()["count"] == 105
    assert len(default.json()["results"]) == 20
    assert len(big.json()["results"]) == 100
    assert default["X-Total-Count-Exact"] == "true"


def test_a_genre_page_and_its_count_are_one_statement(api_client, django_assert_num_queries):
    # The genre the text names (its name looked up), then its songs, read whole to be sorted
    # (song_results' `within_set`): the count comes with the page; then the page's credits
    # and genres.
    SongFactory.create_batch(3, genres=["pop"])
    SongFactory(genres=["rock"])

    with django_assert_num_queries(3):
        response = api_client.get("/api/songs/?genre=pop&ordering=-popularity")

    assert response.status_code == 200
    assert response.json()["count"] == 3 and len(response.json()["results"]) == 3
    assert response["X-Total-Count-Exact"] == "true"


def test_a_genre_is_paged_to_its_end_by_an_exact_count(api_client):
    pop = [SongFactory(title=f"Pop {i:02d}", genres=["pop"]).pk for i in range(25)]
    SongFactory(title="Pop elsewhere", genres=["rock"])

    def page(query: str) -> tuple[int, dict]:
        response = api_client.get(f"/api/songs/?genre=pop&page_size=10&{query}")
        return response.status_code, response.json()

    first, last = page("page=1")[1], page("page=3")[1]
    assert first["count"] == last["count"] == 25
    assert [song["id"] for song in first["results"]] == pop[:10]
    assert [song["id"] for song in last["results"]] == pop[20:] and last["next"] is None
    assert page("page=last")[1]["results"] == last["results"]
    searched = page("page=2&search=pop&ordering=-title")[1]
    assert searched["count"] == 25
    assert [song["title"] for song in searched["results"]] == [f"Pop {i:02d}" for i in range(14, 4, -1)]
    for query in ("page=4", "page=0", "page=99999999999999999999", "page=abc", "page=2&genre=jazz"):
        status, body = page(query)
        assert status == 404 and "detail" in body, query


def test_pages_past_a_count_estimate_that_falls_short_are_served(api_client, monkeypatch):
    """An estimate (X-Total-Count-Exact: false) can be below the real count (the planner's
    guess of a trigram match): no page is cut at it, the pages past it are served while
    they have songs, and a page followed by a song links to the next."""
    monkeypatch.setattr("catalog.selectors.songs.queryset_count_bounded", lambda queryset: (25, False))
    ids = [SongFactory().pk for _ in range(42)]

    def page(number: object) -> tuple[int, dict]:
        response = api_client.get(f"/api/songs/?page_size=10&page={number}")
        assert response.status_code != 200 or response["X-Total-Count-Exact"] == "false"
        return response.status_code, response.json()

    status, first = page(1)
    assert status == 200 and first["count"] == 25
    status, third = page(3)  # songs 21-30: the estimate would cut it at the 25th
    assert status == 200 and [song["id"] for song in third["results"]] == ids[20:30]
    assert third["count"] == 30 and "page=4" in third["next"]  # at least the songs seen
    status, fifth = page(5)
    assert status == 200 and [song["id"] for song in fifth["results"]] == ids[40:] and fifth["next"] is None
    assert fifth["count"] == 42
    for number in (6, 0, 99999999999999999999, "abc"):
        assert page(number)[0] == 404, number


@pytest.mark.parametrize("estimate", [25, 60])
def test_the_last_page_of_an_estimated_count_links_nowhere(api_client, monkeypatch, estimate):
    """Below the real count or above it, an estimate does not say where the pages end: a
    page links to the next only when a song follows it (a full page can be the last), and
    says how many songs there are then; a page past the end is a 404."""
    monkeypatch.setattr("catalog.selectors.songs.queryset_count_bounded", lambda queryset: (estimate, False))
    ids = [SongFactory().pk for _ in range(40)]

    first = api_client.get("/api/songs/?page_size=10&page=1").json()
    last = api_client.get("/api/songs/?page_size=10&page=4").json()

    assert "page=2" in first["next"]
    assert [song["id"] for song in last["results"]] == ids[30:] and last["next"] is None
    assert last["count"] == 40
    assert api_client.get("/api/songs/?page_size=10&page=5").status_code == 404


@pytest.mark.postgres
def test_a_genre_larger_than_the_planner_expects_lists_every_song(api_client):
    """The planner does not know which genre a name is, so it expects each to hold the
    average share: 1,060 songs / 21 genres here. A count of a genre of 1,040 songs taken
    from that estimate (or from the bounded count's 1,001) would refuse its last pages."""
    from django.db import connection

    upsert(
        [song_row(i, genres=["pop"]) for i in range(1_040)]
        + [song_row(1_040 + i, genres=[f"genre {i % 20}"]) for i in range(20)]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    for page in ("52", "last"):  # "last" is counted before its number is known
        response = api_client.get(f"/api/songs/?genre=pop&page={page}")

        assert response.status_code == 200, response.content
        assert response.json()["count"] == 1_040 and response["X-Total-Count-Exact"] == "true"
        assert [song["title"] for song in response.json()["results"]] == [
            f"Song number {i}" for i in range(1_020, 1_040)
        ]
