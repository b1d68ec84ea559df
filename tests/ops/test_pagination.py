"""Page parameters every list shares (music_discovery/pagination.py)."""

from __future__ import annotations

import pytest

from tests.factories import SongFactory

LISTS = ["/api/songs/", "/api/artists/", "/api/genres/", "/api/ratings/"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("value", ["", "abc", "0", "-1", "2.5", "١"])
def test_a_page_size_that_is_not_a_positive_whole_number_is_a_400_naming_it(auth_client, path, value):
    response = auth_client.get(path, {"page_size": value})

    assert response.status_code == 400
    assert "page_size" in response.json()


@pytest.mark.parametrize("path", LISTS)
# Each of `１`, `١`, ` 1` and `+1` is page 1 to Python's int().
@pytest.mark.parametrize("value", ["", "abc", "0", "１", "١", " 1", "+1"])
def test_a_page_that_is_not_a_page_number_is_a_404(auth_client, path, value):
    response = auth_client.get(path, {"page": value})

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_a_large_page_size_is_capped_not_refused(auth_client):
    SongFactory.create_batch(3)

    response = auth_client.get("/api/songs/", {"page_size": "1000", "page": "1"})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_account_writes_take_json_only(auth_client):
    response = auth_client.patch("/api/users/me/", {"first_name": "Ana"}, format="multipart")

    assert response.status_code == 415
