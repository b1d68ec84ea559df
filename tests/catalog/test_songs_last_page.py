"""`?page=last` of a song list: the real last page where the count is exact; where it is an
estimate (X-Total-Count-Exact: false), which may fall short of the real count or exceed it,
the page the estimate names only when it is the last one, else a 404 saying that `last`
needs an exact count: never a page past the end, or one that is not the last."""

from __future__ import annotations

import pytest

from catalog.views.pagination import LAST_NEEDS_EXACT_COUNT
from tests.factories import SongFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("estimate", [25, 60], ids=["short", "over"])
def test_last_of_an_estimated_count_is_a_404_saying_it_needs_an_exact_count(
    api_client, monkeypatch, estimate
):
    """40 songs: an estimate of 25 would name page 3 (not the last, a `next` link after it),
    one of 60 page 6 (past the end: "Invalid page.")."""
    monkeypatch.setattr("catalog.selectors.songs.queryset_count_bounded", lambda queryset: (estimate, False))
    SongFactory.create_batch(40)

    response = api_client.get("/api/songs/?page_size=10&page=last")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": LAST_NEEDS_EXACT_COUNT}
    assert "page=last" in LAST_NEEDS_EXACT_COUNT and "estimate" in LAST_NEEDS_EXACT_COUNT
    # The numbered pages are served as before.
    assert api_client.get("/api/songs/?page_size=10&page=4").status_code == 200


def test_last_of_an_estimate_that_names_the_last_page_is_that_page(api_client, monkeypatch):
    """42 songs, an estimate of 45: page 5 of 10 holds the last 2, and no song follows."""
    monkeypatch.setattr("catalog.selectors.songs.queryset_count_bounded", lambda queryset: (45, False))
    ids = [SongFactory().pk for _ in range(42)]

    response = api_client.get("/api/songs/?page_size=10&page=last")

    assert response.status_code == 200
    body = response.json()
    assert [song["id"] for song in body["results"]] == ids[40:]
    assert body["next"] is None and body["count"] == 42


def test_last_of_an_exact_count_is_the_last_page(api_client):
    ids = [SongFactory().pk for _ in range(25)]

    response = api_client.get("/api/songs/?page_size=10&page=last")

    assert response.status_code == 200 and response["X-Total-Count-Exact"] == "true"
    body = response.json()
    assert body["next"] is None and body["count"] == 25
    assert [song["id"] for song in body["results"]] == ids[20:]


@pytest.mark.postgres
def test_last_of_a_search_by_relevance_counted_up_to_its_page_is_a_404(api_client, monkeypatch):
    """A common word's search by relevance, paged through its tiers, counts the songs up to
    the page asked for: `last` has no page to name."""
    monkeypatch.setattr("catalog.selectors.search_ranking.SMALL_RESULT", -1)
    for i in range(30):
        SongFactory(title=f"Love {i:02d}")

    response = api_client.get("/api/songs/?search=love&page_size=10&page=last")

    assert response.status_code == 404
    assert response.json() == {"detail": LAST_NEEDS_EXACT_COUNT}


def test_the_schema_says_last_needs_an_exact_count(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in ("/api/songs/", "/api/artists/"):
        (page,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "page"]
        assert "`last` needs an exact count" in page["description"], path
        assert {"type": "string", "enum": ["last"]} in page["schema"]["oneOf"], path
