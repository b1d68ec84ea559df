"""The image's runtime without Docker: collectstatic as the Dockerfile runs it, then Gunicorn
with gunicorn.conf.py and production settings, probed the way the containers probe it."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shlex
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.ops import stack

BASE_DIR = Path(settings.BASE_DIR)
HOST = "music.example.org"


@pytest.fixture(scope="module")
def server(tmp_path_factory, static_root) -> Iterator[dict]:
    """Gunicorn serving production settings on a free loopback port, on this run's database
    and Redis, with the static files the image's build collects; yields its port and the
    environment it runs with."""
    tmp = tmp_path_factory.mktemp("production")
    port = stack.free_port()
    env = stack.process_environment(
        **{k: v for k, v in os.environ.items() if k in {"DATABASE_URL", "REDIS_URL"}},
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        STATIC_ROOT=str(static_root),
        LOG_FORMAT="json",
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        # A home of its own: nothing (Gunicorn's control socket included) may land in the real one.
        HOME=str(tmp),
    )
    stderr_path = tmp / "gunicorn.stderr"
    with stack.gunicorn(env, stderr_path):
        yield {"port": port, "env": env, "static_root": static_root, "stderr": stderr_path, "home": tmp}


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def behind_nginx(**extra: str) -> dict:
    """The headers nginx.conf sets on every proxied request."""
    return {"Host": HOST, "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", **extra}


def test_dockerfile_healthcheck_command_succeeds(server):
    dockerfile = (BASE_DIR / "Dockerfile").read_text().replace("\\\n", " ")
    [line] = [line for line in dockerfile.splitlines() if line.startswith("HEALTHCHECK")]
    command = json.loads(line.split("CMD", 1)[1])

    result = subprocess.run(command, env=server["env"], capture_output=True, text=True, timeout=30)

    assert result.returncode == 0, result.stderr


def test_compose_web_healthcheck_command_succeeds(server):
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    test = compose["services"]["web"]["healthcheck"]["test"]
    command = test[1:] if test[0] == "CMD" else ["sh", "-c", shlex.join(test[1:])]

    result = subprocess.run(command, env=server["env"], capture_output=True, text=True, timeout=30)

    assert result.returncode == 0, result.stderr


def test_readyz_answers_a_probe_by_ip_address(server):
    status, _, body = get(server["port"], "/readyz", {"Host": f"127.0.0.1:{server['port']}"})

    assert status == 200
    assert json.loads(body)["status"] == "ok"


def test_plain_http_is_redirected_to_https(server):
    status, headers, _ = get(server["port"], "/api/schema/", {"Host": HOST, "X-Forwarded-Proto": "http"})

    assert status == 301
    assert headers["location"] == f"https://{HOST}/api/schema/"


def test_https_through_the_proxy_is_served_with_hsts(server):
    status, headers, _ = get(server["port"], "/api/schema/?format=json", behind_nginx())

    assert status == 200
    assert "max-age=31536000" in headers["strict-transport-security"]
    assert headers["x-content-type-options"] == "nosniff"


def test_unknown_host_is_refused_in_json(server):
    status, headers, body = get(server["port"], "/api/schema/", behind_nginx(Host="attacker.example"))

    assert status == 400
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"detail": "Bad request."}


def test_static_files_are_served_hashed_compressed_and_cacheable(server):
    manifest = json.loads((server["static_root"] / "staticfiles.json").read_text())["paths"]
    hashed = manifest["rest_framework/css/bootstrap.min.css"]
    assert hashed != "rest_framework/css/bootstrap.min.css"

    status, headers, _ = get(server["port"], f"/static/{hashed}", behind_nginx(**{"Accept-Encoding": "gzip"}))

    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert "immutable" in headers["cache-control"]


def test_requests_are_logged_as_json_lines(server):
    get(server["port"], "/healthz?marker", behind_nginx())
    time.sleep(0.2)

    records = [json.loads(line) for line in server["stderr"].read_text().splitlines() if line.startswith("{")]
    assert any(
        record["logger"] == "music_discovery.requests" and record["path"] == "/healthz" for record in records
    )


def test_requests_gunicorn_refuses_are_answered_in_json(server):
    port = server["port"]

    long_line = stack.request(port, "/api/songs/?search=" + "a" * 9000, headers=behind_nginx())
    many_headers = stack.request(
        port, "/api/songs/", headers=behind_nginx(**{f"X-Field-{i}": "1" for i in range(120)})
    )
    garbage = stack.raw_request(port, b"NOT HTTP AT ALL\r\n\r\n")

    for response, status, detail in (
        (long_line, 414, "Request line too long."),
        (many_headers, 431, "Request header too large."),
        (garbage, 400, "Bad request."),
    ):
        assert response.status == status
        assert response.headers["content-type"] == "application/json"
        assert json.loads(response.body) == {"detail": detail}


def chunked_post(port: int, path: str, body: bytes) -> stack.Response:
    """POST `body` with Transfer-Encoding: chunked and no Content-Length, as curl sends a
    body read from a pipe."""
    head = "".join(f"{name}: {value}\r\n" for name, value in behind_nginx().items())
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 4096]), body[i : i + 4096]) for i in range(0, len(body), 4096)
    )
    return stack.raw_request(
        port,
        f"POST {path} HTTP/1.1\r\n{head}Content-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode()
        + chunks
        + b"0\r\n\r\n",
    )


def test_a_body_sent_chunked_is_read(server):
    """Served by Gunicorn alone: Django reads Content-Length bytes of a body, and a chunked
    one has none, so it was read as empty (400: "This field is required" for both)."""
    credentials = json.dumps({"username": "nobody-here", "password": ""}).encode()

    response = chunked_post(server["port"], "/api/auth/token/", credentials)

    assert response.status == 400
    assert json.loads(response.body) == {"password": ["This field may not be blank."]}


def test_a_body_sent_chunked_over_the_limit_is_refused(server):
    response = chunked_post(
        server["port"], "/api/auth/token/", b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    )

    assert response.status == 413
    assert response.headers["content-type"] == "application/json"


def test_the_control_socket_is_in_the_project_not_in_home(server):
    socket_path = BASE_DIR / "var" / f"gunicorn-{server['port']}.ctl"

    assert socket_path.is_socket()
    assert not (server["home"] / ".gunicorn").exists()


def test_each_worker_loads_the_urlconf_and_freezes_it_before_serving(server):
    """gunicorn.conf.py's post_worker_init: the URLconf (and every view behind it) is
    imported before the first request, then everything loaded is frozen out of the
    garbage collector's full collections."""
    records = [json.loads(line) for line in server["stderr"].read_text().splitlines() if line.startswith("{")]
    ready = [r["message"] for r in records if "kept out of garbage collection" in r.get("message", "")]

    assert len(ready) == 1, ready  # WEB_CONCURRENCY=1
    routes, frozen = (int(n) for n in re.findall(r"\d+", ready[0]))
    assert routes >= 5
    # Django, DRF and the project's modules: well over ten thousand objects.
    assert frozen > 10_000
