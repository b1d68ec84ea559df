"""A JSON body that gives a key twice in one object is a 400 naming the key, on every
endpoint that parses JSON: Python's decoder would keep the last value silently
(`{"song": 1, "score": 4, "song": 2}` rated song 2), and the song loader refuses such files
already."""

from __future__ import annotations

import io
import json

import pytest
from rest_framework.exceptions import ParseError

from analytics.models import Activity
from catalog.models import Rating
from music_discovery.parsers import JSONParser, duplicate_key_message
from tests.factories import SongFactory
from tests.ops.test_hardening import _api_views
from tests.users.builders import registration
from users.models import User

pytestmark = pytest.mark.django_db

JSON = "application/json"


def assert_names_the_key(response, key: str) -> None:
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith(JSON)
    assert response.json() == {"detail": duplicate_key_message(key)}
    assert f'"{key}"' in response.json()["detail"]


def test_a_rating_naming_the_song_twice_is_refused_and_rates_nothing(auth_client):
    first, second = SongFactory(), SongFactory()
    body = f'{{"song": {first.pk}, "score": 4, "song": {second.pk}}}'

    response = auth_client.post("/api/ratings/", data=body, content_type=JSON)

    assert_names_the_key(response, "song")
    assert not Rating.objects.exists()


def test_a_registration_with_a_key_twice_in_a_nested_object_creates_no_account(api_client):
    body = registration()
    body.pop("profile", None)
    text = json.dumps(body)[:-1] + ', "profile": {"moods": ["happy"], "moods": ["sad"]}}'

    response = api_client.post("/api/users/", data=text, content_type=JSON)

    assert_names_the_key(response, "moods")
    assert not User.objects.exists()


def test_an_activity_batch_with_a_key_twice_in_one_event_stores_nothing(auth_client):
    song = SongFactory()
    event = f'{{"song": {song.pk}, "action": "play"}}'
    twice = f'{{"song": {song.pk}, "action": "play", "action": "skip"}}'

    response = auth_client.post("/api/analytics/activity/", data=f"[{event}, {twice}]", content_type=JSON)

    assert_names_the_key(response, "action")
    assert not Activity.objects.exists()


def test_the_same_key_in_different_objects_is_fine(auth_client):
    song = SongFactory()
    events = f'[{{"song": {song.pk}, "action": "play"}}, {{"song": {song.pk}, "action": "like"}}]'

    response = auth_client.post("/api/analytics/activity/", data=events, content_type=JSON)

    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('{"a": 1, "a": 1}', "a"),  # the same value twice too
        ('[{"x": {"y": 1, "z": 2, "y": 3}}]', "y"),
        ('{"caf\\u00e9": 1, "café": 2}', "café"),  # one key, escaped or not
    ],
)
def test_the_parser_names_the_first_key_given_twice(body, key):
    with pytest.raises(ParseError) as caught:
        JSONParser().parse(io.BytesIO(body.encode()), JSON, {})

    assert caught.value.detail == duplicate_key_message(key)


def test_every_api_view_that_parses_json_refuses_a_key_given_twice():
    """Every JSON parser of the API's views that decodes the body (the listening-history
    import's hands the bytes to its view, which decodes them itself)."""
    parsed = 0
    for view_class in _api_views():
        for parser in view_class().get_parsers():
            if parser.media_type != JSON:
                continue
            try:
                data = parser.parse(io.BytesIO(b'{"a": 1, "a": 2}'), JSON, {})
            except ParseError as error:
                assert error.detail == duplicate_key_message("a"), view_class
                parsed += 1
            else:
                assert isinstance(data, bytes), (view_class, data)
    assert parsed > 5
