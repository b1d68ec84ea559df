"""Keeping events out of a listener's taste: stored and exported, counted nowhere, and
counted again when let back in (POST /api/analytics/user/{id}/exclusions/, the activity
endpoint's `excluded`, the import's `?excluded=true`)."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import Activity, PendingRollup, UserMonth, UserSong, days_of, month_start
from analytics.selectors import songs_heard_since, user_song_signals
from analytics.services.exclusions import Selection, activity_exclude
from analytics.services.rollups import days_refresh, rollups_catch_up, rollups_refresh, user_rollups_refresh
from analytics.services.rollups_rebuild import rollups_rebuild
from tests.analytics.builders import rollups, today_at
from tests.factories import SongFactory, UserFactory

ACTIVITY = "/api/analytics/activity/"


def _url(user_id: int) -> str:
    return f"/api/analytics/user/{user_id}/exclusions/"


def _counted_rows() -> dict[str, set[tuple]]:
    """The rollups without the rows an exclusion left at zero (a rebuild, which counts
    events, writes none): every counter, active day and latest time of the others."""
    # Where each table's four counters sit in its rows (after its key).
    counters_at = {"song_totals": 1}
    return {
        table: {row for row in rows if any(row[counters_at.get(table, 2) :][:4])}
        for table, rows in rollups().items()
    }


@pytest.fixture
def songs(db):
    return SongFactory.create_batch(3)


@pytest.fixture
def ids(auth_client, songs):
    """The caller's history, yesterday (never in the future, whenever the test runs): a like
    and two plays of the first song, a skip of the second, a share of the third; returns the
    event ids by name."""
    me = auth_client.user.id
    moments = [today_at(days_ago=1, hour=h) for h in (1, 2, 3, 4, 5)]
    events = [
        {"song": songs[0].id, "action": "like", "event_id": "like", "occurred_at": moments[0].isoformat()},
        {"song": songs[0].id, "action": "play", "event_id": "play1", "occurred_at": moments[1].isoformat()},
        {"song": songs[0].id, "action": "play", "event_id": "play2", "occurred_at": moments[2].isoformat()},
        {"song": songs[1].id, "action": "skip", "event_id": "skip", "occurred_at": moments[3].isoformat()},
        {"song": songs[2].id, "action": "share", "event_id": "share", "occurred_at": moments[4].isoformat()},
    ]
    assert auth_client.post(ACTIVITY, events, format="json").status_code == 201
    rollups_catch_up()
    return dict(Activity.objects.filter(user_id=me).values_list("event_id", "id"))


def _signals(user_id: int) -> dict[int, float]:
    signals = user_song_signals(user_id=user_id)
    return dict(zip(signals.song_ids.tolist(), signals.score.tolist(), strict=True))


def test_an_event_posted_as_excluded_is_stored_and_exported_but_counted_nowhere(auth_client, songs):
    me = auth_client.user
    body = [
        {"song": songs[0].id, "action": "play"},
        {"song": songs[1].id, "action": "like", "excluded": True},
    ]

    assert auth_client.post(ACTIVITY, body, format="json").status_code == 201
    # Before and after the rollup job: the signals never see it.
    assert _signals(me.id) == {songs[0].id: 1.0}
    rollups_catch_up()

    stats = auth_client.get(f"/api/analytics/user/{me.id}/").json()
    assert stats["totals"] == {"play": 1, "like": 0, "skip": 0, "share": 0}
    assert [event["song"] for event in stats["recent"]] == [songs[0].id]
    assert [song["title"] for song in auth_client.get("/api/analytics/trends/").json()["songs"]] == [
        songs[0].title
    ]
    assert _signals(me.id) == {songs[0].id: 1.0}
    export = auth_client.get(f"/api/analytics/user/{me.id}/export/")
    lines = [json.loads(line) for line in b"".join(export.streaming_content).splitlines()]
    assert sorted((line["song"], line["excluded"]) for line in lines) == [
        (songs[0].id, False),
        (songs[1].id, True),
    ]


@pytest.mark.parametrize("use_sql", [False, True], ids=["portable", "sql"])
def test_excluding_takes_events_out_of_every_rollup_and_including_puts_them_back(
    auth_client, songs, ids, use_sql, monkeypatch
):
    if use_sql and connection.vendor != "postgresql":
        pytest.skip("the single-statement path is PostgreSQL's")
    from analytics.services import rollups as rollups_service

    monkeypatch.setattr(rollups_service, "use_sql", lambda: use_sql)
    me = auth_client.user.id
    before = _counted_rows()
    assert _signals(me) == {songs[0].id: 5.0, songs[1].id: -2.0, songs[2].id: 4.0}

    response = auth_client.post(_url(me), {"events": [ids["like"], ids["play1"], ids["skip"]]}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"excluded": True, "matched": 3, "changed": 3}
    # Pending (negative) counts already cancel them for the recommendations.
    assert _signals(me) == {songs[0].id: 1.0, songs[2].id: 4.0}
    rollups_refresh()
    assert _signals(me) == {songs[0].id: 1.0, songs[2].id: 4.0}
    assert UserSong.objects.get(user_id=me, song=songs[0]).plays == 1
    # What a rebuild from the events (which reads the flag) gives.
    excluded = _counted_rows()
    rollups_rebuild()
    assert _counted_rows() == excluded
    stats = auth_client.get(f"/api/analytics/user/{me}/").json()
    assert stats["totals"] == {"play": 1, "like": 0, "skip": 0, "share": 1}

    back = auth_client.post(
        _url(me), {"events": [ids["like"], ids["play1"], ids["skip"]], "excluded": False}, format="json"
    )

    assert back.json() == {"excluded": False, "matched": 3, "changed": 3}
    rollups_refresh()
    assert _counted_rows() == before


@pytest.mark.parametrize("counted_first", [True, False], ids=["counted-first", "excluded-while-pending"])
@pytest.mark.parametrize("use_sql", [False, True], ids=["portable", "sql"])
def test_a_day_and_a_latest_time_are_those_of_counted_events(
    auth_client, songs, use_sql, counted_first, monkeypatch
):
    """Active days (the streak) and latest times count what every counter counts: taking out
    a day's only counted events clears that day, and a song's or month's latest time goes
    back to its latest counted event, whether the rollup job counted the events before they
    were excluded or finds both at once; a rebuild from the events gives the same rollups."""
    if use_sql and connection.vendor != "postgresql":
        pytest.skip("the single-statement path is PostgreSQL's")
    from analytics.services import rollups as rollups_service

    monkeypatch.setattr(rollups_service, "use_sql", lambda: use_sql)
    me = auth_client.user.id
    kept, yesterday = today_at(days_ago=1, hour=1), today_at(days_ago=1).date()
    moments = {
        "early": today_at(days_ago=2, hour=5),
        "kept": kept,
        "latest": today_at(days_ago=1, hour=9),
        "like": today_at(days_ago=1, hour=10),
    }
    events = [
        {
            "song": songs[1 if name == "like" else 0].id,
            "action": "like" if name == "like" else "play",
            "event_id": name,
            "occurred_at": at.isoformat(),
        }
        for name, at in moments.items()
    ]
    assert auth_client.post(ACTIVITY, events, format="json").status_code == 201
    stats = f"/api/analytics/user/{me}/"
    if counted_first:
        rollups_catch_up()
        assert auth_client.get(stats).json()["streak_days"] == 2
    ids = dict(Activity.objects.filter(user_id=me).values_list("event_id", "id"))

    response = auth_client.post(
        _url(me), {"events": [ids["early"], ids["latest"], ids["like"]]}, format="json"
    )

    assert response.json()["changed"] == 3
    days_refresh()
    # The user stage one row a run: an event's own rows reach it in the order they were written.
    while user_rollups_refresh(cap=1).applied:
        pass
    assert auth_client.get(stats).json()["streak_days"] == 1
    assert [
        day for month in UserMonth.objects.filter(user_id=me) for day in days_of(month.month, month.days)
    ] == [yesterday]
    assert UserMonth.objects.get(user_id=me, month=month_start(yesterday)).last_at == kept
    assert UserSong.objects.get(user_id=me, song=songs[0]).last_at == kept
    incremental = _counted_rows()
    rollups_rebuild()
    assert _counted_rows() == incremental


def test_listening_kept_out_of_taste_is_not_heard_lately(auth_client, songs, ids):
    """What the daily mix leaves out as "heard this week": counted events only."""
    me = auth_client.user.id
    week_ago = today_at(days_ago=7)
    assert songs_heard_since(user_id=me, since=week_ago) == {songs[0].id, songs[1].id, songs[2].id}

    auth_client.post(_url(me), {"events": [ids["share"], ids["skip"]]}, format="json")
    rollups_catch_up()

    assert songs_heard_since(user_id=me, since=week_ago) == {songs[0].id}
    assert songs_heard_since(user_id=me, since=today_at(days_ago=1, hour=6)) == set()


def test_asking_twice_changes_nothing_more(
    auth_client, songs, ids, signals_received, django_capture_on_commit_callbacks
):
    me = auth_client.user.id

    with django_capture_on_commit_callbacks(execute=True):
        first = auth_client.post(_url(me), {"events": [ids["play1"]]}, format="json")
        second = auth_client.post(_url(me), {"events": [ids["play1"]]}, format="json")

    assert first.json()["changed"] == 1
    assert second.json() == {"excluded": True, "matched": 1, "changed": 0}
    rollups_catch_up()
    assert UserSong.objects.get(user=auth_client.user, song=songs[0]).plays == 1
    # The recommendations are made stale once: by the call that changed something.
    assert signals_received == [me]


def test_a_window_names_the_callers_events_in_it_only(auth_client, songs, ids):
    me = auth_client.user.id
    other = UserFactory()
    activity_other = Activity.objects.create(
        user=other, song=songs[0], action=1, occurred_at=today_at(days_ago=1, hour=2, minute=30)
    )

    response = auth_client.post(
        _url(me),
        {
            "since": today_at(days_ago=1, hour=2).isoformat(),
            "until": today_at(days_ago=1, hour=4).isoformat(),
        },
        format="json",
    )

    # [02:00:01, 04:00:01): play2 at 03:00:01 and play1 at 02:00:01; not the skip at 04:00:01.
    assert response.json() == {"excluded": True, "matched": 2, "changed": 2}
    flagged = set(Activity.objects.filter(excluded=True).values_list("id", flat=True))
    assert flagged == {ids["play1"], ids["play2"]}
    activity_other.refresh_from_db()
    assert not activity_other.excluded


def test_another_users_event_ids_match_nothing(auth_client, make_auth_client, ids):
    stranger = make_auth_client(UserFactory())

    response = stranger.post(_url(stranger.user.id), {"events": list(ids.values())}, format="json")

    assert response.json() == {"excluded": True, "matched": 0, "changed": 0}
    assert not Activity.objects.filter(excluded=True).exists()


@pytest.mark.parametrize("who", ["other", "staff"])
def test_another_users_exclusions_are_a_404(auth_client, make_auth_client, ids, who):
    caller = make_auth_client(UserFactory(is_staff=who == "staff"))

    response = caller.post(_url(auth_client.user.id), {"events": [ids["like"]]}, format="json")

    assert response.status_code == 404
    assert not Activity.objects.filter(excluded=True).exists()


def test_anonymous_is_401(api_client, user):
    assert api_client.post(_url(user.id), {"events": [1]}, format="json").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "events"),
        ({"events": [1], "since": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00Z"}, "events"),
        ({"events": [1], "import_id": "0" * 32}, "events"),
        ({"since": "2026-01-01T00:00:00Z"}, "until"),
        ({"until": "2026-01-01T00:00:00Z"}, "since"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"events": []}, "events"),
        ({"events": list(range(1, 502))}, "events"),
        ({"events": [0]}, "events"),
        ({"events": ["x"]}, "events"),
        ({"import_id": "../etc"}, "import_id"),
        ({"events": [1], "excluded": "maybe"}, "excluded"),
        # JSON as sent: no text for a number or a boolean, no time without its timezone.
        ({"events": ["1"]}, "events"),
        ({"events": [1.0]}, "events"),
        ({"events": [1], "excluded": "no"}, "excluded"),
        ({"events": [1], "excluded": 0}, "excluded"),
        ({"since": "2026-01-01", "until": "2027-01-01"}, "since"),
        ({"since": "2026-01-01T00:00:00Z", "until": "2027-01-01T00:00:00"}, "until"),
        # A misspelt field would leave `excluded` at its default: the opposite of what was meant.
        ({"events": [1], "exclude": False}, "exclude"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(auth_client, ids, body, field):
    response = auth_client.post(_url(auth_client.user.id), body, format="json")

    assert response.status_code == 400
    assert field in json.dumps(response.json())
    assert not Activity.objects.filter(excluded=True).exists()
    assert not PendingRollup.objects.exists()


@pytest.mark.postgres
def test_concurrent_calls_take_events_out_once(transactional_db):
    """Two calls racing on the same events: one flips them, the other finds them flipped."""
    user, song = UserFactory(), SongFactory()
    Activity.objects.bulk_create(
        Activity(user=user, song=song, action=1, occurred_at=today_at(days_ago=1, hour=h))
        for h in range(1, 6)
    )
    barrier = threading.Barrier(2)
    changed: list[int] = []

    def exclude() -> None:
        try:
            barrier.wait()
            window = Selection(since=today_at(days_ago=1), until=today_at(days_ago=1, hour=23))
            changed.append(activity_exclude(user_id=user.id, selection=window).changed)
        finally:
            connection.close()

    threads = [threading.Thread(target=exclude) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(changed) == [0, 5]
    assert sum(PendingRollup.objects.values_list("count", flat=True)) == -5


@pytest.mark.postgres
def test_events_are_locked_in_the_order_of_their_ids(db):
    """Every call locks the events it flips in one order, so two calls on overlapping
    events wait for each other instead of deadlocking (one of them then answered 503)."""
    user, song = UserFactory(), SongFactory()
    Activity.objects.bulk_create(
        Activity(user=user, song=song, action=1, occurred_at=today_at(days_ago=1, hour=h))
        for h in range(1, 4)
    )
    with CaptureQueriesContext(connection) as queries:
        activity_exclude(
            user_id=user.id, selection=Selection(ids=list(Activity.objects.values_list("id", flat=True)))
        )

    [locking] = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    # The id is the first column selected: Django orders by its position.
    assert locking.endswith(
        ("ORDER BY 1 ASC FOR UPDATE", 'ORDER BY "analytics_activity"."id" ASC FOR UPDATE')
    )


@pytest.mark.usefixtures("partitions_forgotten")
class TestImport:
    def _history(self, song) -> bytes:
        artist = song.artists.first().name if song.artists.exists() else None
        assert artist is not None
        at = int((dt.datetime.now(dt.UTC) - dt.timedelta(days=400)).timestamp())
        return json.dumps(
            [{"listened_at": at, "track_metadata": {"artist_name": artist, "track_name": song.title}}]
        ).encode()

    @pytest.fixture
    def credited(self, db):
        from tests.factories import SongArtistFactory

        song = SongFactory(title="Party Anthem")
        SongArtistFactory(song=song)
        return song

    def test_an_import_can_be_kept_out_from_the_start(self, auth_client, credited):
        response = auth_client.post(
            "/api/analytics/import/?excluded=true", self._history(credited), content_type="application/json"
        )

        assert response.json()["stored"] == 1
        assert Activity.objects.get().excluded
        assert not PendingRollup.objects.exists()

    def test_an_earlier_import_is_kept_out_by_its_id(self, auth_client, credited):
        imported = auth_client.post(
            "/api/analytics/import/", self._history(credited), content_type="application/json"
        ).json()
        rollups_catch_up()
        assert UserSong.objects.get().plays == 1

        response = auth_client.post(
            _url(auth_client.user.id), {"import_id": imported["import_id"]}, format="json"
        )

        assert response.json() == {"excluded": True, "matched": 1, "changed": 1}
        rollups_catch_up()
        assert not UserSong.objects.exists()  # nothing counted in it: gone, as a rebuild writes none
        assert _signals(auth_client.user.id) == {}


def test_a_plays_listening_time_is_taken_back_as_it_was_counted_after_its_song_changed(
    auth_client, songs, ids
):
    """The catalog re-loaded with another duration for the song: an exclusion takes back the
    time the plays were counted with, and a rebuild recounts that time, not the new one."""
    me = auth_client.user.id
    counted = 2 * songs[0].duration_ms
    assert auth_client.get(f"/api/analytics/user/{me}/").json()["listening_ms"] == counted
    songs[0].__class__.objects.filter(pk=songs[0].pk).update(duration_ms=songs[0].duration_ms + 60_000)

    auth_client.post(_url(me), {"events": [ids["play1"], ids["play2"]]}, format="json")
    rollups_refresh()
    taken_back = auth_client.get(f"/api/analytics/user/{me}/").json()["listening_ms"]
    auth_client.post(_url(me), {"events": [ids["play1"]], "excluded": False}, format="json")
    rollups_refresh()
    one_back = auth_client.get(f"/api/analytics/user/{me}/").json()["listening_ms"]
    rollups_rebuild()

    assert taken_back == 0
    assert one_back == counted // 2
    assert auth_client.get(f"/api/analytics/user/{me}/").json()["listening_ms"] == counted // 2


def test_a_songs_latest_time_never_comes_back_from_an_excluded_event(auth_client, songs):
    me = auth_client.user.id
    excluded_at, later_counted = today_at(days_ago=0, hour=0), today_at(days_ago=2, hour=5)
    play = {"song": songs[0].id, "action": "play", "event_id": "gone", "occurred_at": excluded_at.isoformat()}
    assert auth_client.post(ACTIVITY, [play], format="json").status_code == 201
    rollups_catch_up()
    user_rollups_refresh()
    gone = Activity.objects.get(user_id=me, event_id="gone").id
    auth_client.post(_url(me), {"events": [gone]}, format="json")
    days_refresh()
    user_rollups_refresh()

    again = {
        "song": songs[0].id,
        "action": "play",
        "event_id": "kept",
        "occurred_at": later_counted.isoformat(),
    }
    assert auth_client.post(ACTIVITY, [again], format="json").status_code == 201
    days_refresh()
    user_rollups_refresh()

    assert UserSong.objects.get(user_id=me, song=songs[0]).last_at == later_counted
    top = auth_client.get(f"/api/analytics/user/{me}/").json()["top_songs"]
    assert [(item["id"], item["last_at"]) for item in top] == [
        (songs[0].id, later_counted.isoformat().replace("+00:00", "Z"))
    ]
