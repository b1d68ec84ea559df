"""/healthz and /readyz, including the outages they exist for."""

import pytest
from django.db import OperationalError, connection

from tests.factories import SongFactory

pytestmark = pytest.mark.django_db


def test_healthz_is_200_and_never_cached(api_client):
    response = api_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_probes_answer_whatever_the_host_header(api_client):
    # Container healthchecks call by IP address, which ALLOWED_HOSTS does not list.
    assert api_client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert api_client.get("/readyz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    # Everything else still refuses an unknown host, in JSON under /api/.
    refused = api_client.get("/api/schema/", HTTP_HOST="10.0.0.7:8000")
    assert refused.status_code == 400
    assert refused.json() == {"detail": "Bad request."}


def test_readyz_names_each_dependency(api_client, settings):
    response = api_client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"
    expected_broker = "in-process" if settings.CELERY_TASK_ALWAYS_EAGER else "ok"
    assert body["checks"]["broker"] == expected_broker


@pytest.mark.redis
def test_readyz_reaches_the_real_redis(api_client):
    body = api_client.get("/readyz").json()

    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}


def test_redis_down_is_503_naming_cache_and_broker(api_client, point_redis_at, dead_port):
    point_redis_at(f"redis://127.0.0.1:{dead_port}/0")

    response = api_client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["down"] == ["cache", "broker"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("down")
    assert body["checks"]["broker"].startswith("down")


def test_api_keeps_answering_while_redis_is_down(
    api_client, auth_client, point_redis_at, dead_port, django_capture_on_commit_callbacks
):
    point_redis_at(f"redis://127.0.0.1:{dead_port}/0")
    song = SongFactory()

    # Anonymous and authenticated requests both go through the throttles, which use the
    # cache: a dead Redis must read as "no history", not as a 500.
    assert api_client.get("/api/schema/").status_code == 200
    assert api_client.get("/api/songs/", {"search": song.title}).status_code == 200
    assert api_client.get("/api/no-such-thing/").status_code == 404
    me = auth_client.get("/api/users/me/")
    assert me.status_code == 200
    assert me.json()["username"] == auth_client.user.username
    # A write whose background bookkeeping goes through Redis still succeeds.
    with django_capture_on_commit_callbacks(execute=True):
        rated = auth_client.post("/api/ratings/", {"song": song.pk, "score": 4}, format="json")
    assert rated.status_code == 201


@pytest.mark.redis
def test_real_redis_outage_then_recovery_of_readiness(api_client, point_redis_at, private_redis):
    point_redis_at(private_redis["url"])
    assert api_client.get("/readyz").status_code == 200

    private_redis["stop"]()

    response = api_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["cache", "broker"]
    assert api_client.get("/api/schema/").status_code == 200


def test_database_down_is_503_naming_the_database(api_client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    response = api_client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["database"]
    assert body["checks"]["database"] == "down: OperationalError"
    assert body["checks"]["cache"] == "ok"


def test_readyz_logs_what_is_down(api_client, point_redis_at, dead_port, caplog):
    point_redis_at(f"redis://127.0.0.1:{dead_port}/0")

    with caplog.at_level("WARNING", logger="music_discovery.health"):
        api_client.get("/readyz")

    assert {record.check for record in caplog.records if record.name == "music_discovery.health"} == {
        "cache",
        "broker",
    }


def test_probes_accept_head_and_refuse_writes(api_client):
    # Some load balancers probe with HEAD.
    assert api_client.head("/healthz").status_code == 200
    assert api_client.head("/readyz").status_code == 200
    assert api_client.post("/healthz").status_code == 405
