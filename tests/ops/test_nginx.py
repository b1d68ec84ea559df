"""The README's production recipe, run for real without Docker: .env.example copied and its
three values filled in, docker-compose.yml's environment and commands, Gunicorn, and the
repository's nginx.conf in Debian's nginx in front, reached the way a browser reaches it.

nginx must be installed (`.ci/run` installs nginx-light when it is missing); with
REQUIRE_SERVICES=1 a missing nginx fails these tests instead of skipping them."""

from __future__ import annotations

import http.server
import json
import os
import re
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.ops import stack

FRONT_PROXY = "127.0.0.3"  # the address an operator lists in nginx.conf's $from_front_proxy
ADMIN_PASSWORD = secrets.token_urlsafe(16)
# The README's three values, filled in once for every process of the site.
FILLED_IN = {"SECRET_KEY": secrets.token_urlsafe(50), "POSTGRES_PASSWORD": secrets.token_hex(24)}


@pytest.fixture(scope="module", autouse=True)
def _nginx_installed() -> None:
    if stack.nginx_binary() is None:
        message = "nginx is not installed: apt-get install nginx-light (.ci/run does)"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def site_environment(tmp: Path, **dotenv_changes: str) -> dict[str, str]:
    """web's environment for a .env copied from .env.example with the README's three values
    filled in, moved onto this machine: a SQLite file instead of the db service, the
    embedded cache and in-process tasks instead of the two Redis services, a free port."""
    dotenv = stack.read_dotenv((stack.BASE_DIR / ".env.example").read_text())
    dotenv.update(FILLED_IN, **dotenv_changes)
    environment = stack.service_environment("web", dotenv)
    environment.pop("REDIS_URL")
    environment.pop("REDIS_CACHE_URL")
    environment.update(
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp / "static"),
        HOST="127.0.0.1",
        PORT=str(stack.free_port()),
        HOME=str(tmp),
    )
    return stack.process_environment(**environment)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory, static_root) -> Path:
    """This module's files, with the session's static files (collected as the image's build
    collects them) at static/."""
    directory = tmp_path_factory.mktemp("stack")
    (directory / "static").symlink_to(static_root, target_is_directory=True)
    return directory


@pytest.fixture(scope="module")
def prepared(tmp) -> Path:
    """What the image build and the migrate service leave behind: static files collected,
    the schema migrated, playlist.json loaded; plus the superuser the README creates."""
    environment = site_environment(tmp)
    stack.run(stack.compose()["services"]["migrate"]["command"], environment)
    stack.run(
        [
            "python",
            "manage.py",
            "createsuperuser",
            "--noinput",
            "--username",
            "admin",
            "--email",
            "a@b.example",
        ],
        {**environment, "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD},
    )
    return tmp


@contextmanager
def site(tmp: Path, name: str, **dotenv_changes: str) -> Iterator[dict]:
    environment = site_environment(tmp, **dotenv_changes)
    web_port = int(environment["PORT"])
    with (
        stack.fake_dns({"web": "127.0.0.1"}) as dns,
        stack.gunicorn(environment, tmp / f"{name}-gunicorn.log"),
        stack.nginx(tmp / name, web_port=web_port, dns_port=dns.port, front_proxies=(FRONT_PROXY,)) as proxy,
    ):
        yield {**proxy, "static_root": tmp / "static"}


@pytest.fixture(scope="module")
def first_run(prepared) -> Iterator[dict]:
    """The stack as the recipe leaves it (HTTPS unset). nginx.conf lists FRONT_PROXY, which
    changes nothing for requests from any other address."""
    with site(prepared, "first-run") as running:
        yield running


@pytest.fixture(scope="module")
def with_tls(prepared) -> Iterator[dict]:
    """The stack once TLS is set up in a proxy in front of nginx: HTTPS=true in .env and the
    proxy's address listed in nginx.conf."""
    with site(prepared, "tls", HTTPS="true") as running:
        yield running


def browser(port: int, **headers: str) -> dict[str, str]:
    """What a browser sends to http://localhost:<port>/ (port published as HTTP_PORT)."""
    return {"Host": f"localhost:{port}", **headers}


def json_error(response: stack.Response, status: int) -> dict:
    assert response.status == status, response.body[:300]
    assert response.headers["content-type"].startswith("application/json")
    return json.loads(response.body)


def hashed_static(running: dict, name: str) -> str:
    manifest = json.loads((running["static_root"] / "staticfiles.json").read_text())["paths"]
    return f"/static/{manifest[name]}"


# --- the first run, over plain HTTP ----------------------------------------------------------


def test_first_run_shows_the_api_docs_and_everything_they_load(first_run):
    port = first_run["port"]

    page = stack.request(port, "/api/docs/", headers=browser(port))

    assert page.status == 200, page.headers.get("location")
    assert page.headers["content-type"].startswith("text/html")
    assets = set(re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", page.body.decode()))
    assert any(asset.endswith(".js") for asset in assets)
    for path in [*assets, "/api/schema/"]:
        assert stack.request(port, path, headers=browser(port)).status == 200, path


def test_first_run_admin_login_works_over_plain_http_on_another_port(first_run):
    port = first_run["port"]
    form = stack.request(port, "/admin/login/", headers=browser(port))
    assert form.status == 200
    csrf_cookie = form.cookies["csrftoken"]
    assert "secure" not in csrf_cookie.lower(), "a Secure cookie never comes back over http"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.body.decode())[1]

    login = stack.request(
        port,
        "/admin/login/?next=/admin/",
        method="POST",
        headers=browser(
            port,
            **{
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf_cookie.split(';')[0]}",
                # The CSRF check compares it with the Host nginx passes on, port included.
                "Origin": f"http://localhost:{port}",
                "Referer": f"http://localhost:{port}/admin/login/",
            },
        ),
        body=urlencode(
            {"csrfmiddlewaretoken": token, "username": "admin", "password": ADMIN_PASSWORD, "next": "/admin/"}
        ).encode(),
    )

    assert login.status == 302, login.body[:500]
    assert login.headers["location"] == "/admin/"
    assert "sessionid" in login.cookies


def test_absolute_links_keep_the_published_port(first_run):
    port = first_run["port"]

    page = json.loads(stack.request(port, "/api/songs/", headers=browser(port)).body)

    assert page["next"].startswith(f"http://localhost:{port}/api/songs/?")


# --- forwarded headers -----------------------------------------------------------------------


def logged_client(running: dict, marker: str) -> str:
    """The client address nginx logged for the request whose line holds `marker` (nginx
    writes the line once the request is finished, which may be after the client read it)."""
    deadline = time.monotonic() + 5
    while True:
        lines = [line for line in running["log"].read_text().splitlines() if marker in line]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert lines, f"no log line for {marker}"
    return lines[-1].split(" ", 1)[0]


def test_a_client_cannot_claim_https_or_another_address(first_run):
    port = first_run["port"]
    claims = browser(port, **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"})

    page = json.loads(stack.request(port, "/api/songs/?page_size=5&claims", headers=claims).body)

    assert page["next"].startswith(f"http://localhost:{port}/")
    assert logged_client(first_run, "&claims") == "127.0.0.1"


def test_a_listed_front_proxy_is_believed(first_run):
    port = first_run["port"]
    forwarded = browser(
        port, **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7, 203.0.113.5"}
    )

    page = json.loads(
        stack.request(port, "/api/songs/?page_size=5&proxied", headers=forwarded, source=FRONT_PROXY).body
    )

    assert page["next"].startswith(f"https://localhost:{port}/")
    # The entry the proxy added; the one before it is whatever the client claimed.
    assert logged_client(first_run, "&proxied") == "203.0.113.5"


def test_tls_in_front_serves_https_without_a_redirect_loop(with_tls):
    port = with_tls["port"]
    https = browser(port, **{"X-Forwarded-Proto": "https"})

    through_proxy = stack.request(port, "/api/docs/", headers=https, source=FRONT_PROXY)
    claimed = stack.request(port, "/api/docs/", headers=https)

    assert through_proxy.status == 200
    assert "max-age=" in through_proxy.headers["strict-transport-security"]
    assert claimed.status == 301
    assert claimed.headers["location"] == f"https://localhost:{port}/api/docs/"


# --- static files ----------------------------------------------------------------------------


def test_static_files_are_cached_but_redirects_are_not(with_tls):
    port = with_tls["port"]
    path = hashed_static(with_tls, "rest_framework/css/bootstrap.min.css")

    first = stack.request(port, path, headers={"Host": f"localhost:{port}"})
    other_host = stack.request(port, path, headers={"Host": f"127.0.0.1:{port}"})

    assert first.status == other_host.status == 301
    assert first.headers["location"] == f"https://localhost:{port}{path}"
    assert other_host.headers["location"] == f"https://127.0.0.1:{port}{path}"
    https = browser(port, **{"X-Forwarded-Proto": "https"})
    assert stack.request(port, path, headers=https, source=FRONT_PROXY).headers["x-cache-status"] == "MISS"
    assert stack.request(port, path, headers=https, source=FRONT_PROXY).headers["x-cache-status"] == "HIT"


# --- errors in JSON --------------------------------------------------------------------------


def test_requests_nginx_refuses_are_answered_in_json(first_run):
    port = first_run["port"]

    long_line = stack.request(port, "/api/songs/?search=" + "a" * 9000, headers=browser(port))
    long_header = stack.request(port, "/api/songs/", headers=browser(port, **{"X-Big": "a" * 9000}))
    big_body = stack.request(
        port,
        "/api/users/",
        method="POST",
        headers=browser(port, **{"Content-Type": "application/json"}),
        body=b"[" + b"0," * (1024 * 1024) + b"0]",
    )
    garbage = stack.raw_request(port, b"NOT HTTP AT ALL\r\n\r\n")

    assert json_error(long_line, 414) == {"detail": "Request line too long."}
    assert json_error(long_header, 400) == {"detail": "Request header too large."}
    assert json_error(big_body, 413) == {"detail": "Request body too large."}
    assert json_error(garbage, 400) == {"detail": "Bad request."}


def _request_ids(port: int, request: bytes) -> list[str]:
    """The X-Request-ID header lines of the answer to a raw request, every one of them."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head = received.partition(b"\r\n\r\n")[0].decode("latin-1")
    return [
        line.partition(":")[2].strip()
        for line in head.split("\r\n")
        if line.lower().startswith("x-request-id:")
    ]


def test_every_answer_carries_one_request_id_nginx_errors_included(first_run):
    port = first_run["port"]
    host = f"Host: 127.0.0.1:{port}\r\nConnection: close\r\n".encode()
    big_body = (
        b"POST /api/users/ HTTP/1.1\r\n"
        + host
        + b"Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n"
    )

    for request in (
        b"GET /api/songs/ HTTP/1.1\r\n" + host + b"\r\n",  # Django's answer
        b"GET /healthz HTTP/1.1\r\n" + host + b"\r\n",
        big_body,  # nginx's own 413
        b"GET /static/missing.css HTTP/1.1\r\n" + host + b"\r\n",
    ):
        ids = _request_ids(port, request)
        assert len(ids) == 1 and re.fullmatch(r"[0-9a-f]{32}", ids[0]), (request[:40], ids)


def test_requests_gunicorn_refuses_behind_nginx_are_answered_in_json(first_run):
    port = first_run["port"]
    # Within nginx's header buffers, over Gunicorn's 100 header fields.
    many = {f"X-Field-{i}": "1" for i in range(120)}

    response = stack.request(port, "/api/songs/", headers=browser(port, **many))

    assert json_error(response, 431) == {"detail": "Request header too large."}


# --- a recreated web container ---------------------------------------------------------------


class _Named(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = self.server.name.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def backend(address: str, port: int, name: str) -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer((address, port), _Named)
    server.name = name
    with stack.serving(server):
        yield server


def test_nginx_follows_web_to_its_new_address_without_a_restart(tmp_path):
    port = stack.free_port()
    with (
        stack.fake_dns({"web": "127.0.0.1"}) as dns,
        backend("127.0.0.2", port, "new web"),
        stack.nginx(tmp_path, web_port=port, dns_port=dns.port) as proxy,
    ):
        with backend("127.0.0.1", port, "old web"):
            assert stack.request(proxy["port"], "/").body == b"old web"
        # `docker compose up -d --build`: the old container is gone, `web` names a new one.
        dns.records["web"] = "127.0.0.2"

        deadline = time.monotonic() + 10
        answers = []
        while time.monotonic() < deadline:
            answers.append(stack.request(proxy["port"], "/").body)
            if answers[-1] == b"new web":
                break
            time.sleep(0.2)

    assert answers[-1] == b"new web", answers[-3:]
