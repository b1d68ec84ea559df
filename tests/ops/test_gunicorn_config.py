"""gunicorn.conf.py: what the web server runs with, by configuration."""

import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def load(monkeypatch, **env) -> dict:
    for name in ("REDIS_URL", "WEB_CONCURRENCY", "GUNICORN_THREADS", "LOG_FORMAT"):
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
