"""Migration 0005: a generation recorded before `due_at` existed was due when it was created."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.builders import migrate_to, migrate_to_latest
from tests.factories import UserFactory

BEFORE = [("recommendations", "0004_generation_asked_by")]
AFTER = [("recommendations", "0005_generation_due_at")]


@pytest.mark.django_db(transaction=True)
def test_a_generation_recorded_before_is_due_when_it_was_created():
    listener = UserFactory()
    try:
        old = migrate_to(BEFORE).get_model("recommendations", "Generation")
        generation = old.objects.create(user_id=listener.pk)
        created = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
        old.objects.filter(pk=generation.pk).update(created_at=created)

        new = migrate_to(AFTER).get_model("recommendations", "Generation")

        assert new.objects.get(pk=generation.pk).due_at == created
    finally:
        migrate_to_latest()
