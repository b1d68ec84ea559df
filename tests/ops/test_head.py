"""HEAD: GET's status and headers, and no body, through the WSGI application Gunicorn serves.

Called as a WSGI server calls it (iterate the body, then close it) rather than through the
test client, whose handler empties a HEAD response's body itself (as runserver does), so it
would see an empty body whatever the application sent.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from rest_framework_simplejwt.tokens import RefreshToken

from analytics.models import Action
from analytics.selectors import export
from analytics.services import EventIn, activity_record
from music_discovery.wsgi import application
from tests.factories import SongFactory

pytestmark = pytest.mark.django_db

# Set per request (RequestLogMiddleware): the one header GET and HEAD may differ in.
PER_REQUEST = {"X-Request-ID"}


def serve(method: str, path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    """Status line, headers and body bytes the application hands a WSGI server."""
    environ = RequestFactory().generic(method, path, **headers).environ
    started: dict = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info=None) -> None:
        started.update(status=status, headers=dict(response_headers))

    # As Django's test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = application(environ, start_response)
        try:
            content = b"".join(body)
        finally:
            body.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return started["status"], started["headers"], content


def _same_but_the_body(path: str, **headers: str) -> tuple[dict[str, str], bytes]:
    """HEAD then GET of `path`: asserts the same status and headers, and no HEAD body.
    Returns HEAD's headers and GET's body."""
    head_status, head_headers, head_body = serve("HEAD", path, **headers)
    get_status, get_headers, get_body = serve("GET", path, **headers)

    assert head_body == b""
    assert head_status == get_status
    # A HEAD answer may name the length GET's body has where GET itself leaves it out
    # (a probe's, answered before CommonMiddleware adds it); never another length.
    if "Content-Length" in get_headers:
        assert head_headers["Content-Length"] == get_headers["Content-Length"]
    differ = PER_REQUEST | {"Content-Length"}
    assert {k: v for k, v in head_headers.items() if k not in differ} == {
        k: v for k, v in get_headers.items() if k not in differ
    }
    return head_headers, get_body


@pytest.mark.parametrize("path", ["/api/songs/", "/api/songs/?page_size=1", "/api/genres/", "/healthz"])
def test_head_of_a_rendered_answer_has_no_body_and_gets_length(path):
    SongFactory.create_batch(3, genres=["rock"])

    headers, get_body = _same_but_the_body(path)

    assert get_body
    assert headers["Content-Length"] == str(len(get_body))


def test_head_of_a_refused_request_has_no_body_either():
    headers, get_body = _same_but_the_body("/api/users/me/", HTTP_AUTHORIZATION="Bearer garbage")

    assert get_body and headers["Content-Length"] == str(len(get_body))


@pytest.fixture
def rows_read(monkeypatch) -> list[int]:
    """Counts the chunks of rows the export reads from the database."""
    reads: list[int] = []
    real_chunks = export._chunks

    def counted(user_id: int, size: int):
        for chunk in real_chunks(user_id, size):
            reads.append(len(chunk))
            yield chunk

    monkeypatch.setattr(export, "_chunks", counted)
    return reads


def test_head_of_an_export_streams_nothing_and_reads_no_row(user, rows_read):
    song = SongFactory()
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    activity_record(user_id=user.pk, events=[EventIn(song_id=song.pk, action=Action.PLAY, occurred_at=at)])
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(user).access_token}"}
    path = f"/api/analytics/user/{user.pk}/export/"

    status, headers, body = serve("HEAD", path, **bearer)

    assert status.startswith("200")
    assert body == b""
    assert rows_read == []
    assert headers["Content-Type"] == "application/x-ndjson"
    assert headers["Content-Disposition"] == f'attachment; filename="activity-{user.pk}.jsonl"'
    # Streamed: its length is known to neither method.
    assert "Content-Length" not in headers

    headers_after, get_body = _same_but_the_body(path, **bearer)
    assert get_body.count(b"\n") == 1 and rows_read == [1]  # GET's rows only
    assert "Content-Length" not in headers_after
