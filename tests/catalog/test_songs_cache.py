"""GET /api/songs/ answered from the anonymous list cache, and the throttles around it."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from catalog import list_cache
from catalog.models import Song
from tests.factories import SongFactory

pytestmark = pytest.mark.django_db


def test_anonymous_repeat_is_served_from_cache(api_client):
    song = SongFactory(title="Cached Song")

    first = api_client.get("/api/songs/?search=cached&page_size=5")
    Song.objects.filter(pk=song.pk).update(title="Renamed")
    second = api_client.get("/api/songs/?search=cached&page_size=5")
    # The same query with its parameters in another order and the search in other case.
    third = api_client.get("/api/songs/?page_size=5&search=%20CACHED")
    # A different query is not served from the entry.
    other = api_client.get("/api/songs/?search=cached&page_size=6")

    assert first.json()["count"] == 1
    assert "X-Cache" not in first
    assert second["X-Cache"] == third["X-Cache"] == "hit"
    assert second.json() == third.json() == first.json()
    assert "X-Cache" not in other
    assert other.json()["count"] == 0


def test_a_repeated_parameter_in_another_order_is_another_query(api_client):
    """The last value of a repeated parameter is the one that counts: reordering its values
    is another query, never served from the other's entry."""
    SongFactory(title="Alpha", popularity=10)
    SongFactory(title="Beta", popularity=90)

    def first_title(query: str) -> str:
        return api_client.get(f"/api/songs/?page_size=1&{query}").json()["results"][0]["title"]

    assert first_title("ordering=title&ordering=-popularity") == "Beta"
    assert first_title("ordering=-popularity&ordering=title") == "Alpha"
    assert first_title("ordering=title&ordering=-popularity") == "Beta"  # its own entry, a hit


@pytest.mark.parametrize(("cached", "refused"), [("", "%00"), ("a%20b", "a%00b")])
def test_a_search_the_filter_refuses_is_never_answered_from_a_cached_one(api_client, cached, refused):
    """The key normalizes the search text, which drops control characters: a NUL, which the
    filter refuses, must not make the request another one's repeat."""
    SongFactory(title="A B")
    api_client.get(f"/api/songs/?search={cached}")

    response = api_client.get(f"/api/songs/?search={refused}")

    assert "X-Cache" not in response
    assert response.status_code == 400


def test_a_cache_hit_costs_no_query_and_keeps_the_response_headers(api_client, django_assert_num_queries):
    SongFactory(title="Cached Song")
    first = api_client.get("/api/songs/?search=cached")

    with django_assert_num_queries(0):
        hit = api_client.get("/api/songs/?search=cached")

    assert hit["X-Cache"] == "hit"
    assert hit.json() == first.json()
    for header in ("Content-Type", "X-Total-Count-Exact", "X-Frame-Options"):
        assert hit[header] == first[header]


def test_a_process_keeps_its_copy_of_a_hit_until_the_shared_entry_expires(api_client, monkeypatch):
    SongFactory(title="Cached Song")
    api_client.get("/api/songs/?search=cached")
    api_client.get("/api/songs/?search=cached")  # a hit: this process now holds a copy
    cache.clear()  # the shared entry is gone

    from_memory = api_client.get("/api/songs/?search=cached")
    started = time.time()
    monkeypatch.setattr(list_cache, "_now", lambda: started + list_cache.LIST_CACHE_SECONDS + 1)
    after_expiry = api_client.get("/api/songs/?search=cached")

    assert from_memory["X-Cache"] == "hit"
    assert "X-Cache" not in after_expiry


def test_the_cache_is_per_host_because_pagination_links_are_absolute(api_client):
    SongFactory.create_batch(3, title="Paged Song")
    api_client.get("/api/songs/?search=paged&page_size=1", HTTP_HOST="localhost")

    other_host = api_client.get("/api/songs/?search=paged&page_size=1", HTTP_HOST="127.0.0.1")

    assert "X-Cache" not in other_host
    assert other_host.json()["next"].startswith("http://127.0.0.1/")


def test_authenticated_requests_are_never_served_from_the_anonymous_cache(api_client, auth_client):
    song = SongFactory(title="Cached Song")
    api_client.get("/api/songs/?search=cached")
    Song.objects.filter(pk=song.pk).update(title="Renamed")

    response = auth_client.get("/api/songs/?search=cached")

    assert "X-Cache" not in response
    assert response.json()["count"] == 0


def test_cached_repeats_do_not_count_against_the_anonymous_throttle(api_client, monkeypatch):
    """A repeat answered from the cache costs no database query, so it does not spend the
    throttle, which protects the database: only requests that reach the view do."""
    monkeypatch.setattr(AnonRateThrottle, "get_rate", lambda self: "3/min")
    SongFactory(title="Popular Song")

    repeats = [api_client.get("/api/songs/?search=popular") for _ in range(10)]
    # Three distinct lists reach the view: the first (above) and two more.
    distinct = [api_client.get("/api/songs/", {"search": "popular", "page_size": n}) for n in (5, 6)]
    refused = api_client.get("/api/songs/?search=popular&page_size=7")
    still_cached = api_client.get("/api/songs/?search=popular")

    assert [r.status_code for r in repeats] == [200] * 10
    assert all(r["X-Cache"] == "hit" for r in repeats[1:])
    assert [r.status_code for r in distinct] == [200, 200]
    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert still_cached.status_code == 200 and still_cached["X-Cache"] == "hit"


def test_authenticated_lists_are_never_cached_so_each_counts(auth_client, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "get_rate", lambda self: "2/min")
    SongFactory(title="Popular Song")

    statuses = [auth_client.get("/api/songs/?search=popular").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_anonymous_requests_are_counted_in_the_anonymous_scope_alone(api_client, monkeypatch):
    """The `user` rate is the signed-in users': an anonymous caller spends only its own."""
    monkeypatch.setattr(UserRateThrottle, "get_rate", lambda self: "2/min")
    monkeypatch.setattr(AnonRateThrottle, "get_rate", lambda self: "4/min")

    statuses = [api_client.get("/api/songs/", {"page_size": n}).status_code for n in range(1, 6)]

    assert statuses == [200, 200, 200, 200, 429]


def test_error_responses_are_not_cached(api_client):
    first = api_client.get("/api/songs/?key=99")
    second = api_client.get("/api/songs/?key=99")
    assert first.status_code == second.status_code == 400
    assert "X-Cache" not in second


def test_cache_degrades_silently_when_redis_is_down(api_client, point_redis_at, dead_port):
    SongFactory(title="Still Served")
    # Django swaps its cache connections when CACHES changes; the throttle then degrades too.
    point_redis_at(f"redis://127.0.0.1:{dead_port}/0")
    first = api_client.get("/api/songs/?search=served")
    second = api_client.get("/api/songs/?search=served")

    assert first.status_code == second.status_code == 200
    assert second.json()["count"] == 1
    assert "X-Cache" not in second
