"""What a ListenBrainz import refuses (a 400 naming the listen, its field and line; a 413) and
what it reads all the same (a byte order mark, an odd recording_msid, a body larger than others)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from analytics.models import Activity, ActivityKey
from tests.analytics.builders import IMPORT_URL, NOW, T0, as_ndjson, listen, post_listens

# A history reaches months no partition exists for (conftest.py).
pytestmark = pytest.mark.usefixtures("partitions_forgotten")

NDJSON = "application/x-ndjson"


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
    good = listen("The Beatles", "Hey Jude", T0)
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

    response = auth_client.post(IMPORT_URL, body, content_type="application/json")

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
    good = listen("The Beatles", "Hey Jude", T0)
    listens = [good, {**good, "track_metadata": {**good["track_metadata"], field: "BAD"}}]
    text = as_ndjson(listens) if ndjson else json.dumps(listens)
    body = text.encode().replace(b"BAD", bad)

    response = auth_client.post(IMPORT_URL, body, content_type=NDJSON if ndjson else "application/json")

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
        listen("The Beatles", "Hey Jude", T0),
        listen("The Beatles", "Something", T0, user_name="BAD"),
    ]
    text = as_ndjson(listens) if ndjson else json.dumps(listens)
    body = text.encode().replace(b"BAD", b"caf\xe9")

    response = auth_client.post(IMPORT_URL, body, content_type=NDJSON if ndjson else "application/json")

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
        listen("\ud800", "Hey Jude", T0)
        if where == "artist"
        else listen("The Beatles", "Hey Jude", T0, user_name="\ud800")
    )
    listens = [listen("The Beatles", "Something", T0), odd]
    body = as_ndjson(listens) if ndjson else json.dumps(listens)

    response = auth_client.post(IMPORT_URL, body, content_type=NDJSON if ndjson else "application/json")

    assert response.status_code == 400, response.content
    assert response.json()["index"] == 1
    assert response.json()["field"] == field
    assert "not UTF-8" in response.json()["detail"]
    assert not Activity.objects.exists()


@pytest.mark.parametrize("ndjson", [False, True])
def test_a_file_starting_with_a_byte_order_mark_is_read(auth_client, catalog, history, ndjson):
    text = as_ndjson(history) if ndjson else json.dumps(history)

    response = auth_client.post(
        IMPORT_URL, b"\xef\xbb\xbf" + text.encode(), content_type=NDJSON if ndjson else "application/json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["stored"] == 3


def test_an_odd_recording_msid_is_left_out_not_refused(auth_client, catalog):
    listens = [
        listen("The Beatles", "Hey Jude", T0, recording_msid="nul\u0000byte"),
        listen("The Beatles", "Something", T0, recording_msid=12),
    ]

    response = post_listens(auth_client, listens)

    assert response.json()["stored"] == 2
    assert [event.context for event in Activity.objects.all()] == [
        {"source": "listenbrainz", "import": response.json()["import_id"]}
    ] * 2


def test_a_bad_json_line_is_named_by_its_line(auth_client, catalog):
    good = json.dumps(listen("The Beatles", "Hey Jude", T0))
    body = f"{good}\n\n{good}\n{{oops\n"

    response = auth_client.post(IMPORT_URL, body, content_type="application/x-ndjson")

    assert response.status_code == 400
    assert response.json()["line"] == 4
    assert response.json()["index"] == 2
    assert response.json()["detail"].startswith("Line 4: Not JSON")
    assert not Activity.objects.exists()


def test_a_multipart_body_without_a_file_is_a_400(auth_client, catalog):
    response = auth_client.post(IMPORT_URL, {"other": "x"}, format="multipart")

    assert response.status_code == 400
    assert "`file`" in response.json()["detail"]


def test_a_file_over_the_limit_is_a_413(auth_client, catalog, history):
    with override_settings(BODY_SIZE_LIMITS_BY_PATH={IMPORT_URL: 100}):
        response = post_listens(auth_client, history)

    assert response.status_code == 413
    assert not Activity.objects.exists()


def test_the_import_may_be_larger_than_other_bodies(auth_client, catalog, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    listens = [listen("The Beatles", "Hey Jude", T0 + i) for i in range(20)]

    response = post_listens(auth_client, listens)
    lines = auth_client.post(IMPORT_URL, as_ndjson(listens), content_type="application/x-ndjson")
    upload = SimpleUploadedFile("listens.json", json.dumps(listens).encode())
    multipart = auth_client.post(IMPORT_URL, {"file": upload}, format="multipart")

    assert response.status_code == 200
    assert response.json()["stored"] == 20
    assert lines.status_code == multipart.status_code == 200
    assert lines.json()["duplicates"] == multipart.json()["duplicates"] == 20
