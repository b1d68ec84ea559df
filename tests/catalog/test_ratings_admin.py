"""The ratings admin: listed and searchable, and its writes keep the song aggregates right."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import Rating
from catalog.ratings.aggregates import song_ratings_recompute
from catalog.ratings.selectors import song_ratings_stored, songs_with_drifted_ratings
from tests.catalog import ratings_worker
from tests.factories import RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

clean_rating_marks = ratings_worker.clean_rating_marks  # autouse: no Redis state leaks between tests


@pytest.fixture
def admin(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def rating():
    rating = RatingFactory(score=2, user=UserFactory(username="critic"))
    song_ratings_recompute(song_ids=[rating.song_id])
    return rating


def test_changelist_lists_and_searches_by_username(admin, rating):
    RatingFactory(user=UserFactory(username="someone"))
    response = admin.get(reverse("admin:catalog_rating_changelist"), {"q": "critic"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_changing_a_score_recomputes_the_song(admin, rating, django_capture_on_commit_callbacks):
    url = reverse("admin:catalog_rating_change", args=[rating.pk])
    assert admin.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, {"score": 5})

    assert response.status_code == 302
    rating.refresh_from_db()
    assert rating.score == 5
    assert song_ratings_stored(song_ids=[rating.song_id])[rating.song_id][:2] == (1, 5.0)


def test_user_and_song_cannot_be_changed_on_an_existing_rating(admin, rating):
    other = RatingFactory()
    before = (rating.user_id, rating.song_id)
    url = reverse("admin:catalog_rating_change", args=[rating.pk])
    admin.post(url, {"score": 3, "user": other.user_id, "song": other.song_id})
    rating.refresh_from_db()
    assert (rating.user_id, rating.song_id) == before
    assert rating.score == 3


def test_deleting_recomputes_the_song(admin, rating, django_capture_on_commit_callbacks):
    url = reverse("admin:catalog_rating_delete", args=[rating.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Rating.objects.exists()
    assert songs_with_drifted_ratings() == []


def test_bulk_delete_action_recomputes_every_song(admin, rating, django_capture_on_commit_callbacks):
    second = RatingFactory(score=4)
    song_ratings_recompute(song_ids=[second.song_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            reverse("admin:catalog_rating_changelist"),
            {"action": "delete_selected", "_selected_action": [rating.pk, second.pk], "post": "yes"},
        )
    assert response.status_code == 302
    assert not Rating.objects.exists()
    assert songs_with_drifted_ratings() == []


def test_adding_a_duplicate_is_refused_by_the_form(admin, rating):
    response = admin.post(
        reverse("admin:catalog_rating_add"), {"user": rating.user_id, "song": rating.song_id, "score": 1}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Rating.objects.count() == 1


# ------------------------------------------------------------------------------
# manage.py ratings_reconcile
# ------------------------------------------------------------------------------
def test_the_reconcile_command_repairs_drift_in_process():
    """The README's manual reconcile: it runs in this process whatever the configuration (no
    worker needed), where `celery call` only publishes a task nobody may consume."""
    from io import StringIO

    from django.core.management import call_command

    drifted = RatingFactory(score=5)  # stored, never aggregated
    out = StringIO()

    call_command("ratings_reconcile", stdout=out)

    assert out.getvalue() == "1 song(s) repaired.\n"
    assert songs_with_drifted_ratings() == []
    assert song_ratings_stored(song_ids=[drifted.song_id])[drifted.song_id][:2] == (1, 5.0)
    out = StringIO()
    call_command("ratings_reconcile", stdout=out)
    assert out.getvalue() == "No song drifted.\n"
