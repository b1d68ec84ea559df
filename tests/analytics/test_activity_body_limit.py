"""POST /api/analytics/activity/: a batch the contract accepts is not refused for its
encoding. 500 events, each at the bounds of its fields, as Python's `json.dumps` writes them
by default (every character outside printable ASCII escaped, `\\u007f` for a one-byte DEL),
are well over DATA_UPLOAD_MAX_MEMORY_SIZE: the endpoint has a body limit of its own."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import msgspec
import pytest
from django.conf import settings
from django.utils import timezone

from analytics.events_in import MAX_BATCH
from analytics.models import Activity
from music_discovery.chunked import body_limit
from music_discovery.parsers import MAX_JSON_DEPTH, TOO_DEEP
from tests.factories import SongFactory

URL = "/api/analytics/activity/"
# A code point outside the Basic Multilingual Plane: 4 bytes of UTF-8, 12 escaped (a surrogate pair).
ASTRAL = "\U0001f3b5"
# The one-byte character Python's encoder escapes: 1 byte of UTF-8, 6 escaped.
DEL = "\x7f"


def _context() -> dict[str, str]:
    """A context exactly ANALYTICS_CONTEXT_MAX_BYTES long by the server's measure, six times
    that escaped."""
    limit = settings.ANALYTICS_CONTEXT_MAX_BYTES
    context = {"n": DEL * (limit - len(b'{"n":""}'))}
    assert len(msgspec.json.encode(context)) == limit
    return context


def _worst_batch(song) -> list[dict]:
    """MAX_BATCH events, every field as long as it may be once escaped: the song named by a
    64-character spotify_id, a 64-character event_id, a context at the limit."""
    at = (timezone.now() - dt.timedelta(minutes=1)).replace(microsecond=123456).isoformat()
    return [
        {
            "action": "share",
            "song": None,
            "spotify_id": song.spotify_id,
            "occurred_at": at,
            # Unique per event, so that each is stored.
            "event_id": ASTRAL * 63 + chr(0x1F000 + index),
            "context": _context(),
            "excluded": False,
        }
        for index in range(MAX_BATCH)
    ]


@pytest.fixture
def song(db):
    return SongFactory(spotify_id=ASTRAL * 64)


def test_the_largest_batch_escaped_is_stored_though_over_the_default_body_limit(auth_client, song):
    body = json.dumps(_worst_batch(song)).encode()
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = auth_client.post(URL, body, content_type="application/json")

    assert response.status_code == 201, response.content[:300]
    # Within the limit by its own derivation, not by chance of this test's settings.
    assert len(body) <= body_limit(URL)
    assert response.json() == {"stored": MAX_BATCH, "duplicates": 0}
    assert Activity.objects.count() == MAX_BATCH
    assert Activity.objects.first().context == _context()


def test_a_body_over_the_endpoints_limit_is_a_413_before_it_is_read(auth_client, song):
    response = auth_client.post(URL, b" " * (body_limit(URL) + 1), content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large."}
    assert not Activity.objects.exists()


def test_the_schema_declares_the_413(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    create = schema["paths"][URL]["post"]
    assert "413" in create["responses"]
    assert f"{body_limit(URL):,} bytes" in create["responses"]["413"]["description"]


def test_nginx_lets_the_same_bodies_through_to_the_endpoint():
    conf = (Path(settings.BASE_DIR) / "nginx.conf").read_text()
    location = re.search(rf"location = {re.escape(URL)} \{{(.*?)\}}", conf, re.S)
    assert location, "nginx.conf has no location for the endpoint"
    [size] = re.findall(r"client_max_body_size (\d+)k;", location[1])
    assert int(size) * 1024 == body_limit(URL)


def test_the_endpoints_own_parser_keeps_the_apis_depth_bound(auth_client, song):
    too_deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)

    response = auth_client.post(URL, too_deep, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}
