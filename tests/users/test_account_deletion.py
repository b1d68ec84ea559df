"""Deleting an account while its user is still writing (PostgreSQL, where requests run side
by side): the deletion wins, and a write that commits after it is refused as the write of an
account that no longer exists, never a 500 (`users.services.user_delete` locks the account's
row first)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.db.models.deletion import Collector
from rest_framework.test import APIClient

from analytics.models import Activity
from catalog.models import Rating
from catalog.ratings.services import RaterNotActiveError, rating_submit
from tests.factories import SongFactory, UserFactory
from users.models import User
from users.services import user_delete

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_rating_committed_while_the_deletion_collects_does_not_keep_the_account(monkeypatch):
    """A rating submitted while the deletion runs waits for it and is refused. Without the
    account's row locked first it was accepted (a 201) and then deleted with the account,
    or, committed after the rows to delete were read, made the deletion fail at its commit
    and the account stay."""
    user, song = UserFactory(), SongFactory()
    outcome: list[BaseException | None] = []
    real_delete = Collector.delete

    def rate() -> None:
        try:
            rating_submit(user_id=user.pk, song_id=song.pk, score=4)
            outcome.append(None)
        except BaseException as error:  # surfaced by the assertions below
            outcome.append(error)
        finally:
            connection.close()

    def delete_after_a_rating(collector: Collector):
        rater = threading.Thread(target=rate)
        rater.start()
        rater.join(1.5)  # with the row locked, the rating waits for the deletion's commit
        return real_delete(collector)

    monkeypatch.setattr(Collector, "delete", delete_after_a_rating)
    user_delete(user=user)
    monkeypatch.undo()
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.name != "MainThread":
            thread.join(10)

    assert not User.objects.filter(pk=user.pk).exists()
    assert not Rating.objects.filter(user_id=user.pk).exists()
    assert len(outcome) == 1 and isinstance(outcome[0], RaterNotActiveError)


def post_during_deletion(user: User, path: str, body: object):
    """The answer to `user`'s POST of `body` to `path`, sent once the account's deletion has
    locked its row, and committing (or failing) only after the deletion did."""
    answers = []

    def post() -> None:
        client = APIClient()
        client.force_authenticate(user=user)
        try:
            answers.append(client.post(path, body, format="json"))
        finally:
            connection.close()

    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).exists()  # the deletion has begun
        poster = threading.Thread(target=post)
        poster.start()
        poster.join(1.5)  # the request waits on the account's row
        user_delete(user=user)
    poster.join(10)
    return answers[0]


def test_a_request_writing_for_an_account_deleted_meanwhile_is_a_401():
    """A list request's row, whose foreign key's check at commit finds the account gone."""
    user = UserFactory()

    answer = post_during_deletion(user, f"/api/recommendations/user/{user.pk}/refresh/", {})

    assert answer.status_code == 401
    assert answer.json() == {"detail": "This account no longer exists.", "code": "user_not_found"}


def test_events_posted_for_an_account_being_deleted_are_refused_not_left_behind():
    """Events have no foreign key to their user: without the account's row held, a batch
    committed during the deletion was stored (a 201) and outlived the account."""
    user, song = UserFactory(), SongFactory()

    answer = post_during_deletion(user, "/api/analytics/activity/", [{"song": song.pk, "action": "play"}] * 3)

    assert answer.status_code == 401
    assert not Activity.objects.filter(user_id=user.pk).exists()
