"""GET /api/genres/: every genre with its song count, most songs first."""

from __future__ import annotations

import pytest

from catalog.models import Genre
from tests.factories import GenreFactory, SongFactory

pytestmark = pytest.mark.django_db


def test_genres_most_songs_first_then_by_name(api_client):
    SongFactory.create_batch(3, genres=["pop"])
    SongFactory.create_batch(2, genres=["rock", "indie"])
    SongFactory(genres=["pop", "rock"])
    GenreFactory(name="Jazz")

    response = api_client.get("/api/genres/")

    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}
    assert response.json()["results"] == [
        {"name": "pop", "song_count": 4},
        {"name": "rock", "song_count": 3},
        {"name": "indie", "song_count": 2},
        {"name": "jazz", "song_count": 0},
    ]


def test_counts_are_recounted_after_a_while_not_per_request(api_client, django_assert_num_queries):
    SongFactory(genres=["pop"])
    api_client.get("/api/genres/")
    SongFactory(genres=["pop"])

    with django_assert_num_queries(0):
        cached = api_client.get("/api/genres/").json()

    assert cached["results"] == [{"name": "pop", "song_count": 1}]


def test_page_size_is_capped_at_100(api_client):
    Genre.objects.bulk_create(Genre(name=f"genre {i:03d}") for i in range(105))

    default = api_client.get("/api/genres/").json()
    big = api_client.get("/api/genres/?page_size=500").json()

    assert default["count"] == big["count"] == 105
    assert len(default["results"]) == 20
    assert len(big["results"]) == 100
    assert api_client.get("/api/genres/?page=99").status_code == 404
