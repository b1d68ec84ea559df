"""The Spotify tasks: off without credentials, retried after Retry-After on a 429, with
backoff on a 5xx, not retried when refused; registered for the worker."""

from __future__ import annotations

import subprocess
import sys

import pytest
import responses
from django.conf import settings as django_settings

from catalog.models import Song
from music_discovery.celery import app
from recommendations.spotify import tasks
from recommendations.spotify.client import SpotifyRefusedError
from tests.factories import ProfileFactory, SongFactory, UserFactory
from tests.recommendations.spotify_builders import (
    API,
    SEARCH_URL,
    add_token,
    add_track,
    error_body,
    search_page,
    spotify_on,
    track_object,
)

pytestmark = pytest.mark.django_db

TRACK = track_object("3n3Ppam7vgaVa1iaRUc9Lp", "The Funeral")
TRACK_URL = f"{API}/tracks/{TRACK['id']}"


@pytest.fixture
def retries(monkeypatch) -> list[dict]:
    """The keyword arguments of each retry the Spotify tasks ask for. The retries still
    run, eagerly and at once: an eager task's Retry is handled as a worker would rather than
    raised to the caller (the suite's eager tasks otherwise propagate every exception)."""
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    calls: list[dict] = []
    for task in (tasks.spotify_enrich, tasks.spotify_discover):
        real = task.retry

        def spy(*args, _real=real, **kwargs):
            calls.append(kwargs)
            return _real(*args, **kwargs)

        monkeypatch.setattr(task, "retry", spy)
    return calls


@pytest.fixture
def playlist_song():
    return SongFactory(spotify_id=TRACK["id"], album=None, popularity=None, explicit=None)


def test_off_the_tasks_do_nothing_and_say_so(settings, playlist_song, caplog):
    settings.SPOTIFY_CLIENT_ID = settings.SPOTIFY_CLIENT_SECRET = ""
    user = UserFactory()
    with responses.RequestsMock() as mock, caplog.at_level("INFO", logger="recommendations.spotify.tasks"):
        assert tasks.spotify_enrich.delay().get() == tasks.DISABLED
        assert tasks.spotify_discover.delay(user.pk).get() == tasks.DISABLED
        assert len(mock.calls) == 0
    assert caplog.text.count("Spotify is off") == 2
    playlist_song.refresh_from_db()
    assert playlist_song.spotify_checked_at is None


def test_enrich_task_result(settings, playlist_song):
    spotify_on(settings)
    with responses.RequestsMock() as mock:
        add_token(mock)
        add_track(mock, TRACK)
        result = tasks.spotify_enrich.delay(limit=10).get()
    assert result == {"status": "done", "checked": 1, "filled": 1, "unknown": 0}


def test_429_is_retried_after_retry_after(settings, playlist_song, retries):
    spotify_on(settings)
    with responses.RequestsMock() as mock:
        add_token(mock)
        mock.add(
            responses.GET,
            TRACK_URL,
            status=429,
            headers={"Retry-After": "42"},
            json=error_body(429, "API rate limit exceeded"),
        )
        add_track(mock, TRACK)
        result = tasks.spotify_enrich.delay().get()
    assert [call["countdown"] for call in retries] == [42]
    assert result["filled"] == 1


def test_a_long_retry_after_is_capped(settings, playlist_song, retries):
    spotify_on(settings)
    settings.SPOTIFY_RETRY_AFTER_MAX = 600
    with responses.RequestsMock() as mock:
        add_token(mock)
        mock.add(responses.GET, TRACK_URL, status=429, headers={"Retry-After": "86400"})
        add_track(mock, TRACK)
        tasks.spotify_enrich.delay().get()
    assert [call["countdown"] for call in retries] == [600]


def test_5xx_is_retried_with_exponential_backoff(settings, playlist_song, retries):
    spotify_on(settings)
    with responses.RequestsMock() as mock:
        add_token(mock)
        for status in (503, 502, 500):
            mock.add(responses.GET, TRACK_URL, status=status, json=error_body(status, "Server error"))
        add_track(mock, TRACK)
        result = tasks.spotify_enrich.delay().get()
    assert [call["countdown"] for call in retries] == [2, 4, 8]
    assert result["filled"] == 1


def test_retries_are_bounded(settings, playlist_song, retries):
    spotify_on(settings)
    with responses.RequestsMock() as mock:
        add_token(mock)
        mock.add(responses.GET, TRACK_URL, status=503, json=error_body(503, "Service unavailable"))
        with pytest.raises(Exception, match="Spotify answered 503"):
            tasks.spotify_enrich.delay().get()
        assert len([call for call in mock.calls if call.request.url == TRACK_URL]) == tasks.MAX_RETRIES + 1
    assert Song.objects.get().spotify_checked_at is None


def test_an_expired_token_is_refreshed_within_the_task(settings, playlist_song, retries):
    spotify_on(settings)
    with responses.RequestsMock() as mock:
        add_token(mock, "stale")
        add_token(mock, "fresh")
        mock.add(responses.GET, TRACK_URL, status=401, json=error_body(401, "The access token expired"))
        add_track(mock, TRACK)
        assert tasks.spotify_enrich.delay().get()["filled"] == 1
    assert retries == []


def test_refused_credentials_fail_without_retry(settings, playlist_song, retries):
    spotify_on(settings)
    with responses.RequestsMock() as mock:
        mock.add(
            responses.POST,
            "https://accounts.spotify.com/api/token",
            status=400,
            json={"error": "invalid_client"},
        )
        with pytest.raises(SpotifyRefusedError):
            tasks.spotify_enrich.delay().get()
    assert retries == []


def test_discover_task_retries_after_a_rate_limit_without_searching_twice(settings, retries):
    spotify_on(settings)
    user = UserFactory(profile=None)
    ProfileFactory(user=user, favorite_artists=[], favorite_genres=["folk", "jazz"])
    with responses.RequestsMock() as mock:
        add_token(mock)
        mock.add(responses.GET, SEARCH_URL, json=search_page([TRACK]))
        mock.add(responses.GET, SEARCH_URL, status=429, headers={"Retry-After": "3"})
        mock.add(responses.GET, SEARCH_URL, json=search_page([]))
        result = tasks.spotify_discover.delay(user.pk).get()
        searches = [
            call.request.params["q"] for call in mock.calls if call.request.url.startswith(f"{API}/search")
        ]
    assert [call["countdown"] for call in retries] == [3]
    assert searches == ['genre:"folk"', 'genre:"jazz"', 'genre:"jazz"'], "folk's page came from the cache"
    assert result["status"] == "done" and Song.objects.filter(spotify_id=TRACK["id"]).exists()


def test_the_worker_registers_the_spotify_tasks():
    assert "recommendations.spotify.tasks" in django_settings.CELERY_IMPORTS
    app.loader.import_default_modules()
    assert {"recommendations.spotify_enrich", "recommendations.spotify_discover"} <= set(app.tasks)
    for name in ("recommendations.spotify_enrich", "recommendations.spotify_discover"):
        assert app.tasks[name].max_retries == tasks.MAX_RETRIES


@pytest.mark.parametrize("present", ["SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET"])
def test_half_the_credentials_is_refused_at_startup(present):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "music_discovery.settings",
        "DJANGO_ENV": "test",
        present: "x",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured:"
        " SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET go together: set both or neither"
    )
