"""GET /api/analytics/user/{id}/: a user's statistics, for them and staff only."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.models import Action
from analytics.selectors import user_stats as stats_module
from analytics.selectors.user_stats import streak_days
from analytics.services import EventIn, activity_record
from analytics.services.rollups import rollups_refresh
from tests.analytics.user_builders import artist, rolled_up, song_by, utc_today
from tests.factories import SongFactory, UserFactory


def _url(user_id: int) -> str:
    return f"/api/analytics/user/{user_id}/"


@pytest.fixture
def catalog(db):
    x, y = artist("Artist X"), artist("Artist Y")
    return {
        "x": x,
        "y": y,
        "a": song_by(x, title="Song A", genres=["rock"]),
        "b": song_by(y, x, title="Song B", genres=["pop"]),
        "c": song_by(y, title="Song C", genres=["jazz"]),
    }


def test_the_owner_gets_totals_tops_time_and_skip_rate(auth_client, catalog):
    me = auth_client.user
    rolled_up(me, catalog["a"], plays=3, listen_ms=600_000)
    rolled_up(me, catalog["b"], likes=1, shares=1)
    rolled_up(me, catalog["c"], plays=1, skips=2, listen_ms=100_000, day=utc_today() - dt.timedelta(days=1))
    # Another user's activity never shows.
    rolled_up(UserFactory(), catalog["c"], plays=50, listen_ms=9_000_000)

    response = auth_client.get(_url(me.id))

    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == me.id
    assert body["totals"] == {"play": 4, "like": 1, "skip": 2, "share": 1}
    assert body["listening_ms"] == 700_000
    assert body["skip_rate"] == pytest.approx(2 / 6, abs=1e-4)
    assert body["streak_days"] == 2
    # Scores: B = like 3 + share 4 = 7, A = 3 plays = 3, C = 1 - 2*2 < 0 (not "top").
    assert [(s["id"], s["score"]) for s in body["top_songs"]] == [(catalog["b"].id, 7), (catalog["a"].id, 3)]
    top_b = body["top_songs"][0]
    assert top_b["title"] == "Song B"
    assert top_b["artists"] == ["Artist Y", "Artist X"]
    assert (top_b["likes"], top_b["shares"], top_b["plays"]) == (1, 1, 0)
    # X is credited on A and B (3 + 7); Y on B and C (7 - 3).
    assert [(a["name"], a["score"]) for a in body["top_artists"]] == [("Artist X", 10), ("Artist Y", 4)]
    assert body["top_artists"][0]["id"] == catalog["x"].id
    assert [(g["name"], g["score"]) for g in body["top_genres"]] == [("pop", 7), ("rock", 3)]


def test_a_user_with_nothing_gets_zeros_and_no_skip_rate(auth_client, catalog):
    body = auth_client.get(_url(auth_client.user.id)).json()

    assert body["totals"] == {"play": 0, "like": 0, "skip": 0, "share": 0}
    assert body["skip_rate"] is None
    assert body["listening_ms"] == 0
    assert body["streak_days"] == 0
    assert body["top_songs"] == body["top_artists"] == body["top_genres"] == body["recent"] == []


def test_recent_activity_is_the_last_20_events_newest_first(auth_client, catalog):
    me = auth_client.user
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    events = [
        EventIn(song_id=catalog["a"].id, action=Action.PLAY, occurred_at=start + dt.timedelta(minutes=i))
        for i in range(24)
    ]
    events.append(
        EventIn(song_id=catalog["b"].id, action=Action.LIKE, occurred_at=start + dt.timedelta(hours=1))
    )
    activity_record(user_id=me.id, events=events)
    activity_record(
        user_id=UserFactory().id,
        events=[
            EventIn(song_id=catalog["c"].id, action=Action.SKIP, occurred_at=start + dt.timedelta(hours=1))
        ],
    )

    recent = auth_client.get(_url(me.id)).json()["recent"]

    assert len(recent) == 20
    assert recent[0]["song"] == catalog["b"].id
    assert recent[0]["title"] == "Song B"
    assert recent[0]["action"] == "like"
    assert recent[1]["action"] == "play"
    times = [dt.datetime.fromisoformat(r["occurred_at"]) for r in recent]
    assert times == sorted(times, reverse=True)
    assert times[-1] == start + dt.timedelta(minutes=5)


def test_staff_read_anyones_statistics(staff_client, catalog):
    other = UserFactory()
    rolled_up(other, catalog["a"], plays=2)

    response = staff_client.get(_url(other.id))

    assert response.status_code == 200
    assert response.json()["totals"]["play"] == 2


@pytest.mark.parametrize("who", ["other", "unknown", "huge"])
def test_another_users_or_an_unknown_id_is_a_404(auth_client, catalog, who):
    other = UserFactory()
    rolled_up(other, catalog["a"], plays=2)
    user_id = {"other": other.id, "unknown": other.id + 1000, "huge": 2**70}[who]

    response = auth_client.get(_url(user_id))

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "totals" not in response.json()


def test_an_unknown_id_is_a_404_for_staff_too(staff_client):
    assert staff_client.get(_url(staff_client.user.id + 1000)).status_code == 404


def test_anonymous_is_401(api_client, user):
    response = api_client.get(_url(user.id))

    assert response.status_code == 401


def test_the_reads_are_a_fixed_number_of_queries(auth_client, catalog, django_assert_max_num_queries):
    me = auth_client.user
    for day in range(30):
        for song in ("a", "b", "c"):
            rolled_up(me, catalog[song], plays=1, day=utc_today() - dt.timedelta(days=day))

    # Authentication, the month rows (totals, time, streak), top songs, recent, their titles
    # with their credits, top artists, top genres: whatever the history's length (the
    # owner's own id needs no visibility query).
    with django_assert_max_num_queries(7):
        assert auth_client.get(_url(me.id)).json()["streak_days"] == 30


def test_a_song_without_credits_lists_no_artists(auth_client, catalog):
    uncredited = SongFactory(title="Nobody's Song")
    rolled_up(auth_client.user, uncredited, plays=2)
    rolled_up(auth_client.user, catalog["b"], plays=1)

    top = auth_client.get(_url(auth_client.user.id)).json()["top_songs"]

    assert [(s["title"], s["artists"]) for s in top] == [
        ("Nobody's Song", []),
        ("Song B", ["Artist Y", "Artist X"]),
    ]


def test_times_come_back_as_stored_with_their_zone(user, catalog):
    # The reads are SQL: SQLite gives its stored times back naive, the ORM would not.
    at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
    activity_record(
        user_id=user.id, events=[EventIn(song_id=catalog["a"].id, action=Action.PLAY, occurred_at=at)]
    )
    rollups_refresh()

    stats = stats_module.user_stats(user_id=user.id)

    assert stats["recent"][0]["occurred_at"] == at
    assert stats["top_songs"][0]["last_at"] == at
    assert stats["streak_days"] == 1


class TestStreak:
    today = dt.date(2026, 12, 1)

    def _days(self, user, *ago: int, song) -> None:
        for n in ago:
            rolled_up(user, song, plays=1, day=self.today - dt.timedelta(days=n))

    @pytest.mark.parametrize(
        ("ago", "streak"),
        [
            ((0, 1, 2), 3),
            ((1, 2), 2),  # nothing yet today: the streak still stands
            ((0, 2, 3), 1),
            ((2, 3, 4), 0),  # a whole day without: over
            ((0,), 1),
            ((-1, 0, 1), 2),  # a day "after today" (a clock ahead at midnight) is not counted
            ((), 0),
        ],
    )
    def test_consecutive_days_ending_today_or_yesterday(self, user, catalog, ago, streak):
        self._days(user, *ago, song=catalog["a"])

        assert streak_days(user_id=user.id, today=self.today) == streak

    def test_a_streak_reads_on_across_months(self, user, catalog):
        # Back to 2026-09-23: October's 31st is the last bit of a month's days.
        self._days(user, *range(70), 72, song=catalog["a"])

        assert streak_days(user_id=user.id, today=self.today) == 70
        assert stats_module.user_stats(user_id=user.id, today=self.today)["streak_days"] == 70
