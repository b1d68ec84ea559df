"""Feedback on a recommended song and snoozing one: stored, used by the next list at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from analytics.models import Action
from analytics.selectors import ACTION_WEIGHTS
from recommendations.models import Feedback
from recommendations.selectors import interest_rows
from tests.factories import UserFactory
from tests.recommendations.builders import listened
from users.models import Block


@pytest.fixture
def fan(world):
    user = UserFactory(profile__favorite_genres=[], profile__moods=[])
    listened(user, (world["Alpha"][0], Action.LIKE))
    return user


def _list(client, user, limit=6):
    return [
        item["song"]["id"]
        for item in client.get(f"/api/recommendations/user/{user.pk}/", {"limit": limit}).json()["results"]
    ]


def test_not_for_me_takes_the_song_out_and_pushes_its_artist_down(
    make_auth_client, fan, world, django_capture_on_commit_callbacks
):
    client = make_auth_client(fan)
    first = _list(client, fan)[0]
    assert first == world["Beta"][0].pk

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/recommendations/user/{fan.pk}/feedback/",
            {"song": first, "feedback": "not_for_me"},
            format="json",
        )

    assert response.status_code == 201
    assert Feedback.objects.get().kind == "not_for_me"
    after = _list(client, fan)
    assert first not in after
    # Used from now on as a skip would be.
    rows = interest_rows(user_id=fan.pk)
    assert rows.interest[list(rows.song_ids).index(first)] == ACTION_WEIGHTS["skip"]


def test_more_like_this_counts_as_a_like(make_auth_client, fan, world, django_capture_on_commit_callbacks):
    client = make_auth_client(fan)
    gamma = world["Gamma"][0]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/api/recommendations/user/{fan.pk}/feedback/",
            {"song": gamma.pk, "feedback": "more_like_this"},
            format="json",
        )

    after = _list(client, fan, limit=12)

    assert gamma.pk not in after
    assert world["Delta"][0].pk in after[:4]  # liked by listeners who like Gamma


def test_a_snoozed_song_is_gone_for_its_days(
    make_auth_client, fan, world, django_capture_on_commit_callbacks
):
    client = make_auth_client(fan)
    first = _list(client, fan)[0]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/recommendations/user/{fan.pk}/snooze/", {"song": first, "days": 7}, format="json"
        )

    assert response.status_code == 201
    assert response.json()["kind"] == "song" and response.json()["active"] is True
    until = Block.objects.get().until
    assert timezone.now() + dt.timedelta(days=6) < until <= timezone.now() + dt.timedelta(days=7)
    assert first not in _list(client, fan)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("feedback", {"song": 987654, "feedback": "not_for_me"}, "song"),
        ("feedback", {"song": 1, "feedback": "meh"}, "feedback"),
        ("feedback", {"feedback": "not_for_me"}, "song"),
        ("snooze", {"song": 987654, "days": 3}, "song"),
        ("snooze", {"song": 1, "days": 0}, "days"),
        ("snooze", {"song": 1, "days": 366}, "days"),
        ("snooze", {"song": 1}, "days"),
    ],
)
def test_bad_feedback_or_snooze_is_refused_and_stores_nothing(make_auth_client, fan, path, body, field):
    response = make_auth_client(fan).post(f"/api/recommendations/user/{fan.pk}/{path}/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Feedback.objects.exists() and not Block.objects.exists()


def test_only_the_owner_gives_feedback_or_snoozes(make_auth_client, fan, world):
    other = make_auth_client(UserFactory())
    song = world["Beta"][0].pk

    assert (
        other.post(
            f"/api/recommendations/user/{fan.pk}/feedback/",
            {"song": song, "feedback": "not_for_me"},
            format="json",
        ).status_code
        == 404
    )
    assert (
        other.post(
            f"/api/recommendations/user/{fan.pk}/snooze/", {"song": song, "days": 2}, format="json"
        ).status_code
        == 404
    )
    assert not Feedback.objects.exists() and not Block.objects.exists()
