"""gunicorn.conf.py: what the web server runs with, by configuration."""

import json
import runpy
import socket
from pathlib import Path

from gunicorn import util

CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def load(monkeypatch, **env) -> dict:
    for name in ("REDIS_URL", "WEB_CONCURRENCY", "GUNICORN_THREADS", "LOG_FORMAT", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_embedded_default_is_one_threaded_process_sharing_its_memory_cache(monkeypatch):
    config = load(monkeypatch)
    assert config["workers"] == 1
    assert config["threads"] == 4


def test_with_redis_several_processes_share_the_cache_through_redis(monkeypatch):
    config = load(monkeypatch, REDIS_URL="redis://127.0.0.1:6379/0")
    assert config["workers"] == 3
    assert "threads" not in config


def test_a_long_query_string_reaches_django(monkeypatch):
    # Gunicorn's default (4094) would answer a 5,000-character search with an HTML 414.
    assert load(monkeypatch)["limit_request_line"] >= 5100


def test_the_control_socket_is_in_the_project_one_per_port(monkeypatch):
    # Gunicorn's default, ~/.gunicorn/gunicorn.ctl, is shared by every instance of a user.
    assert load(monkeypatch, PORT="8123")["control_socket"] == str(
        CONFIG.parent / "var" / "gunicorn-8123.ctl"
    )
    assert load(monkeypatch)["control_socket"] == str(CONFIG.parent / "var" / "gunicorn-8000.ctl")


def test_gunicorn_writes_its_own_errors_as_json(monkeypatch):
    config = load(monkeypatch)
    assert util.write_error is config["write_json_error"]
    ours, theirs = socket.socketpair()
    with ours, theirs:
        util.write_error(ours, 414, "URI Too Long", "Request Line is too large (9000 > 8190)")
        ours.shutdown(socket.SHUT_WR)
        head, _, body = theirs.makefile("rb").read().partition(b"\r\n\r\n")

    assert head.startswith(b"HTTP/1.1 414 URI Too Long\r\n")
    assert b"Content-Type: application/json" in head
    assert f"Content-Length: {len(body)}".encode() in head
    assert json.loads(body) == {"detail": "Request line too long."}
