"""Lists computed by a real Celery worker over real PostgreSQL and Redis: the web process
queues, the worker builds its own model and computes, the web serves the list it cached; a
catalog load in another process reaches the worker's next list."""

from __future__ import annotations

import pytest
from django_redis import get_redis_connection

from recommendations.models import Generation
from tests.catalog import ratings_worker
from tests.catalog.builders import song_row, upsert
from tests.catalog.ratings_worker import wait_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.real_celery]

worker_factory = ratings_worker.worker_factory


@pytest.fixture(autouse=True)
def _empty_broker():
    get_redis_connection("default").flushdb()
    yield
    get_redis_connection("default").flushdb()


def _once_done(client, status_url: str) -> dict:
    """The list of the task at `status_url`, once the worker has computed it."""
    wait_for(
        lambda: client.get(status_url).json()["state"] == "success", timeout=60, message="the worker's list"
    )
    return client.get(status_url).json()["result"]


def test_a_queued_list_is_computed_by_the_worker_and_then_served_from_the_cache(
    worker_factory, make_auth_client, world, settings
):
    settings.RECOMMENDATIONS_SYNC_BUILD_MAX_SONGS = 0  # this process may not build a model
    worker_factory()
    listener = UserFactory(profile__favorite_genres=["jazz"], profile__moods=[])
    client = make_auth_client(listener)

    queued = client.get(f"/api/recommendations/user/{listener.pk}/", {"limit": 5})
    assert queued.status_code == 202
    result = _once_done(client, queued.json()["status_url"])
    served = client.get(f"/api/recommendations/user/{listener.pk}/", {"limit": 5})

    assert served.status_code == 200
    assert [i["song"]["id"] for i in served.json()["results"]] == [
        i["song"]["id"] for i in result["results"]
    ][:5]
    assert {i["song"]["artists"][0]["name"] for i in result["results"][:4]} <= {"Gamma", "Delta"}
    assert Generation.objects.count() == 1


def _refreshed(client, user_id: int) -> list[dict]:
    """A list the worker computes (a refresh always queues), once it has."""
    queued = client.post(f"/api/recommendations/user/{user_id}/refresh/", {"limit": 2}, format="json")
    assert queued.status_code == 202
    return _once_done(client, queued.json()["status_url"])["results"]


def test_a_load_in_another_process_reaches_the_workers_next_list(worker_factory, make_auth_client, world):
    worker_factory()
    listener = UserFactory(profile__favorite_genres=["k-pop"], profile__moods=[])
    client = make_auth_client(listener)
    before = _refreshed(client, listener.pk)  # the worker builds its model: no k-pop yet
    assert not any("k-pop" in item["song"]["genres"] for item in before)

    upsert([song_row(900 + i, genres=["k-pop"], artists=[f"Idol {i}"]) for i in range(2)])
    after = _refreshed(client, listener.pk)

    assert all("k-pop, a genre you like" in item["reasons"] for item in after)
