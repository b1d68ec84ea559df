"""GET /api/analytics/trends/: weighted ranking per window, change against the window
before, songs, artists (every credited one) and genres; refreshed after each rollup run."""

from __future__ import annotations

import pytest

from analytics.scoring import ACTION_WEIGHTS
from analytics.services.rollups import days_refresh, rollups_catch_up, user_rollups_refresh
from analytics.services.snapshots import snapshots_refresh
from analytics.tasks import rollups_refresh_task, snapshots_refresh_task
from tests.analytics.builders import today_at
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory, UserFactory

URL = "/api/analytics/trends/"


@pytest.fixture
def catalog(db):
    """Three songs: `duet` credits two artists, all are pop, `ballad` is also soul."""
    first, second = ArtistFactory(name="First Artist"), ArtistFactory(name="Second Artist")
    duet = SongFactory(title="Duet", genres=["pop"])
    SongArtistFactory(song=duet, artist=first, position=0)
    SongArtistFactory(song=duet, artist=second, position=1)
    solo = SongFactory(title="Solo", genres=["pop"])
    SongArtistFactory(song=solo, artist=second, position=0)
    ballad = SongFactory(title="Ballad", genres=["pop", "soul"])
    SongArtistFactory(song=ballad, artist=first, position=0)
    return {"duet": duet, "solo": solo, "ballad": ballad, "first": first, "second": second}


def _get(client, **params):
    return client.get(URL, params)


def test_songs_artists_and_genres_rank_by_weighted_activity(auth_client, record, catalog):
    listener = UserFactory()
    record(listener, catalog["solo"], "play", times=5)  # 5
    record(listener, catalog["duet"], "share")  # 4
    record(listener, catalog["duet"], "like")  # + 3 = 7
    record(listener, catalog["ballad"], "like")  # 3
    record(listener, catalog["ballad"], "skip", times=3)  # - 6 = -3: not trending
    rollups_catch_up()

    body = _get(auth_client).json()

    assert body["window"] == "week"
    assert [(s["title"], s["score"]) for s in body["songs"]] == [("Duet", 7), ("Solo", 5)]
    assert body["songs"][0]["artists"] == ["First Artist", "Second Artist"]
    # Second Artist: duet 7 + solo 5; First Artist: duet 7 + ballad -3.
    assert [(a["name"], a["score"]) for a in body["artists"]] == [("Second Artist", 12), ("First Artist", 4)]
    assert [(g["name"], g["score"]) for g in body["genres"]] == [("pop", 9)]
    assert (
        ACTION_WEIGHTS["share"] > ACTION_WEIGHTS["like"] > ACTION_WEIGHTS["play"] > 0 > ACTION_WEIGHTS["skip"]
    )


def test_each_item_carries_its_change_against_the_window_before(auth_client, record, catalog):
    listener = UserFactory()
    record(listener, catalog["solo"], "play", times=2, at=today_at(days_ago=9))  # last week
    record(listener, catalog["solo"], "play", times=5)
    record(listener, catalog["duet"], "play", times=4, at=today_at(days_ago=8))
    record(listener, catalog["duet"], "play", times=1, at=today_at(days_ago=6))
    rollups_catch_up()

    week = {s["title"]: s for s in _get(auth_client, window="week").json()["songs"]}
    day = {s["title"]: s for s in _get(auth_client, window="day").json()["songs"]}
    month = _get(auth_client, window="month").json()["songs"]
    every = _get(auth_client, window="all").json()["songs"]

    assert (week["Solo"]["score"], week["Solo"]["previous_score"], week["Solo"]["change"]) == (5, 2, 3)
    assert (week["Duet"]["score"], week["Duet"]["previous_score"], week["Duet"]["change"]) == (1, 4, -3)
    assert list(day) == ["Solo"] and day["Solo"]["previous_score"] == 0
    assert [(s["title"], s["score"], s["change"]) for s in month] == [("Solo", 7, 7), ("Duet", 5, 5)]
    assert [(s["title"], s["previous_score"], s["change"]) for s in every] == [
        ("Solo", None, None),
        ("Duet", None, None),
    ]


def test_all_time_reads_every_day_once_the_user_stage_has_run(auth_client, record, catalog):
    listener = UserFactory()
    record(listener, catalog["ballad"], "share", times=2, at=today_at(days_ago=25))  # 8
    record(listener, catalog["solo"], "play", times=3)  # 3
    days_refresh()
    snapshots_refresh()
    assert [s["title"] for s in _get(auth_client, window="month").json()["songs"]] == ["Ballad", "Solo"]
    # The all-time totals trail the day rollups by the user stage.
    assert _get(auth_client, window="all").json()["songs"] == []

    user_rollups_refresh()
    snapshots_refresh()
    body = _get(auth_client, window="all").json()

    assert [(s["title"], s["score"]) for s in body["songs"]] == [("Ballad", 8), ("Solo", 3)]
    assert [(a["name"], a["score"]) for a in body["artists"]] == [("First Artist", 8), ("Second Artist", 3)]
    assert [(g["name"], g["score"]) for g in body["genres"]] == [("pop", 11), ("soul", 8)]
    assert [s["title"] for s in _get(auth_client, window="week").json()["songs"]] == ["Solo"]


def test_a_refresh_shows_new_events(auth_client, record, catalog):
    listener = UserFactory()
    record(listener, catalog["solo"], "play")
    rollups_catch_up()
    assert [s["title"] for s in _get(auth_client).json()["songs"]] == ["Solo"]

    record(listener, catalog["duet"], "share", times=2)
    # Not refreshed yet: the snapshot stands.
    assert [s["title"] for s in _get(auth_client).json()["songs"]] == ["Solo"]
    rollups_catch_up()

    assert [s["title"] for s in _get(auth_client).json()["songs"]] == ["Duet", "Solo"]


def test_on_beat_the_snapshots_follow_the_rollups_on_their_own_period(auth_client, record, catalog):
    """Beat's rollup job leaves the snapshots alone; the snapshot job recomputes them once
    the rollups took rows since they were last computed, and only then."""
    listener = UserFactory()
    record(listener, catalog["solo"], "play")
    assert rollups_refresh_task.delay().get() == 1
    assert snapshots_refresh_task.delay().get() is True
    assert snapshots_refresh_task.delay().get() is False
    assert [s["title"] for s in _get(auth_client).json()["songs"]] == ["Solo"]

    record(listener, catalog["duet"], "share", times=2)
    assert rollups_refresh_task.delay().get() == 1
    # The rollups have the shares; the snapshot stands until its own job runs.
    assert [s["title"] for s in _get(auth_client).json()["songs"]] == ["Solo"]
    assert snapshots_refresh_task.delay().get() is True

    assert [s["title"] for s in _get(auth_client).json()["songs"]] == ["Duet", "Solo"]
    assert snapshots_refresh_task.delay().get() is False


def test_limit(auth_client, record, catalog):
    listener = UserFactory()
    for song in (catalog["solo"], catalog["duet"], catalog["ballad"]):
        record(listener, song, "play")
    rollups_catch_up()

    body = _get(auth_client, limit=2).json()

    assert len(body["songs"]) == 2 and len(body["artists"]) == 2 and len(body["genres"]) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"window": "year"}, "window"),
        ({"window": ""}, "window"),
        ({"window": "WEEK"}, "window"),
        ({"limit": ""}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "51"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "1.0"}, "limit"),
        ({"limit": "\uff15"}, "limit"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(auth_client, params, field):
    response = _get(auth_client, **params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_anonymous_is_refused(api_client):
    assert _get(api_client).status_code == 401


def test_the_schema_documents_trends_and_summary(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    trends = schema["paths"]["/api/analytics/trends/"]["get"]
    assert {p["name"] for p in trends["parameters"]} >= {"window", "limit"}
    assert "share +4" in trends["description"]
    assert "200" in trends["responses"]
    assert "200" in schema["paths"]["/api/analytics/summary/"]["get"]["responses"]
