"""GET /api/analytics/user/{id}/export/: the owner's events as streamed JSON lines."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from analytics.models import Action, Activity
from analytics.selectors.export import FIELDS, activity_export_lines
from analytics.services import EventIn, activity_record
from music_discovery import heartbeat
from tests.factories import SongFactory, UserFactory


def _url(user_id: int) -> str:
    return f"/api/analytics/user/{user_id}/export/"


def _lines(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    assert body == "" or body.endswith("\n")
    return [json.loads(line) for line in body.splitlines()]


@pytest.fixture
def songs(db):
    return SongFactory.create_batch(2)


@pytest.fixture
def start():
    return dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=3)


def test_the_owner_gets_every_event_as_a_json_line_oldest_first(auth_client, songs, start):
    me = auth_client.user
    activity_record(
        user_id=me.id,
        events=[
            EventIn(song_id=songs[1].id, action=Action.LIKE, occurred_at=start + dt.timedelta(hours=1)),
            EventIn(
                song_id=songs[0].id,
                action=Action.PLAY,
                occurred_at=start,
                event_id="e-1",
                context={"device": "phone"},
            ),
        ],
    )
    activity_record(
        user_id=UserFactory().id, events=[EventIn(song_id=songs[0].id, action=Action.SKIP, occurred_at=start)]
    )

    response = auth_client.get(_url(me.id))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"] == f'attachment; filename="activity-{me.id}.jsonl"'
    lines = _lines(response)
    assert [tuple(line) for line in lines] == [FIELDS, FIELDS]
    first, second = lines
    stored = Activity.objects.get(event_id="e-1")
    assert first == {
        "id": stored.id,
        "song": songs[0].id,
        "spotify_id": songs[0].spotify_id,
        "action": "play",
        "occurred_at": start.isoformat().replace("+00:00", "Z"),
        "received_at": stored.received_at.isoformat().replace("+00:00", "Z"),
        "event_id": "e-1",
        "context": {"device": "phone"},
        "excluded": False,
    }
    assert (second["song"], second["action"], second["event_id"]) == (songs[1].id, "like", None)
    assert dt.datetime.fromisoformat(second["occurred_at"]) == start + dt.timedelta(hours=1)


def test_keyset_chunks_give_each_event_once_even_on_equal_times(user, songs, start):
    # 7 events share one time, 3 more follow: chunks of 2 break inside the ties.
    times = [start] * 7 + [start + dt.timedelta(seconds=s) for s in (1, 1, 2)]
    activity_record(
        user_id=user.id,
        events=[
            EventIn(song_id=songs[0].id, action=Action.PLAY, occurred_at=t, event_id=f"k{i}")
            for i, t in enumerate(times)
        ],
    )

    chunks = list(activity_export_lines(user_id=user.id, chunk=2))

    lines = [json.loads(line) for chunk in chunks for line in chunk.splitlines()]
    assert len(chunks) == 5
    assert sorted(line["event_id"] for line in lines) == sorted(f"k{i}" for i in range(10))
    assert [dt.datetime.fromisoformat(line["occurred_at"]) for line in lines] == times


def test_an_empty_history_is_an_empty_export(auth_client):
    response = auth_client.get(_url(auth_client.user.id))

    assert response.status_code == 200
    assert _lines(response) == []


def test_asking_for_json_lines_by_type_works(auth_client, songs, start):
    activity_record(
        user_id=auth_client.user.id,
        events=[EventIn(song_id=songs[0].id, action=Action.PLAY, occurred_at=start)],
    )

    response = auth_client.get(_url(auth_client.user.id), HTTP_ACCEPT="application/x-ndjson")

    assert response.status_code == 200
    assert len(_lines(response)) == 1


@pytest.mark.parametrize("who", ["other", "staff_on_unknown", "unknown"])
def test_only_the_owner_and_staff_may_export(make_auth_client, staff_user, songs, start, who):
    owner = UserFactory()
    activity_record(
        user_id=owner.id, events=[EventIn(song_id=songs[0].id, action=Action.PLAY, occurred_at=start)]
    )
    client = make_auth_client(staff_user if who == "staff_on_unknown" else None)
    user_id = owner.id if who == "other" else owner.id + 1000

    response = client.get(_url(user_id))

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert not getattr(response, "streaming", False)


def test_staff_export_anyones_events(staff_client, songs, start):
    owner = UserFactory()
    activity_record(
        user_id=owner.id, events=[EventIn(song_id=songs[0].id, action=Action.PLAY, occurred_at=start)]
    )

    response = staff_client.get(_url(owner.id))

    assert response.status_code == 200
    assert [line["song"] for line in _lines(response)] == [songs[0].id]


def test_anonymous_is_401(api_client, user):
    assert api_client.get(_url(user.id)).status_code == 401


def test_an_export_posted_back_is_all_duplicates(auth_client, songs, start):
    """The lines carry the activity endpoint's own field names: drop `id`, `received_at`
    and one of `song`/`spotify_id`, and the events post back as the same events (an
    excluded one still excluded)."""
    body = [
        {"song": songs[0].id, "action": "play", "occurred_at": start.isoformat(), "event_id": "a"},
        {
            "spotify_id": songs[1].spotify_id,
            "action": "share",
            "event_id": "b",
            "context": {"to": "friend"},
            "excluded": True,
        },
    ]
    assert auth_client.post("/api/analytics/activity/", body, format="json").status_code == 201

    lines = _lines(auth_client.get(_url(auth_client.user.id)))
    again = [
        {k: v for k, v in line.items() if k not in {"id", "received_at", "spotify_id"}} for line in lines
    ]
    response = auth_client.post("/api/analytics/activity/", again, format="json")

    assert response.json() == {"stored": 0, "duplicates": 2}
    assert lines[1]["context"] == {"to": "friend"}
    assert [line["excluded"] for line in lines] == [False, True]


def test_each_chunk_sent_is_the_workers_heartbeat(auth_client, songs, start, monkeypatch):
    """A download longer than the web worker's timeout goes on while it makes progress."""
    monkeypatch.setitem(activity_export_lines.__kwdefaults__, "chunk", 2)
    beats: list[int] = []
    monkeypatch.setattr(heartbeat, "_notify", lambda: beats.append(len(beats)))
    activity_record(
        user_id=auth_client.user.id,
        events=[
            EventIn(song_id=songs[0].id, action=Action.PLAY, occurred_at=start + dt.timedelta(seconds=i))
            for i in range(5)
        ],
    )

    response = auth_client.get(_url(auth_client.user.id))
    chunks = iter(response.streaming_content)
    next(chunks)
    before_the_second = len(beats)
    rest = list(chunks)

    assert before_the_second == 0
    assert len(rest) == 2
    assert len(beats) == 3
