"""The anonymous list cache answers only what the view would: a request whose `Accept` the
API cannot serve gets its 406 whether or not the cache holds the same query, and one the
view renders otherwise (`indent=`) gets that rendering."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from catalog.list_cache import list_cache_clear_local
from tests.factories import SongFactory

pytestmark = pytest.mark.django_db

URL = "/api/songs/?search=cachetest1"

ACCEPTS = [
    "application/xml",
    "text/html",
    "text/csv, application/xml;q=0.9",
    "application/json; indent=4",
    "*/*",
    "application/json",
    "application/json, text/plain, */*",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
]


def answer(api_client, accept: str | None) -> tuple[int, bytes, str | None]:
    headers = {"HTTP_ACCEPT": accept} if accept is not None else {}
    response = api_client.get(URL, **headers)
    return response.status_code, response.content, response.get("Content-Type")


def forget() -> None:
    cache.clear()
    list_cache_clear_local()


@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_answer_does_not_depend_on_what_the_cache_holds(api_client, accept):
    SongFactory(title="Cachetest1 Song")
    forget()
    uncached = answer(api_client, accept)
    forget()
    api_client.get(URL)  # the plain JSON answer, cached

    cached = answer(api_client, accept)

    assert cached == uncached


def test_an_accept_the_api_cannot_serve_is_a_406_after_a_cached_json_answer(api_client):
    SongFactory(title="Cachetest1 Song")
    api_client.get(URL)
    assert api_client.get(URL)["X-Cache"] == "hit"

    response = api_client.get(URL, HTTP_ACCEPT="application/xml")

    assert response.status_code == 406
    assert "X-Cache" not in response
    assert response["Content-Type"].startswith("application/json")


def test_clients_accepting_json_share_the_cached_answer(api_client):
    SongFactory(title="Cachetest1 Song")
    first = api_client.get(URL)

    for accept in ("*/*", "application/json", "application/json, text/plain, */*"):
        response = api_client.get(URL, HTTP_ACCEPT=accept)
        assert response["X-Cache"] == "hit", accept
        assert response.content == first.content
