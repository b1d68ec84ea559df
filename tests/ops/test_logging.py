"""One log line per request and per task, with its duration; JSON lines when LOG_FORMAT=json."""

import json
import re
import textwrap
import uuid

import pytest
from rest_framework.test import APIClient

from music_discovery.celery import app as celery_app


@celery_app.task(name="tests.ops.double")
def double(value: int) -> int:
    return value * 2


@celery_app.task(name="tests.ops.explode")
def explode() -> None:
    raise ValueError("boom")


def records_of(caplog, logger: str) -> list:
    return [record for record in caplog.records if record.name == logger]


@pytest.mark.django_db
def test_one_record_per_request_with_its_fields(api_client, caplog):
    with caplog.at_level("INFO", logger="music_discovery.requests"):
        api_client.get("/healthz")

    [record] = records_of(caplog, "music_discovery.requests")
    assert (record.method, record.path, record.status) == ("GET", "/healthz", 200)
    assert isinstance(record.duration_ms, float) and record.duration_ms >= 0
    assert record.levelname == "INFO"


@pytest.mark.django_db
def test_each_request_gets_an_id_in_the_response_and_the_log(api_client, caplog):
    with caplog.at_level("INFO", logger="music_discovery.requests"):
        first = api_client.get("/healthz")
        second = api_client.get("/api/no-such-thing/")

    ids = [first["X-Request-ID"], second["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", request_id) for request_id in ids)
    assert ids[0] != ids[1]
    assert [record.request_id for record in records_of(caplog, "music_discovery.requests")] == ids


@pytest.mark.django_db
def test_the_proxy_request_id_is_kept(api_client, caplog):
    with caplog.at_level("INFO", logger="music_discovery.requests"):
        response = api_client.get("/healthz", HTTP_X_REQUEST_ID="4f9c2d0e8b7a41f6a1c3e5d7b9f0a2c4")

    assert response["X-Request-ID"] == "4f9c2d0e8b7a41f6a1c3e5d7b9f0a2c4"
    [record] = records_of(caplog, "music_discovery.requests")
    assert record.request_id == "4f9c2d0e8b7a41f6a1c3e5d7b9f0a2c4"


@pytest.mark.django_db
@pytest.mark.parametrize("given", ["two words", "x" * 65, "id\nforged log line", ""])
def test_an_unusable_request_id_is_replaced(api_client, given):
    response = api_client.get("/healthz", HTTP_X_REQUEST_ID=given)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.django_db
@pytest.mark.urls("tests.ops.error_urls")
def test_a_failing_request_is_logged_once_at_error_level(caplog):
    client = APIClient(raise_request_exception=False)

    with caplog.at_level("INFO", logger="music_discovery.requests"):
        client.get("/api/test-crash/")

    [record] = records_of(caplog, "music_discovery.requests")
    assert (record.path, record.status, record.levelname) == ("/api/test-crash/", 500, "ERROR")


# `.apply()` runs the task here with the same signals a worker sends, and without a broker
# connection (an eager `.delay()` still borrows a producer from the app's pool).
def test_one_record_per_task_with_its_duration(caplog):
    with caplog.at_level("INFO", logger="music_discovery.tasks"):
        assert double.apply(args=(21,)).get() == 42

    [record] = records_of(caplog, "music_discovery.tasks")
    assert (record.task, record.state, record.levelname) == ("tests.ops.double", "SUCCESS", "INFO")
    assert isinstance(record.duration_ms, float) and record.duration_ms >= 0
    assert record.task_id


def test_a_failed_task_is_logged_as_a_warning(caplog):
    with caplog.at_level("INFO", logger="music_discovery.tasks"), pytest.raises(ValueError):
        explode.apply()

    [record] = records_of(caplog, "music_discovery.tasks")
    assert (record.task, record.state, record.levelname) == ("tests.ops.explode", "FAILURE", "WARNING")


JSON_LOGGING_SCRIPT = textwrap.dedent(
    """
    import django
    django.setup()
    from django.test import Client
    from music_discovery.celery import app

    @app.task(name="probe.add")
    def add(a, b):
        return a + b

    Client().get("/healthz")
    add.delay(1, 2)
    """
)


def json_lines(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.strip()]


def test_log_format_json_writes_one_json_object_per_line(run_django):
    # Python warnings (e.g. WhiteNoise on a missing STATIC_ROOT) are not log records.
    env = {"LOG_FORMAT": "json", "DJANGO_ENV": "test", "PYTHONWARNINGS": "ignore"}
    result = run_django("-c", JSON_LOGGING_SCRIPT, env=env)

    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stderr)  # raises if any line is not JSON
    [request] = [line for line in lines if line["logger"] == "music_discovery.requests"]
    assert request["method"] == "GET"
    assert request["path"] == "/healthz"
    assert request["status"] == 200
    assert request["duration_ms"] >= 0
    assert request["request_id"]
    assert request["level"] == "INFO"
    assert request["time"]
    [task] = [line for line in lines if line["logger"] == "music_discovery.tasks"]
    assert task["task"] == "probe.add"
    assert task["state"] == "SUCCESS"
    assert task["duration_ms"] >= 0


def test_log_format_text_is_plain_lines(run_django):
    result = run_django("-c", JSON_LOGGING_SCRIPT, env={"LOG_FORMAT": "text", "DJANGO_ENV": "test"})

    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines() if "music_discovery.requests" in line]
    assert "GET /healthz 200" in line
    assert not line.startswith("{")


def test_celery_worker_keeps_the_json_format(run_django):
    # A worker sets up logging when it starts; without our receiver Celery would replace
    # the root handler with its own plain-text one.
    script = textwrap.dedent(
        """
        import logging
        import django
        django.setup()
        from music_discovery.celery import app
        app.log.setup(loglevel="INFO")
        logging.getLogger("music_discovery.tasks").info("after worker logging setup")
        """
    )

    result = run_django("-c", script, env={"LOG_FORMAT": "json", "DJANGO_ENV": "test"})

    assert result.returncode == 0, result.stderr
    [line] = [line for line in json_lines(result.stderr) if line["logger"] == "music_discovery.tasks"]
    assert line["message"] == "after worker logging setup"


FORGING_SCRIPT = textwrap.dedent(
    """
    import django
    django.setup()
    from django.test import Client
    Client().get("/api/x%0a2026-01-01 00:00:00,000 INFO music_discovery.requests GET /forged 200%0d%0a")
    """
)


def test_text_log_lines_cannot_be_forged_through_the_path(run_django):
    result = run_django("-c", FORGING_SCRIPT, env={"LOG_FORMAT": "text", "DJANGO_ENV": "test"})

    assert result.returncode == 0, result.stderr
    request_lines = [line for line in result.stderr.splitlines() if "music_discovery.requests" in line]
    [line] = request_lines
    assert "GET /api/x\\n2026-01-01" in line
    assert "/forged 200\\r\\n" in line
    assert not any(line.startswith("2026-01-01 00:00:00,000") for line in result.stderr.splitlines())


PRODUCTION_LOGGING_SCRIPT = textwrap.dedent(
    """
    import sys
    import django
    django.setup()
    from django.test import Client
    Client().get("/api/" + sys.argv[1] + "/", secure=True)
    """
)


# Production settings, serving `testserver`, logging JSON lines.
PRODUCTION_JSON_LOGS = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 50,
    "ALLOWED_HOSTS": "testserver",
    "LOG_FORMAT": "json",
    "PYTHONWARNINGS": "ignore",
}


def test_production_logs_each_request_as_a_json_line(run_django):
    marker = f"marker-{uuid.uuid4().hex}"

    result = run_django("-c", PRODUCTION_LOGGING_SCRIPT, marker, env=PRODUCTION_JSON_LOGS)

    assert result.returncode == 0, result.stderr
    [request] = [line for line in json_lines(result.stderr) if line["logger"] == "music_discovery.requests"]
    assert request["path"] == f"/api/{marker}/"
    assert request["status"] == 404
    assert request["level"] == "INFO"


UNKNOWN_HOST_SCRIPT = textwrap.dedent(
    """
    import django
    django.setup()
    from django.test import Client
    for _ in range(3):
        assert Client().get("/api/songs/", secure=True, HTTP_HOST="evil.example").status_code == 400
    """
)


def test_a_request_for_an_unknown_host_is_one_request_line_not_an_error(run_django):
    """Answered 400 and logged as such: not also an ERROR with a traceback, which a client
    could fill the log with."""

    result = run_django("-c", UNKNOWN_HOST_SCRIPT, env=PRODUCTION_JSON_LOGS)

    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stderr)
    assert [(line["logger"], line["status"], line["level"]) for line in lines] == [
        ("music_discovery.requests", 400, "INFO")
    ] * 3
    assert "Traceback" not in result.stderr
