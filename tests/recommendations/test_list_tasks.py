"""A list computed by a task: when a GET is queued (202) rather than answered at once, the
task's state and result as polled, a generation or a queue that fails, and the beat's
generations queued to start later, which no GET hands its client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from catalog.selectors.arrays import catalog_load_version
from recommendations.lists import generation_start
from recommendations.model import MODEL_SECONDS_KEY, build_model, model_forget
from recommendations.models import Generation, GenerationState
from tests.catalog.builders import song_row, upsert
from tests.factories import UserFactory
from tests.recommendations.builders import refresh_url, song_ids, url


@pytest.fixture
def queued(settings):
    """A web process that holds no model and may not build one: lists are computed by the
    task (in-process here, run when the request's transaction commits)."""
    settings.RECOMMENDATIONS_SYNC_BUILD_MAX_SONGS = 0
    model_forget()


def test_without_a_model_at_hand_the_list_is_queued_and_its_task_polled(
    client_of, listener, queued, django_capture_on_commit_callbacks
):
    client = client_of(listener)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.get(url(listener.pk), {"limit": 4})

    assert response.status_code == 202
    task_id, status_url = response.json()["task_id"], response.json()["status_url"]
    assert status_url.endswith(f"/api/recommendations/tasks/{task_id}/?limit=4")
    assert response["Location"] == status_url
    pending = client.get(status_url).json()
    assert pending == {"task_id": task_id, "state": "pending"}

    for callback in callbacks:
        callback()
    done = client.get(status_url).json()

    assert done["state"] == "success"
    assert len(done["result"]["results"]) == 4  # the length asked for
    whole = client.get(status_url.split("?")[0]).json()["result"]
    assert len(whole["results"]) > 4  # computed at the default length, for later GETs
    served = client.get(url(listener.pk), {"limit": 4})
    assert served.status_code == 200
    assert song_ids(served.json()) == song_ids(done["result"]) == song_ids(whole)[:4]
    for bad in ("0", "101", "x"):
        assert client.get(status_url.split("?")[0], {"limit": bad}).status_code == 400, bad


def test_a_task_polled_after_a_rating_leaves_the_rated_song_out(
    client_of, listener, queued, django_capture_on_commit_callbacks
):
    client = client_of(listener)
    with django_capture_on_commit_callbacks(execute=True):
        status_url = client.post(refresh_url(listener.pk), {"limit": 5}, format="json").json()["status_url"]
    first = song_ids(client.get(status_url).json()["result"])

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/api/ratings/", {"song": first[0], "score": 4}, format="json").status_code == 201
    polled = song_ids(client.get(status_url).json()["result"])

    assert polled == first[1:]


def test_a_get_after_a_rating_does_not_wait_for_a_list_queued_before_it(
    client_of, listener, world, queued, django_capture_on_commit_callbacks
):
    client = client_of(listener)
    with django_capture_on_commit_callbacks(execute=False):
        before = client.get(url(listener.pk)).json()["task_id"]
        assert client.get(url(listener.pk)).json()["task_id"] == before  # not queued twice
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/ratings/", {"song": world["Beta"][0].pk, "score": 5}, format="json")

    with django_capture_on_commit_callbacks(execute=False):
        after = client.get(url(listener.pk)).json()["task_id"]

    assert after != before


def test_a_task_is_seen_only_by_the_user_who_asked(client_of, listener, queued):
    response = client_of(listener).post(refresh_url(listener.pk), {}, format="json")
    status_url = response.json()["status_url"]

    assert client_of(UserFactory()).get(status_url).status_code == 404
    assert client_of(listener).get(status_url).status_code == 200
    assert (
        client_of(listener)
        .get("/api/recommendations/tasks/0f0f0f0f-0000-4000-8000-000000000000/")
        .status_code
        == 404
    )
    assert client_of(listener).get("/api/recommendations/tasks/not-a-task/").status_code == 404


def test_staff_do_not_see_a_task_another_user_asked_for(client_of, listener, queued, staff_user):
    status_url = client_of(listener).post(refresh_url(listener.pk), {}, format="json").json()["status_url"]

    assert client_of(staff_user).get(status_url).status_code == 404
    assert client_of(UserFactory(is_staff=True, is_superuser=True)).get(status_url).status_code == 404


def test_a_task_staff_asked_for_is_theirs_to_poll_not_the_listeners(
    client_of, listener, queued, staff_user, django_capture_on_commit_callbacks
):
    staff, own = client_of(staff_user), client_of(listener)
    with django_capture_on_commit_callbacks(execute=False):
        listeners_task = own.get(url(listener.pk)).json()["task_id"]
        # Staff's GET of the same list while the listener's is queued: a task of their own
        # to poll, not the listener's.
        read = staff.get(url(listener.pk))
        refreshed = staff.post(refresh_url(listener.pk), {}, format="json")

    assert read.status_code == 202 and read.json()["task_id"] != listeners_task
    for answer in (read, refreshed):
        assert staff.get(answer.json()["status_url"]).status_code == 200
        assert own.get(answer.json()["status_url"]).status_code == 404
    assert own.get(url(listener.pk)).json()["task_id"] == listeners_task  # still queued once


def test_a_task_queued_long_ago_and_not_finished_is_given_up_to_its_poller(client_of, listener, queued):
    """Its worker stopped mid-way (Redis hands the task out again only after an hour): the
    poller is told to ask again instead of seeing `started` all that time."""
    status_url = client_of(listener).post(refresh_url(listener.pk), {}, format="json").json()["status_url"]
    long_ago = timezone.now() - dt.timedelta(minutes=11)
    Generation.objects.update(state=GenerationState.STARTED, created_at=long_ago, due_at=long_ago)

    body = client_of(listener).get(status_url).json()

    assert body["state"] == "failure"
    assert "ask for the list again" in body["error"]


def test_a_generation_that_fails_says_so_to_the_poller(
    client_of, listener, monkeypatch, django_capture_on_commit_callbacks
):
    from recommendations import lists

    def broken(**kwargs):
        raise RuntimeError("the model is broken")

    monkeypatch.setattr(lists, "recommend", broken)
    monkeypatch.setattr("celery.app.task.Task.apply_async", _eager_without_propagation)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(listener).post(refresh_url(listener.pk), {}, format="json")

    status = client_of(listener).get(response.json()["status_url"]).json()

    assert status["state"] == "failure"
    assert "the model is broken" in status["error"]
    assert "result" not in status
    assert Generation.objects.get().state == GenerationState.FAILURE


def _eager_without_propagation(self, args=None, kwargs=None, **options):
    return self.apply(args, kwargs, throw=False)


def test_a_refresh_the_queue_cannot_take_fails_at_once_rather_than_hang(
    client_of, listener, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("celery.app.task.Task.apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(listener).post(refresh_url(listener.pk), {}, format="json")

    assert response.status_code == 202
    status = client_of(listener).get(response.json()["status_url"]).json()
    assert status["state"] == "failure"
    assert "unavailable" in status["error"]


def _timed(seconds: float) -> None:
    """The newest build took `seconds`, on the catalog as it is now."""
    cache.set(MODEL_SECONDS_KEY, {"seconds": seconds, "catalog": catalog_load_version()})


def test_after_a_slow_build_a_process_without_a_model_queues_rather_than_builds(client_of, listener):
    """The catalog is tiny, but the last build took long (many artists listened to): a GET
    must not hold a web worker for it."""
    _timed(30.0)

    response = client_of(listener).get(url(listener.pk))

    assert response.status_code == 202


def test_after_a_quick_build_a_process_without_a_model_builds_one_and_answers(client_of, listener, settings):
    settings.RECOMMENDATIONS_SYNC_BUILD_MAX_SONGS = 0
    _timed(0.2)

    response = client_of(listener).get(url(listener.pk))

    assert response.status_code == 200


@pytest.mark.parametrize(("headroom", "status"), [(0, 200), (-1, 202)])
def test_before_any_build_a_catalog_of_at_most_the_limit_is_answered_at_once(
    client_of, listener, settings, headroom, status
):
    from catalog.models import Song

    model_forget()
    cache.delete(MODEL_SECONDS_KEY)
    settings.RECOMMENDATIONS_SYNC_BUILD_MAX_SONGS = Song.objects.count() + headroom

    response = client_of(listener).get(url(listener.pk))

    assert response.status_code == status


def test_repeated_gets_while_a_list_is_queued_poll_the_same_task(
    client_of, listener, queued, django_capture_on_commit_callbacks
):
    client = client_of(listener)
    with django_capture_on_commit_callbacks(execute=False):
        first = client.get(url(listener.pk)).json()
        again = client.get(url(listener.pk), {"limit": 5}).json()
        longer = client.get(url(listener.pk), {"limit": 50}).json()

    assert again["task_id"] == first["task_id"]
    assert longer["task_id"] != first["task_id"]  # a longer list than the one being computed
    assert Generation.objects.count() == 2


def test_a_build_timed_before_a_load_that_wrote_songs_does_not_let_a_get_build(
    client_of, listener, settings, django_capture_on_commit_callbacks
):
    """A build quick on the catalog it read says nothing of one on the catalog a load made,
    maybe a thousand times larger: until a build reads it, the catalog's size decides (here
    past the bound). The next build times the new catalog."""
    settings.RECOMMENDATIONS_SYNC_BUILD_MAX_SONGS = 0
    settings.RECOMMENDATIONS_SYNC_BUILD_SECONDS = 600.0  # however long the build took here
    client = client_of(listener)
    build_model()
    model_forget()  # a web process that does not hold it
    assert client.get(url(listener.pk)).status_code == 200

    upsert([song_row(900 + i, artists=["Newcomer"], genres=["k-pop"], popularity=10) for i in range(3)])
    model_forget()
    with django_capture_on_commit_callbacks(execute=False):
        after_load = client.get(url(listener.pk))

    build_model()  # a worker's, on the loaded catalog
    model_forget()
    after_build = client.get(url(listener.pk))

    assert after_load.status_code == 202
    assert after_build.status_code == 200


def test_a_get_is_not_handed_a_list_the_beat_queued_to_start_later(
    client_of, listener, queued, django_capture_on_commit_callbacks
):
    """The beat spreads its refreshes over the period: one queued to start in 50 minutes is
    no answer to a GET now, whose client would poll it for that long."""
    client = client_of(listener)
    with django_capture_on_commit_callbacks(execute=False):
        later = generation_start(user_id=listener.pk, countdown=3000)
        answer = client.get(url(listener.pk))

    assert answer.status_code == 202
    assert answer.json()["task_id"] != str(later.task_id)
    assert client.get(answer.json()["status_url"]).json()["state"] == "pending"
    mine = Generation.objects.get(task_id=answer.json()["task_id"])
    assert mine.due_at <= timezone.now() < later.due_at


def test_a_beat_generation_due_lately_is_polled_not_given_up(
    client_of, listener, queued, django_capture_on_commit_callbacks
):
    """Queued 15 minutes ago to start 2 minutes ago: a GET polls it, and it is no more late
    than one a GET queued 2 minutes ago."""
    client = client_of(listener)
    with django_capture_on_commit_callbacks(execute=False):
        beat = generation_start(user_id=listener.pk, countdown=780)
    now = timezone.now()
    Generation.objects.filter(pk=beat.pk).update(
        created_at=now - dt.timedelta(minutes=15), due_at=now - dt.timedelta(minutes=2)
    )

    with django_capture_on_commit_callbacks(execute=False):
        answer = client.get(url(listener.pk)).json()

    assert answer["task_id"] == str(beat.task_id)
    assert client.get(answer["status_url"]).json()["state"] == "pending"
