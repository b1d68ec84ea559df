"""POST /api/analytics/activity/: accepted whole or not at all, stored once, never lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from analytics.models import Action, Activity, ActivityKey, PendingRollup
from tests.factories import SongFactory, UserFactory

URL = "/api/analytics/activity/"


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


@pytest.fixture
def songs(db):
    return SongFactory.create_batch(3)


def _post(client, body):
    return client.post(URL, body, format="json")


def test_one_event_is_stored_before_the_201(auth_client, songs):
    before = timezone.now()

    response = _post(auth_client, {"song": songs[0].id, "action": "play", "context": {"device": "phone"}})

    assert response.status_code == 201
    assert response.json() == {"stored": 1, "duplicates": 0}
    event = Activity.objects.get()
    assert (event.user_id, event.song_id, event.action) == (auth_client.user.id, songs[0].id, Action.PLAY)
    assert event.context == {"device": "phone"}
    # No occurred_at: the time it was received.
    assert before <= event.occurred_at <= timezone.now()
    assert event.received_at >= before


def test_a_batch_names_songs_by_id_or_spotify_id(auth_client, songs):
    at = timezone.now() - dt.timedelta(days=3)
    body = [
        {"song": songs[0].id, "action": "play", "occurred_at": _iso(at)},
        {"spotify_id": songs[1].spotify_id, "action": "like", "occurred_at": _iso(at)},
        {"spotify_id": songs[2].spotify_id, "action": "skip"},
        {"song": songs[2].id, "action": "share"},
    ]

    response = _post(auth_client, body)

    assert response.status_code == 201
    assert response.json() == {"stored": 4, "duplicates": 0}
    stored = set(Activity.objects.values_list("song_id", "action"))
    assert stored == {
        (songs[0].id, Action.PLAY),
        (songs[1].id, Action.LIKE),
        (songs[2].id, Action.SKIP),
        (songs[2].id, Action.SHARE),
    }
    assert Activity.objects.get(action=Action.LIKE).occurred_at == at
    # The rollup job's share of the write: one pending row per (day, song, action).
    assert PendingRollup.objects.count() == 4
    play = PendingRollup.objects.get(action=Action.PLAY)
    assert (play.day, play.count, play.listen_ms) == (at.date(), 1, songs[0].duration_ms)


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        ({"action": "dance"}, "action", "must be one of play, like, skip, share"),
        ({"action": None}, "action", "null"),
        ({"song": 0}, "song", ">= 1"),
        ({"song": "1"}, "song", "str"),
        ({"song": True}, "song", "bool"),
        ({"song": 2**63}, "song", "<="),
        ({"song": 999_999}, "song", "No song"),
        ({"song": None, "spotify_id": "nope"}, "spotify_id", "No song"),
        ({"spotify_id": "x"}, "song", "exactly one"),
        ({"song": None}, "song", "exactly one"),
        ({"occurred_at": "2026-12-01T08:00:00"}, "occurred_at", "timezone"),
        ({"occurred_at": "yesterday"}, "occurred_at", "datetime"),
        ({"occurred_at": 1764576000}, "occurred_at", "int"),
        ({"event_id": ""}, "event_id", "length"),
        ({"event_id": "x" * 65}, "event_id", "length"),
        ({"context": "phone"}, "context", "object"),
        ({"context": {"blob": "x" * 1100}}, "context", "bytes"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
)
def test_one_bad_event_is_a_400_naming_index_and_field_and_nothing_is_stored(
    auth_client, songs, bad, field, words
):
    good = {"song": songs[0].id, "action": "play"}
    body = [good, good, {**good, **bad}, good]

    response = _post(auth_client, body)

    assert response.status_code == 400, response.content
    error = response.json()
    assert error["index"] == 2
    assert error["field"] == field
    assert words in error["detail"]
    assert error["detail"].startswith(f"Event 2: {field}:")
    assert not Activity.objects.exists()
    assert not PendingRollup.objects.exists()


def test_a_single_bad_event_names_its_field_without_an_index(auth_client, songs):
    response = _post(auth_client, {"song": songs[0].id, "action": "rewind"})

    assert response.status_code == 400
    assert response.json()["field"] == "action"
    assert "index" not in response.json()


def test_a_missing_field_is_named(auth_client, songs):
    single = _post(auth_client, {"song": songs[0].id})
    batch = _post(auth_client, [{"song": songs[0].id, "action": "play"}, {"song": songs[0].id}])

    assert single.status_code == batch.status_code == 400
    assert single.json()["field"] == "action"
    assert single.json()["detail"] == "Event: action: Object missing required field `action`"
    assert (batch.json()["index"], batch.json()["field"]) == (1, "action")
    assert not Activity.objects.exists()


# Raw JSON text: a lone surrogate or 1e400 cannot be written by the test client's encoder.
@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        ('"context": {"x": "a\\u0000b"}', "context", "NUL"),
        ('"context": {"k\\u0000": 1}', "context", "NUL"),
        ('"context": {"x": [1, {"y": 1e400}]}', "context", "not finite"),
        ('"context": {"x": -1e400}', "context", "not finite"),
        ('"context": {"x": "\\ud800"}', "context", "surrogate"),
        ('"context": {"\\udfff": "x"}', "context", "surrogate"),
        ('"event_id": "e\\u0000"', "event_id", "NUL"),
        ('"event_id": "e\\ud800"', "event_id", "surrogate"),
        ('"song": null, "spotify_id": "s\\u0000"', "spotify_id", "NUL"),
        ('"song": null, "spotify_id": "s\\ud800"', "spotify_id", "surrogate"),
        # msgspec's messages quote these values back.
        ('"action": "\\ud800"', "action", "surrogate"),
        ('"occurred_at": "\\ud800"', "occurred_at", "surrogate"),
        ('"\\ud800": 1', None, "surrogate"),
    ],
)
def test_what_postgresql_cannot_store_is_a_400_naming_index_and_field(auth_client, songs, bad, field, words):
    # A character beyond the BMP, sent as its surrogate pair, is text like any other.
    good = f'{{"song": {songs[0].id}, "action": "play", "context": {{"mood": "\\ud83c\\udfb8", "n": 1e300}}}}'
    # The bad field replaces the event's own of that name (a key given twice is refused).
    base = {'"song"': f'"song": {songs[0].id}', '"action"': '"action": "play"'}
    fields = [text for key, text in base.items() if key not in bad]
    body = f"[{good}, {good}, {{{', '.join([*fields, bad])}}}]"

    response = auth_client.post(URL, body, content_type="application/json")

    assert response.status_code == 400, response.content
    error = response.json()
    assert (error["index"], error["field"]) == (2, field)
    assert words in error["detail"]
    assert error["detail"].startswith(f"Event 2: {field}:" if field else "Event 2: A field's name:")
    assert not Activity.objects.exists()
    assert not ActivityKey.objects.exists()


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (dt.timedelta(minutes=4), True),
        (dt.timedelta(minutes=6), False),
        (-dt.timedelta(days=29, hours=23), True),
        (-dt.timedelta(days=30, minutes=1), False),
    ],
)
def test_occurred_at_is_at_most_5_minutes_ahead_and_30_days_old(auth_client, songs, offset, accepted):
    body = {"song": songs[0].id, "action": "play", "occurred_at": _iso(timezone.now() + offset)}

    response = _post(auth_client, body)

    assert response.status_code == (201 if accepted else 400)
    assert Activity.objects.exists() is accepted
    if not accepted:
        assert response.json()["field"] == "occurred_at"


def test_500_events_are_one_batch_and_501_are_refused(auth_client, songs):
    event = {"song": songs[0].id, "action": "play"}

    assert _post(auth_client, [event] * 501).status_code == 400
    assert not Activity.objects.exists()
    response = _post(auth_client, [event] * 500)
    assert response.status_code == 201
    assert Activity.objects.count() == 500


@pytest.mark.parametrize("body", [[], "play", 7, None, [["play"]]])
def test_a_body_that_is_not_events_is_a_400(auth_client, songs, body):
    response = _post(auth_client, body)

    assert response.status_code == 400
    assert "detail" in response.json()
    assert not Activity.objects.exists()


def test_a_body_that_is_not_json_is_a_400(auth_client, songs):
    response = auth_client.post(URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_anonymous_is_401(api_client, songs):
    response = _post(api_client, {"song": songs[0].id, "action": "play"})

    assert response.status_code == 401
    assert not Activity.objects.exists()


def test_a_retried_batch_is_stored_once(auth_client, songs):
    body = [
        {"song": songs[0].id, "action": "play", "event_id": "a"},
        {"song": songs[1].id, "action": "like", "event_id": "b"},
        {"song": songs[2].id, "action": "skip"},
    ]

    first = _post(auth_client, body)
    retry = _post(auth_client, body)

    assert first.json() == {"stored": 3, "duplicates": 0}
    # The event without an id cannot be recognised: it is stored again.
    assert retry.json() == {"stored": 1, "duplicates": 2}
    assert retry.status_code == 201
    assert Activity.objects.filter(event_id__isnull=False).count() == 2
    assert ActivityKey.objects.count() == 2


def test_a_repeated_event_id_within_one_batch_is_a_duplicate(auth_client, songs):
    event = {"song": songs[0].id, "action": "play", "event_id": "same"}

    response = _post(auth_client, [event, event])

    assert response.json() == {"stored": 1, "duplicates": 1}
    assert Activity.objects.count() == 1


def test_event_ids_are_per_user(make_auth_client, songs):
    event = {"song": songs[0].id, "action": "play", "event_id": "shared-id"}

    for client in (make_auth_client(), make_auth_client()):
        assert _post(client, event).json() == {"stored": 1, "duplicates": 0}
    assert Activity.objects.count() == 2


def test_signals_changed_is_sent_once_after_commit(
    auth_client, songs, django_capture_on_commit_callbacks, signals_received
):
    with django_capture_on_commit_callbacks(execute=True):
        _post(auth_client, [{"song": songs[0].id, "action": "skip", "event_id": "s"}] * 2)
    with django_capture_on_commit_callbacks(execute=True):
        # All duplicates: nothing changed, nothing sent.
        _post(auth_client, {"song": songs[0].id, "action": "skip", "event_id": "s"})

    assert signals_received == [auth_client.user.id]


def test_events_are_stored_while_redis_is_down(
    auth_client, songs, point_redis_at, dead_port, django_capture_on_commit_callbacks
):
    point_redis_at(f"redis://127.0.0.1:{dead_port}/0")

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(auth_client, [{"song": s.id, "action": "play"} for s in songs])

    assert response.status_code == 201
    assert Activity.objects.count() == 3
    assert PendingRollup.objects.count() == 3


def test_a_deactivated_users_token_stores_nothing(make_auth_client, songs):
    client = make_auth_client(UserFactory())
    client.user.is_active = False
    client.user.save()

    response = _post(client, {"song": songs[0].id, "action": "play"})

    assert response.status_code == 401
    assert not Activity.objects.exists()
