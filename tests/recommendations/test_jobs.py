"""The recommendation jobs and their records: the build (task and command), the beat's
refresh of active listeners, generations in the admin, a change that lands mid-computation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from recommendations import lists
from recommendations.lists import generation_start, list_cached, list_for, lists_mark_stale
from recommendations.model import model_ready
from recommendations.models import Generation, GenerationState
from recommendations.tasks import build_task, refresh_active_task
from tests.factories import UserFactory


def test_a_signal_that_lands_while_a_list_is_computed_makes_that_list_stale(world, monkeypatch):
    listener = UserFactory()
    compute = lists.recommend

    def racing(**kwargs):
        items = compute(**kwargs)
        lists_mark_stale(user_id=listener.pk)  # a like committed meanwhile
        return items

    monkeypatch.setattr(lists, "recommend", racing)
    list_for(user_id=listener.pk, limit=5)

    assert list_cached(user_id=listener.pk, limit=5) is None


def test_the_build_makes_the_model_current_drops_lists_and_prunes_old_generations(world):
    listener = UserFactory()
    list_for(user_id=listener.pk, limit=5)
    old = Generation.objects.create(user=listener, request={"limit": 5}, state=GenerationState.SUCCESS)
    Generation.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=30))

    built = build_task.delay().get()

    assert built["songs"] == 12
    assert built["listeners"] == 12
    assert built["pruned"] == 1
    assert model_ready()
    assert list_cached(user_id=listener.pk, limit=5) is None
    assert Generation.objects.count() == 1


def test_the_build_command_says_what_it_built(world, capsys):
    call_command("build_recommendations")

    assert "over 12 songs and 12 listeners" in capsys.readouterr().out


def test_lists_come_before_any_build(world):
    listener = UserFactory(profile__favorite_genres=["rock"], profile__moods=[])

    found = list_for(user_id=listener.pk, limit=3)

    assert len(found.results) == 3


def test_the_beat_refreshes_active_listeners_without_a_fresh_list_spread_over_the_period(
    world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.RECOMMENDATIONS_REFRESH_SECONDS = 600.0
    from analytics.services.rollups import rollups_refresh

    rollups_refresh()
    fresh_user = _active_users()[0]
    list_for(user_id=fresh_user, limit=5)
    queued: list[tuple[int, float]] = []
    monkeypatch.setattr(
        lists, "_enqueue", lambda generation_id, countdown: queued.append((generation_id, countdown))
    )

    with django_capture_on_commit_callbacks(execute=True):
        count = refresh_active_task.delay().get()

    assert count == 11  # twelve listeners were active; one has a fresh list
    countdowns = sorted(countdown for _, countdown in queued)
    assert countdowns[0] == 0.0
    assert 0 < countdowns[-1] < 600.0
    assert len(set(countdowns)) == 11
    assert fresh_user not in set(
        Generation.objects.filter(pk__in=[g for g, _ in queued]).values_list("user_id", flat=True)
    )


def _active_users() -> list[int]:
    from analytics.selectors import users_active_since

    return users_active_since(since=timezone.now() - dt.timedelta(hours=1), limit=100)


@pytest.fixture
def admin_of(db, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_generations_are_shown_in_the_admin(world, admin_of):
    staff_client = admin_of
    listener = UserFactory()
    generation = generation_start(user_id=listener.pk, limit=3)
    generation = lists.generation_run(generation_id=generation.pk)

    listing = staff_client.get("/admin/recommendations/generation/")
    page = staff_client.get(f"/admin/recommendations/generation/{generation.pk}/change/")

    assert listing.status_code == 200
    assert str(generation.task_id) in listing.content.decode()
    assert page.status_code == 200
    assert generation.items[0]["reasons"][0].replace("'", "&#x27;") in page.content.decode()


def test_generations_cannot_be_made_by_hand(admin_of):
    assert admin_of.get("/admin/recommendations/generation/add/").status_code == 403


def test_recommendation_work_goes_to_its_own_queue_and_everything_else_to_the_default():
    from music_discovery.celery import app

    def queue_of(task: str) -> str:
        route = app.amqp.router.route({}, task)
        return route["queue"].name

    assert {queue_of(t) for t in ("recommendations.generate", "recommendations.build")} == {"recommendations"}
    assert queue_of("recommendations.playlists_refresh") == "recommendations"
    assert queue_of("catalog.ratings_flush") == "celery"
    assert queue_of("analytics.rollups_refresh") == "celery"
