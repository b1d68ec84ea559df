"""Importing a ListenBrainz history: POST /api/analytics/import/ and `manage.py import_listens`."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings

from analytics.models import Action, Activity, ActivityKey, PendingRollup
from catalog.selectors import match
from catalog.selectors.match import TITLE_SIMILARITY, songs_match
from catalog.selectors.search_text import similarity
from tests.analytics.user_builders import artist, song_by

URL = "/api/analytics/import/"
NDJSON = "application/x-ndjson"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
# History: a year ago, and older than the activity endpoint's 30 days.
T0 = int((NOW - dt.timedelta(days=365)).timestamp())


def _listen(artist_name: str, track: str, at: int, **extra) -> dict:
    return {
        "listened_at": at,
        "track_metadata": {
            "artist_name": artist_name,
            "track_name": track,
            "release_name": "Some album",
            "additional_info": {"media_player": "foobar", "duration_ms": 123},
        },
        "recording_msid": "0a1b2c3d-0000-4000-8000-000000000000",
        "user_name": "someone",
        **extra,
    }


# A history reaches months no partition exists for (conftest.py).
pytestmark = pytest.mark.usefixtures("partitions_forgotten")


@pytest.fixture
def catalog(db):
    beatles, queen = artist("The Beatles"), artist("Queen")
    return {
        "something": song_by(beatles, title="Something"),
        "jude": song_by(beatles, title="Hey Jude"),
        "rhapsody": song_by(queen, title="Bohemian Rhapsody"),
    }


@pytest.fixture
def history():
    return [
        _listen("the  BEATLES", "SOMETHING", T0),  # exact, once normalised
        _listen("Queen", "Bohemian Rapsody", T0 + 60),  # a typo: trigram similarity
        _listen("Nobody Known", "Something", T0 + 120),  # no such artist
        _listen("The Beatles", "Yellow Submarine", T0 + 180),  # no such title
        _listen("The Beatles", "Hey Jude", T0 + 240),
    ]


def _post_json(client, listens):
    return client.post(URL, json.dumps(listens), content_type="application/json")


def _ndjson(listens) -> str:
    return "\n".join(json.dumps(listen) for listen in listens) + "\n"


def _counts(response) -> dict:
    """The import's counts; its `import_id` checked for shape and left out."""
    body = response.json()
    assert re.fullmatch(r"[0-9a-f]{32}", body.pop("import_id"))
    return body


def test_listens_become_plays_of_matched_songs(auth_client, catalog, history):
    response = _post_json(auth_client, history)

    assert response.status_code == 200, response.content
    import_id = response.json()["import_id"]
    assert _counts(response) == {"matched": 3, "unmatched": 2, "duplicates": 0, "stored": 3, "too_old": 0}
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
    _post_json(auth_client, history)

    again = auth_client.post(URL, _ndjson(history), content_type="application/x-ndjson")

    assert again.status_code == 200
    assert _counts(again) == {"matched": 3, "unmatched": 2, "duplicates": 3, "stored": 0, "too_old": 0}
    assert Activity.objects.count() == 3
    assert ActivityKey.objects.count() == 3


def test_the_same_listen_spelt_differently_is_one_play(auth_client, catalog):
    listens = [_listen("The Beatles", "Hey Jude", T0), _listen("the beatles", "HEY  JUDE", T0)]

    assert _counts(_post_json(auth_client, listens)) == {
        "matched": 2,
        "unmatched": 0,
        "duplicates": 1,
        "stored": 1,
        "too_old": 0,
    }


def test_another_users_import_of_the_same_listens_is_theirs(make_auth_client, catalog, history):
    _post_json(make_auth_client(), history)

    assert _post_json(make_auth_client(), history).json()["stored"] == 3
    assert Activity.objects.count() == 6


def test_json_lines_and_a_multipart_file_are_accepted(auth_client, catalog, history):
    lines = _ndjson(history[:2]).replace("\n", "\n\n")  # blank lines are ignored
    assert auth_client.post(URL, lines, content_type="application/x-ndjson").json()["stored"] == 2

    upload = SimpleUploadedFile("listens.json", json.dumps(history).encode(), content_type="application/json")
    response = auth_client.post(URL, {"file": upload}, format="multipart")

    assert response.status_code == 200
    assert _counts(response) == {"matched": 3, "unmatched": 2, "duplicates": 2, "stored": 1, "too_old": 0}


def test_an_import_then_an_export_shows_the_plays(auth_client, catalog, history):
    _post_json(auth_client, history)

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


@pytest.mark.parametrize(
    ("body", "index", "field", "words"),
    [
        ("[{not json", None, None, "Not JSON"),
        ("[" * 100_000, None, None, "Not JSON"),
        ("{" * 100_000, 0, None, "Not JSON"),
        ("[" + "[" * 40 + "]" * 40 + "]", 0, None, "Nested more than 32"),
        ("", None, None, "Send"),
        ("[]", None, None, "empty"),
        ('[{"listened_at": 1}]', 0, "track_metadata", "missing required field"),
        ("[7]", 0, None, "Expected `object`"),
        ('[{"track_metadata": {"artist_name": "a", "track_name": "b"}}]', 0, "listened_at", "missing"),
        ("GOOD,BAD", 1, "listened_at", "Expected `int`, got `str`"),
        ("GOOD,BOOL", 1, "listened_at", "got `bool`"),
        ("GOOD,NOARTIST", 1, "track_metadata.artist_name", "missing"),
        ("GOOD,EMPTYTITLE", 1, "track_metadata.track_name", "length"),
        ("GOOD,ANCIENT", 1, "listened_at", "2002-10-01"),
        ("GOOD,FUTURE", 1, "listened_at", "2002-10-01"),
    ],
)
def test_a_bad_file_is_a_400_naming_the_listen_and_nothing_is_stored(
    auth_client, catalog, body, index, field, words
):
    good = _listen("The Beatles", "Hey Jude", T0)
    bad = {
        "BAD": {**good, "listened_at": "yesterday"},
        "BOOL": {**good, "listened_at": True},
        "NOARTIST": {"listened_at": T0, "track_metadata": {"track_name": "x"}},
        "EMPTYTITLE": {"listened_at": T0, "track_metadata": {"artist_name": "x", "track_name": ""}},
        "ANCIENT": {**good, "listened_at": 1000},
        "FUTURE": {**good, "listened_at": int((NOW + dt.timedelta(hours=1)).timestamp())},
    }
    if body.startswith("GOOD,"):
        body = json.dumps([good, bad[body.split(",")[1]]])

    response = auth_client.post(URL, body, content_type="application/json")

    assert response.status_code == 400, response.content
    error = response.json()
    assert words in error["detail"]
    assert error["field"] == field
    assert error.get("index") == index
    assert not Activity.objects.exists()
    assert not ActivityKey.objects.exists()


@pytest.mark.parametrize("ndjson", [False, True])
@pytest.mark.parametrize(
    ("field", "bad", "words"),
    [
        ("artist_name", b"The \xffBeatles", "not UTF-8"),
        ("track_name", b"Hey \xc3Jude", "not UTF-8"),
        ("artist_name", b"The Beatles\\u0000", "NUL"),
        ("track_name", b"\\u0000", "NUL"),
    ],
)
def test_a_name_that_is_not_text_is_a_400_naming_the_listen_and_field(
    auth_client, catalog, ndjson, field, bad, words
):
    good = _listen("The Beatles", "Hey Jude", T0)
    listens = [good, {**good, "track_metadata": {**good["track_metadata"], field: "BAD"}}]
    text = _ndjson(listens) if ndjson else json.dumps(listens)
    body = text.encode().replace(b"BAD", bad)

    response = auth_client.post(URL, body, content_type=NDJSON if ndjson else "application/json")

    assert response.status_code == 400, response.content
    error = response.json()
    assert (error["index"], error["field"], error.get("line")) == (
        1,
        f"track_metadata.{field}",
        2 if ndjson else None,
    )
    assert words in error["detail"]
    assert not Activity.objects.exists()


@pytest.mark.parametrize("ndjson", [False, True])
def test_bytes_that_are_not_utf8_in_an_ignored_field_are_a_400_naming_the_listen(
    auth_client, catalog, ndjson
):
    listens = [
        _listen("The Beatles", "Hey Jude", T0),
        _listen("The Beatles", "Something", T0, user_name="BAD"),
    ]
    text = _ndjson(listens) if ndjson else json.dumps(listens)
    body = text.encode().replace(b"BAD", b"caf\xe9")

    response = auth_client.post(URL, body, content_type=NDJSON if ndjson else "application/json")

    assert response.status_code == 400, response.content
    assert response.json()["index"] == 1
    assert "not UTF-8" in response.json()["detail"]
    assert not Activity.objects.exists()


@pytest.mark.parametrize("ndjson", [False, True])
@pytest.mark.parametrize(("where", "field"), [("artist", "track_metadata.artist_name"), ("user_name", None)])
def test_an_escaped_lone_surrogate_is_a_400_naming_the_listen(auth_client, catalog, ndjson, where, field):
    """`"\\ud800"` is valid JSON but no text: named like a byte that is not UTF-8, not
    "Not JSON" for the whole file."""
    odd = (
        _listen("\ud800", "Hey Jude", T0)
        if where == "artist"
        else _listen("The Beatles", "Hey Jude", T0, user_name="\ud800")
    )
    listens = [_listen("The Beatles", "Something", T0), odd]
    body = _ndjson(listens) if ndjson else json.dumps(listens)

    response = auth_client.post(URL, body, content_type=NDJSON if ndjson else "application/json")

    assert response.status_code == 400, response.content
    assert response.json()["index"] == 1
    assert response.json()["field"] == field
    assert "not UTF-8" in response.json()["detail"]
    assert not Activity.objects.exists()


@pytest.mark.parametrize("ndjson", [False, True])
def test_a_file_starting_with_a_byte_order_mark_is_read(auth_client, catalog, history, ndjson):
    text = _ndjson(history) if ndjson else json.dumps(history)

    response = auth_client.post(
        URL, b"\xef\xbb\xbf" + text.encode(), content_type=NDJSON if ndjson else "application/json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["stored"] == 3


def test_an_odd_recording_msid_is_left_out_not_refused(auth_client, catalog):
    listens = [
        _listen("The Beatles", "Hey Jude", T0, recording_msid="nul\u0000byte"),
        _listen("The Beatles", "Something", T0, recording_msid=12),
    ]

    response = _post_json(auth_client, listens)

    assert response.json()["stored"] == 2
    assert [event.context for event in Activity.objects.all()] == [
        {"source": "listenbrainz", "import": response.json()["import_id"]}
    ] * 2


def test_listens_older_than_the_retention_are_not_stored(auth_client, catalog, settings):
    """Retention would drop them and their event ids while the rollups keep their counts:
    importing them again would count them twice."""
    settings.ANALYTICS_RETENTION_MONTHS = 3
    recent = int((NOW - dt.timedelta(days=1)).timestamp())
    listens = [_listen("The Beatles", "Hey Jude", T0), _listen("The Beatles", "Hey Jude", recent)]

    response = _post_json(auth_client, listens)

    assert _counts(response) == {"matched": 1, "unmatched": 0, "duplicates": 0, "stored": 1, "too_old": 1}
    assert Activity.objects.get().occurred_at == dt.datetime.fromtimestamp(recent, dt.UTC)


def test_titles_past_the_bound_on_comparisons_are_unmatched_the_cheapest_compared_first(
    auth_client, catalog, monkeypatch
):
    """A file may ask for more title comparisons than a request can afford (each title
    without an exact match against every song of its artist, whose titles are prepared once):
    past the bound, titles count as unmatched, those of the artists with the fewest songs
    compared first. Exact titles always match."""
    # Each title turned into trigrams and compared with its artist's songs, whose titles are
    # turned into trigrams once: Queen's two typos fit, the Beatles' one does not.
    per_title, per_song = match.TRIGRAMS_COST, 1 + match.TRIGRAMS_COST
    queen = (per_title + per_song) + (per_title + 1)
    beatles = per_title + 2 * per_song
    monkeypatch.setattr(match, "MAX_TITLE_COMPARISONS", queen + beatles - 1)
    listens = [
        _listen("The Beatles", "Someting", T0),  # two songs to compare with: past the bound
        _listen("Queen", "Bohemian Rapsody", T0 + 60),  # one song: prepared and compared
        _listen("Queen", "Bohemian Rhapsdy", T0 + 90),  # compared: Queen's title is prepared
        _listen("The Beatles", "Hey Jude", T0 + 120),  # exact
    ]

    response = _post_json(auth_client, listens)

    assert _counts(response) == {"matched": 3, "unmatched": 1, "duplicates": 0, "stored": 3, "too_old": 0}
    assert set(Activity.objects.values_list("song_id", flat=True)) == {
        catalog["rhapsody"].id,
        catalog["jude"].id,
    }


def test_a_bad_json_line_is_named_by_its_line(auth_client, catalog):
    good = json.dumps(_listen("The Beatles", "Hey Jude", T0))
    body = f"{good}\n\n{good}\n{{oops\n"

    response = auth_client.post(URL, body, content_type="application/x-ndjson")

    assert response.status_code == 400
    assert response.json()["line"] == 4
    assert response.json()["index"] == 2
    assert response.json()["detail"].startswith("Line 4: Not JSON")
    assert not Activity.objects.exists()


def test_a_multipart_body_without_a_file_is_a_400(auth_client, catalog):
    response = auth_client.post(URL, {"other": "x"}, format="multipart")

    assert response.status_code == 400
    assert "`file`" in response.json()["detail"]


def test_a_file_over_the_limit_is_a_413(auth_client, catalog, history):
    with override_settings(BODY_SIZE_LIMITS_BY_PATH={URL: 100}):
        response = _post_json(auth_client, history)

    assert response.status_code == 413
    assert not Activity.objects.exists()


def test_the_import_may_be_larger_than_other_bodies(auth_client, catalog, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    listens = [_listen("The Beatles", "Hey Jude", T0 + i) for i in range(20)]

    response = _post_json(auth_client, listens)
    lines = auth_client.post(URL, _ndjson(listens), content_type="application/x-ndjson")
    upload = SimpleUploadedFile("listens.json", json.dumps(listens).encode())
    multipart = auth_client.post(URL, {"file": upload}, format="multipart")

    assert response.status_code == 200
    assert response.json()["stored"] == 20
    assert lines.status_code == multipart.status_code == 200
    assert lines.json()["duplicates"] == multipart.json()["duplicates"] == 20


def test_anonymous_is_401(api_client, catalog, history):
    assert _post_json(api_client, history).status_code == 401
    assert not Activity.objects.exists()


class TestMatching:
    def test_a_title_matches_from_the_threshold_up(self, catalog):
        assert similarity("Hey Jude", "Hey You") < TITLE_SIMILARITY == similarity("Hey Jude", "Hey Jute")

        assert songs_match({("The Beatles", "Hey You"), ("The Beatles", "Hey Jute")}) == {
            ("The Beatles", "Hey Jute"): catalog["jude"].id
        }

    def test_the_main_artists_song_wins_a_tie(self, db):
        one, two = artist("One"), artist("Two")
        featured = song_by(two, one, title="Same Title")
        main = song_by(one, title="Same Title")

        assert featured.id < main.id
        assert songs_match({("One", "Same Title")}) == {("One", "Same Title"): main.id}

    def test_an_exact_title_beats_a_closer_looking_one(self, db):
        band = artist("Band")
        song_by(band, title="Love Song")
        exact = song_by(band, title="love  song!")

        assert songs_match({("Band", "Love Song!")}) == {("Band", "Love Song!"): exact.id}

    def test_names_without_their_accents_match_as_the_search_finds_them(self, db):
        """A history often loses accents: `Beyonce` is Beyoncé, `Joga` by `Bjork` is "Jóga"."""
        cuff_it = song_by(artist("Beyoncé"), title="CUFF IT")
        joga = song_by(artist("Björk"), title="Jóga")
        pairs = {("Beyonce", "Cuff It"), ("BJORK", "joga"), ("Bjork", "Hyperballad"), ("Beyoncee", "CUFF IT")}

        assert songs_match(pairs) == {("Beyonce", "Cuff It"): cuff_it.id, ("BJORK", "joga"): joga.id}


class TestCommand:
    def test_it_imports_a_file_for_a_user(self, user, catalog, history, tmp_path, capsys):
        path = tmp_path / "listens.jsonl"
        path.write_text(_ndjson(history))

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
        path.write_text(json.dumps(_listen("The Beatles", "Hey Jude", T0)) + '\n{"listened_at": "x"}\n')

        with pytest.raises(CommandError, match=r"Line 2: listened_at: Expected `int`.*nothing imported"):
            call_command("import_listens", str(path), "--user", user.username)
        assert not Activity.objects.exists()
