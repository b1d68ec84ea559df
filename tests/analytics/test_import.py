"""Importing a ListenBrainz history: POST /api/analytics/import/ and `manage.py import_listens`:
each matched listen stored once as a play, in any of the accepted forms."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from analytics.models import Action, Activity, ActivityKey, PendingRollup
from analytics.services import listens as listens_service
from music_discovery import heartbeat
from tests.analytics.builders import IMPORT_URL, NOW, T0, as_ndjson, import_counts, listen, post_listens

# A history reaches months no partition exists for (conftest.py).
pytestmark = pytest.mark.usefixtures("partitions_forgotten")


def test_listens_become_plays_of_matched_songs(auth_client, catalog, history):
    response = post_listens(auth_client, history)

    assert response.status_code == 200, response.content
    import_id = response.json()["import_id"]
    assert import_counts(response) == {
        "matched": 3,
        "unmatched": 2,
        "duplicates": 0,
        "stored": 3,
        "too_old": 0,
    }
    plays = list(
        Activity.objects.order_by("occurred_at").values_list("user_id", "song_id", "action", "occurred_at")
    )
    me = auth_client.user.id
    at = lambda ts: dt.datetime.fromtimestamp(ts, dt.UTC)  # noqa: E731
    assert plays == [
        (me, catalog["something"].id, Action.PLAY, at(T0)),
        (me, catalog["rhapsody"].id, Action.PLAY, at(T0 + 60)),
        (me, catalog["jude"].id, Action.PLAY, at(T0 + 240)),
    ]
    event = Activity.objects.get(song=catalog["jude"])
    assert event.event_id.startswith(f"lb:{T0 + 240}:")
    assert len(event.event_id) <= 64
    assert event.context == {
        "source": "listenbrainz",
        "import": import_id,
        "recording_msid": "0a1b2c3d-0000-4000-8000-000000000000",
    }
    # Counted by the rollups like any play.
    assert PendingRollup.objects.filter(action=Action.PLAY).count() == 3


def test_importing_again_counts_duplicates_and_stores_nothing(auth_client, catalog, history):
    post_listens(auth_client, history)

    again = auth_client.post(IMPORT_URL, as_ndjson(history), content_type="application/x-ndjson")

    assert again.status_code == 200
    assert import_counts(again) == {"matched": 3, "unmatched": 2, "duplicates": 3, "stored": 0, "too_old": 0}
    assert Activity.objects.count() == 3
    assert ActivityKey.objects.count() == 3


def test_the_same_listen_spelt_differently_is_one_play(auth_client, catalog):
    listens = [listen("The Beatles", "Hey Jude", T0), listen("the beatles", "HEY  JUDE", T0)]

    assert import_counts(post_listens(auth_client, listens)) == {
        "matched": 2,
        "unmatched": 0,
        "duplicates": 1,
        "stored": 1,
        "too_old": 0,
    }


def test_another_users_import_of_the_same_listens_is_theirs(make_auth_client, catalog, history):
    post_listens(make_auth_client(), history)

    assert post_listens(make_auth_client(), history).json()["stored"] == 3
    assert Activity.objects.count() == 6


def test_json_lines_and_a_multipart_file_are_accepted(auth_client, catalog, history):
    lines = as_ndjson(history[:2]).replace("\n", "\n\n")  # blank lines are ignored
    assert auth_client.post(IMPORT_URL, lines, content_type="application/x-ndjson").json()["stored"] == 2

    upload = SimpleUploadedFile("listens.json", json.dumps(history).encode(), content_type="application/json")
    response = auth_client.post(IMPORT_URL, {"file": upload}, format="multipart")

    assert response.status_code == 200
    assert import_counts(response) == {
        "matched": 3,
        "unmatched": 2,
        "duplicates": 2,
        "stored": 1,
        "too_old": 0,
    }


def test_an_import_then_an_export_shows_the_plays(auth_client, catalog, history):
    post_listens(auth_client, history)

    export = auth_client.get(f"/api/analytics/user/{auth_client.user.id}/export/")

    lines = [json.loads(line) for line in b"".join(export.streaming_content).splitlines()]
    assert [
        (line["song"], line["action"], dt.datetime.fromisoformat(line["occurred_at"])) for line in lines
    ] == [
        (catalog["something"].id, "play", dt.datetime.fromtimestamp(T0, dt.UTC)),
        (catalog["rhapsody"].id, "play", dt.datetime.fromtimestamp(T0 + 60, dt.UTC)),
        (catalog["jude"].id, "play", dt.datetime.fromtimestamp(T0 + 240, dt.UTC)),
    ]
    assert all(line["event_id"].startswith("lb:") for line in lines)


def test_listens_older_than_the_retention_are_not_stored(auth_client, catalog, settings):
    """Retention would drop them and their event ids while the rollups keep their counts:
    importing them again would count them twice."""
    settings.ANALYTICS_RETENTION_MONTHS = 3
    recent = int((NOW - dt.timedelta(days=1)).timestamp())
    listens = [listen("The Beatles", "Hey Jude", T0), listen("The Beatles", "Hey Jude", recent)]

    response = post_listens(auth_client, listens)

    assert import_counts(response) == {
        "matched": 1,
        "unmatched": 0,
        "duplicates": 0,
        "stored": 1,
        "too_old": 1,
    }
    assert Activity.objects.get().occurred_at == dt.datetime.fromtimestamp(recent, dt.UTC)


def test_anonymous_is_401(api_client, catalog, history):
    assert post_listens(api_client, history).status_code == 401
    assert not Activity.objects.exists()


class TestCommand:
    def test_it_imports_a_file_for_a_user(self, user, catalog, history, tmp_path, capsys):
        path = tmp_path / "listens.jsonl"
        path.write_text(as_ndjson(history))

        call_command("import_listens", str(path), "--user", user.username)
        call_command("import_listens", str(path), "--user", user.username)

        out = [
            re.sub(r"import id [0-9a-f]{32}", "import id X", line)
            for line in capsys.readouterr().out.splitlines()
        ]
        assert out == [
            "matched 3 (stored 3, duplicates 0), unmatched 2; import id X",
            "matched 3 (stored 0, duplicates 3), unmatched 2; import id X",
        ]
        assert Activity.objects.filter(user=user).count() == 3

    def test_an_unknown_user_is_a_clear_error(self, catalog, history, tmp_path):
        path = tmp_path / "listens.json"
        path.write_text(json.dumps(history))

        with pytest.raises(CommandError, match="No user named 'ghost'"):
            call_command("import_listens", str(path), "--user", "ghost")

    def test_a_missing_file_is_a_clear_error(self, user, tmp_path):
        with pytest.raises(CommandError, match="Cannot read .*nope.json"):
            call_command("import_listens", str(tmp_path / "nope.json"), "--user", user.username)

    def test_a_bad_file_is_a_clear_error_and_nothing_is_stored(self, user, catalog, tmp_path):
        path = tmp_path / "listens.jsonl"
        path.write_text(json.dumps(listen("The Beatles", "Hey Jude", T0)) + '\n{"listened_at": "x"}\n')

        with pytest.raises(CommandError, match=r"Line 2: listened_at: Expected `int`.*nothing imported"):
            call_command("import_listens", str(path), "--user", user.username)
        assert not Activity.objects.exists()


def test_the_same_history_imported_again_has_the_same_id(auth_client, catalog, history):
    """The id names the events the history stored, whichever import of it stored them: a
    new id each time named nothing on a second import (excluding "that import" then kept
    nothing out), and split concurrent imports of one file."""
    first = post_listens(auth_client, history).json()["import_id"]
    again = auth_client.post(IMPORT_URL, as_ndjson(history), content_type="application/x-ndjson")

    assert again.json()["import_id"] == first
    assert post_listens(auth_client, history[:2]).json()["import_id"] != first


def test_each_batch_stored_is_the_workers_heartbeat(auth_client, catalog, monkeypatch):
    """An import longer than the web worker's timeout goes on while its batches go in."""
    monkeypatch.setattr(listens_service, "BATCH", 2)
    beats: list[int] = []
    monkeypatch.setattr(heartbeat, "_notify", lambda: beats.append(len(beats)))
    five = [listen("The Beatles", "Hey Jude", T0 + 60 * i) for i in range(5)]

    response = post_listens(auth_client, five)

    assert import_counts(response)["stored"] == 5
    assert len(beats) == 1 + 1 + 3  # parsed, matched, then batches of 2, 2 and 1
