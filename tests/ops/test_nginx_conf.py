"""nginx.conf read as text, against docker-compose.yml and gunicorn.conf.py (test_nginx.py
runs it in a real nginx)."""

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture(scope="module")
def nginx_conf() -> str:
    text = (BASE_DIR / "nginx.conf").read_text()
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())["services"]


def directives(conf: str, name: str) -> list[str]:
    return [value.strip() for value in re.findall(rf"^\s*{name}\s+([^;{{\n]+);", conf, re.M)]


def block(conf: str, opening: str) -> str:
    """The body of the block that starts with `opening {`, up to the first line that is a
    closing brace (no nested blocks)."""
    return re.search(rf"^\s*{re.escape(opening)}\s*\{{(.*?)^\s*\}}", conf, re.M | re.S)[1]


def gunicorn_setting(name: str) -> str:
    return re.search(rf"^{name} = (.+)$", (BASE_DIR / "gunicorn.conf.py").read_text(), re.M)[1]


def test_nginx_caps_request_bodies_and_answers_json(nginx_conf):
    # One limit for the server, and the listening-history import's and the event batches' own
    # (the latter checked against its setting in tests/analytics/test_activity_body_limit.py).
    limits = directives(nginx_conf, "client_max_body_size")
    assert len(limits) == 3
    assert all(re.fullmatch(r"\d+[kKmM]?", limit) for limit in limits)
    import_location = block(nginx_conf, "location = /api/analytics/import/")
    assert directives(import_location, "client_max_body_size") == ["16m"]
    assert settings.BODY_SIZE_LIMITS_BY_PATH["/api/analytics/import/"] == 16 * 1024 * 1024
    assert "error_page 413" in nginx_conf
    assert '{"detail": "Request body too large."}' in nginx_conf


def test_every_error_nginx_makes_itself_is_json(nginx_conf):
    pages = {value.split()[-1] for value in directives(nginx_conf, "error_page")}
    codes = {code for value in directives(nginx_conf, "error_page") for code in value.split()[:-1]}

    # 494: a header over large_client_header_buffers.
    assert codes >= {"400", "494", "413", "414", "502", "503", "504"}
    for page in pages:
        location = block(nginx_conf, f"location = {page}")
        assert "internal;" in location and "default_type application/json;" in location
        assert re.search(r"return \d{3} '\{\"detail\": \"[^\"]+\"\}';", location), page


def test_nginx_refuses_long_request_lines_itself(nginx_conf):
    [buffers] = directives(nginx_conf, "large_client_header_buffers")
    number, size = buffers.split()

    # A request line must fit one buffer: about Gunicorn's own limit, answered in JSON.
    assert int(size.rstrip("k")) * 1024 <= int(gunicorn_setting("limit_request_line")) + 2


def test_nginx_resolves_web_again_after_a_recreate(nginx_conf):
    # A static `upstream` (or a literal host in proxy_pass) is resolved once, at start.
    assert not re.search(r"^\s*upstream\s", nginx_conf, re.M)
    [resolver] = directives(nginx_conf, "resolver")
    assert resolver.split()[0] == "127.0.0.11", "Docker's embedded DNS"
    valid = int(re.search(r"\bvalid=(\d+)s\b", resolver)[1])
    assert 0 < valid <= 10
    assert directives(nginx_conf, "set") == ["$web_upstream http://web:8000"]
    passes = directives(nginx_conf, "proxy_pass")
    assert passes and set(passes) == {"$web_upstream"}


def test_nginx_replaces_forwarded_headers_unless_a_listed_proxy_sent_them(nginx_conf):
    headers = dict(value.split(None, 1) for value in directives(nginx_conf, "proxy_set_header"))

    assert headers["X-Forwarded-For"] == "$client_addr"
    assert headers["X-Real-IP"] == "$client_addr"
    assert headers["X-Forwarded-Proto"] == "$client_scheme"
    assert headers["X-Request-ID"] == "$request_id"
    # The port a client used (HTTP_PORT) stays in the Host Django builds links with.
    assert headers["Host"] == headers["X-Forwarded-Host"] == "$http_host"
    # No proxy is trusted as shipped.
    assert block(nginx_conf, "geo $from_front_proxy").split() == ["default", "0;"]
    # What a client sends is read only through the maps keyed on $from_front_proxy.
    assert "$proxy_add_x_forwarded_for" not in nginx_conf
    reads = re.findall(r"^.*\$http_x_forwarded_\w+.*$", nginx_conf, re.M)
    assert reads and all(line.strip().startswith('map "$from_front_proxy|') for line in reads)


def test_nginx_caches_only_static_200s(nginx_conf):
    static = block(nginx_conf, "location /static/")

    assert directives(static, "proxy_cache") == ["static"]
    assert directives(static, "proxy_cache_valid") == ["200 7d"]
    # A 301 or 404 the upstream marks cacheable itself is not kept either.
    assert directives(static, "proxy_no_cache") == ["$static_not_cacheable"]
    assert block(nginx_conf, "map $upstream_status $static_not_cacheable").split() == [
        "200",
        "0;",
        "default",
        "1;",
    ]


def test_nginx_has_timeouts_gzip_and_static(nginx_conf):
    for timeout in ("proxy_connect_timeout", "proxy_read_timeout", "client_body_timeout"):
        assert directives(nginx_conf, timeout), timeout
    assert directives(nginx_conf, "gzip") == ["on"]
    assert "location /static/" in nginx_conf


def test_nginx_waits_longer_than_gunicorn():
    gunicorn_timeout = int(re.search(r"GUNICORN_TIMEOUT\", \"(\d+)\"", gunicorn_setting("timeout"))[1])
    conf = (BASE_DIR / "nginx.conf").read_text()
    # The server's, and the listening-history import's (its worker beats while it stores).
    read_timeouts = [int(value.rstrip("s")) for value in directives(conf, "proxy_read_timeout")]

    assert len(read_timeouts) == 2
    assert min(read_timeouts) > gunicorn_timeout


def test_nginx_healthcheck_path_exists(services, nginx_conf):
    test = services["nginx"]["healthcheck"]["test"]
    path = re.search(r"http://127\.0\.0\.1(/\S*)", " ".join(test[1:]))[1]

    assert f"location = {path} " in nginx_conf


def test_nginx_image_is_a_maintained_stable_one(services):
    image, _, tag = services["nginx"]["image"].partition(":")

    assert image == "nginx"
    # nginx maintains one stable (even minor) branch and mainline; a numbered mainline
    # tag such as 1.27 closes when the next stable branch is cut.
    version = re.match(r"1\.(\d+)", tag)
    assert tag.startswith("stable") or (version and int(version[1]) % 2 == 0), tag
