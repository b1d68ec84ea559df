"""GET /api/analytics/summary/: platform totals and active users, no personal data."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from analytics.services.rollups import rollups_catch_up
from analytics.tasks import rollups_refresh_task, snapshots_refresh_task
from tests.analytics.builders import today_at
from tests.factories import RatingFactory, SongFactory, UserFactory

URL = "/api/analytics/summary/"


def test_totals_and_active_users(auth_client, record):
    recent, lately, long_ago = UserFactory(), UserFactory(), UserFactory()
    songs = SongFactory.create_batch(2)
    RatingFactory(user=recent, song=songs[0])
    now = timezone.now()
    record(recent, songs[0], "play", times=3)
    record(recent, songs[1], "like")
    record(lately, songs[0], "skip", at=now - dt.timedelta(hours=25))
    record(lately, songs[1], "share", at=now - dt.timedelta(days=3))
    record(long_ago, songs[1], "play", at=now - dt.timedelta(days=8))
    rollups_catch_up()

    body = auth_client.get(URL).json()

    assert body["users"] == 4  # the caller too
    assert body["songs"] == 2
    assert body["ratings"] == 1
    assert body["activities"] == 7
    assert body["activities_by_action"] == {"play": 4, "like": 1, "skip": 1, "share": 1}
    assert body["active_users_24h"] == 1
    assert body["active_users_7d"] == 2


def test_no_personal_data(auth_client, record):
    someone = UserFactory(username="quiet-listener", email="quiet@example.com")
    record(someone, SongFactory(), "play")
    rollups_catch_up()

    text = auth_client.get(URL).content.decode()

    for private in ("quiet-listener", "quiet@example.com", auth_client.user.username, auth_client.user.email):
        assert private not in text


def test_a_refresh_shows_new_events(auth_client, record):
    listener, song = UserFactory(), SongFactory()
    assert auth_client.get(URL).json()["activities"] == 0

    record(listener, song, "play", at=today_at())
    rollups_catch_up()

    body = auth_client.get(URL).json()
    assert body["activities"] == 1
    assert body["active_users_24h"] == 1


def test_with_the_background_jobs_an_event_shows_once_the_snapshot_job_ran(
    auth_client, record, settings, django_capture_on_commit_callbacks
):
    """The rollup job (every ANALYTICS_ROLLUP_SECONDS) does not change the summary served;
    the snapshot job (every ANALYTICS_TRENDS_SECONDS) does."""
    settings.REDIS_URL = "redis://127.0.0.1:6379/3"  # ingest leaves the work to beat
    assert auth_client.get(URL).json()["activities"] == 0  # the snapshot, now cached
    with django_capture_on_commit_callbacks(execute=True):
        record(UserFactory(), SongFactory(), "play", at=today_at())

    assert rollups_refresh_task.delay().get() == 1
    assert auth_client.get(URL).json()["activities"] == 0
    assert snapshots_refresh_task.delay().get() is True
    assert auth_client.get(URL).json()["activities"] == 1


def test_the_schema_says_how_late_the_summary_may_be(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    description = schema["paths"][URL]["get"]["description"]

    assert "within seconds" not in description
    for period in ("ANALYTICS_ROLLUP_SECONDS", "ANALYTICS_TRENDS_SECONDS", "ANALYTICS_SNAPSHOT_SECONDS"):
        assert period in description


def test_anonymous_is_refused(api_client):
    assert api_client.get(URL).status_code == 401
