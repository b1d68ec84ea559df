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


@pytest.mark.django_db
def test_the_schema_states_page_sizes_default_and_cap(api_client):
    """Every paginated list's page_size says what the lists do: 20 when absent, a larger value
    than 100 capped (so the schema gives it no maximum, which would make 1000 invalid)."""
    paths = api_client.get("/api/schema/?format=json").json()["paths"]
    parameters = [
        parameter
        for operations in paths.values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "page_size"
    ]

    assert len(parameters) >= len(LISTS)
    for parameter in parameters:
        assert parameter["schema"] == {"type": "integer", "minimum": 1, "default": 20}
        assert "default 20" in parameter["description"]
        assert "at most 100" in parameter["description"]
        assert "capped" in parameter["description"]
