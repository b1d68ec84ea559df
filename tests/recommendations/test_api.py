"""The Recommendations rows of the contract through HTTP: the owner's list, the cache and
what makes it stale, the 202 flow and the task's state, refreshes with seeds and moods,
refusals."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from analytics.models import Action
from recommendations.lists import recommendations_build
from recommendations.model import model_forget
from recommendations.models import Generation, GenerationState
from tests.catalog.builders import song_row, upsert
from tests.factories import RatingFactory, SongArtistFactory, SongFactory, UserFactory
from tests.recommendations.builders import listened


def url(user_id: int) -> str:
    return f"/api/recommendations/user/{user_id}/"


def refresh_url(user_id: int) -> str:
    return f"/api/recommendations/user/{user_id}/refresh/"


@pytest.fixture
def listener(world):
    """A listener who played an Alpha song, skipped another and rated a third."""
    user = UserFactory(profile__favorite_genres=[], profile__moods=[])
    listened(user, (world["Alpha"][0], Action.PLAY), (world["Alpha"][1], Action.SKIP))
    RatingFactory(user=user, song=world["Alpha"][2], score=5)
    return user


@pytest.fixture
def client_of(make_auth_client):
    return make_auth_client


def _song_ids(body: dict) -> list[int]:
    return [item["song"]["id"] for item in body["results"]]


def test_the_owner_gets_an_explained_list_without_what_they_rated_skipped_or_played(
    client_of, listener, world
):
    response = client_of(listener).get(url(listener.pk), {"limit": 6})

    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == listener.pk
    assert body["source"] == "catalog"
    assert body["generated_at"]
    ids = _song_ids(body)
    assert len(ids) == 6
    assert len(set(ids)) == 6
    assert not {song.pk for song in world["Alpha"]} & set(ids)
    assert all(
        item["reasons"] and all(isinstance(r, str) and r for r in item["reasons"]) for item in body["results"]
    )
    assert body["results"][0]["song"]["artists"][0]["name"] == "Beta"
    assert "liked by listeners who like Alpha" in body["results"][0]["reasons"]
    scores = [item["score"] for item in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_a_song_under_another_id_counts_as_the_same_song(client_of, listener, world):
    """One recording under several ids (album, single): a list never holds the copy of a song
    the listener rated, nor one song twice; similar songs never hold the song itself."""

    def copy_of(song):
        copied = SongFactory(title=song.title.upper(), popularity=song.popularity, genres=["rock"])
        SongArtistFactory(song=copied, artist=song.credits.get(position=0).artist, position=0)
        return copied

    rated_copy = copy_of(world["Alpha"][2])
    beta_copies = {world["Beta"][0].pk, copy_of(world["Beta"][0]).pk}

    ids = _song_ids(client_of(listener).get(url(listener.pk), {"limit": 8}).json())
    similar = client_of(listener).get(f"/api/songs/{world['Alpha'][2].pk}/similar/", {"limit": 50}).json()

    assert rated_copy.pk not in ids
    assert len(beta_copies & set(ids)) == 1
    assert rated_copy.pk not in [item["song"]["id"] for item in similar["results"]]


def test_a_new_listener_with_only_a_profile_gets_a_personal_list(client_of, world):
    newcomer = UserFactory(profile__favorite_genres=["jazz"], profile__favorite_artists=[], profile__moods=[])

    body = client_of(newcomer).get(url(newcomer.pk), {"limit": 4}).json()

    assert {item["song"]["artists"][0]["name"] for item in body["results"]} <= {"Gamma", "Delta"}
    assert all(item["reasons"] for item in body["results"])


def test_only_the_owner_sees_a_list(client_of, api_client, listener):
    stranger = UserFactory()

    assert client_of(stranger).get(url(listener.pk)).status_code == 404
    assert client_of(stranger).post(refresh_url(listener.pk), {}, format="json").status_code == 404
    assert client_of(listener).get(url(987654)).status_code == 404
    assert api_client.get(url(listener.pk)).status_code == 401
    assert api_client.post(refresh_url(listener.pk), {}, format="json").status_code == 401
    assert not Generation.objects.exists()


def test_staff_read_and_refresh_anyones_list_but_write_no_feedback(client_of, listener, world, staff_user):
    staff = client_of(staff_user)
    song = world["Gamma"][0].pk

    assert staff.get(url(listener.pk)).status_code == 200
    queued = staff.post(refresh_url(listener.pk), {}, format="json")
    assert queued.status_code == 202
    assert staff.get(queued.json()["status_url"]).status_code == 200
    assert staff.get(f"{url(listener.pk)}why-not/{song}/").status_code == 200
    assert staff.get(f"{url(listener.pk)}playlists/daily_mix/").status_code == 200
    assert staff.get(url(987654)).status_code == 404
    for action, body in (
        ("feedback", {"song": song, "feedback": "not_for_me"}),
        ("snooze", {"song": song, "days": 3}),
    ):
        assert staff.post(f"{url(listener.pk)}{action}/", body, format="json").status_code == 404, action
    assert Generation.objects.filter(user=listener).count() == 2


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-1", "1.5", "", "1.0", " 5", "\uff15", "1_0"])
def test_a_bad_limit_is_refused(client_of, listener, limit):
    response = client_of(listener).get(url(listener.pk), {"limit": limit})

    assert response.status_code == 400
    assert "limit" in response.json()
    assert not Generation.objects.exists()


def test_a_fresh_list_is_served_from_the_cache_cut_to_the_limit(client_of, listener):
    client = client_of(listener)
    first = client.get(url(listener.pk)).json()

    again = client.get(url(listener.pk), {"limit": 5}).json()

    assert Generation.objects.count() == 1
    assert _song_ids(again) == _song_ids(first)[:5]
    assert again["generated_at"] == first["generated_at"]


def test_a_longer_list_than_the_cached_one_is_computed(client_of, listener):
    client = client_of(listener)
    client.get(url(listener.pk), {"limit": 3})

    longer = client.get(url(listener.pk), {"limit": 30}).json()

    assert Generation.objects.count() == 2
    assert len(longer["results"]) > 3


@pytest.mark.parametrize("change", ["rating", "skip", "like"])
def test_a_new_rating_like_or_skip_makes_the_list_stale(
    client_of, listener, change, django_capture_on_commit_callbacks
):
    client = client_of(listener)
    top = client.get(url(listener.pk)).json()["results"][0]["song"]["id"]

    with django_capture_on_commit_callbacks(execute=True):
        if change == "rating":
            response = client.post("/api/ratings/", {"song": top, "score": 2}, format="json")
        else:
            response = client.post("/api/analytics/activity/", {"song": top, "action": change}, format="json")
    assert response.status_code == 201
    after = client.get(url(listener.pk)).json()

    assert Generation.objects.count() == 2
    assert top not in _song_ids(after)


def test_a_profile_change_makes_the_list_stale_and_its_reasons_follow(
    client_of, listener, django_capture_on_commit_callbacks
):
    client = client_of(listener)
    client.patch(f"/api/users/{listener.pk}/", {"profile": {"favorite_genres": ["jazz"]}}, format="json")
    before = client.get(url(listener.pk)).json()

    with django_capture_on_commit_callbacks(execute=True):
        changed = client.patch(
            f"/api/users/{listener.pk}/", {"profile": {"favorite_genres": []}}, format="json"
        )
    assert changed.status_code == 200
    after = client.get(url(listener.pk)).json()

    def reasons(body: dict) -> set[str]:
        return {reason for item in body["results"] for reason in item["reasons"]}

    assert "jazz, a genre you like" in reasons(before)
    assert Generation.objects.count() == 2
    assert not any("jazz" in reason for reason in reasons(after))


def test_a_new_model_build_makes_every_list_stale(client_of, listener):
    client = client_of(listener)
    client.get(url(listener.pk))

    recommendations_build()
    client.get(url(listener.pk))

    assert Generation.objects.count() == 2


def test_a_catalog_load_that_wrote_songs_makes_every_list_stale(client_of, listener):
    client = client_of(listener)
    client.get(url(listener.pk))
    assert upsert([song_row(1)]).unchanged == 0

    client.get(url(listener.pk))
    assert Generation.objects.count() == 2
    assert upsert([song_row(1)]).unchanged == 1  # wrote nothing

    client.get(url(listener.pk))
    assert Generation.objects.count() == 2


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
    assert _song_ids(served.json()) == _song_ids(done["result"]) == _song_ids(whole)[:4]
    for bad in ("0", "101", "x"):
        assert client.get(status_url.split("?")[0], {"limit": bad}).status_code == 400, bad


def test_a_task_polled_after_a_rating_leaves_the_rated_song_out(
    client_of, listener, queued, django_capture_on_commit_callbacks
):
    client = client_of(listener)
    with django_capture_on_commit_callbacks(execute=True):
        status_url = client.post(refresh_url(listener.pk), {"limit": 5}, format="json").json()["status_url"]
    first = _song_ids(client.get(status_url).json()["result"])

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/api/ratings/", {"song": first[0], "score": 4}, format="json").status_code == 201
    polled = _song_ids(client.get(status_url).json()["result"])

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


def test_a_refresh_steered_by_moods_and_seeds_becomes_the_served_list(
    client_of, world, django_capture_on_commit_callbacks
):
    listener = UserFactory(profile__favorite_genres=[], profile__moods=[])
    client = client_of(listener)
    body = {"limit": 3, "seed_artists": ["gamma"], "seed_genres": ["Jazz"], "moods": ["calm"]}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(refresh_url(listener.pk), body, format="json")

    assert response.status_code == 202
    status = client.get(response.json()["status_url"]).json()
    assert status["state"] == "success"
    result = status["result"]
    assert len(result["results"]) == 3
    assert result["results"][0]["song"]["artists"][0]["name"] in {"Gamma", "Delta"}
    generation = Generation.objects.get()
    assert generation.request["moods"] == ["calm"]
    assert generation.duration_ms is not None
    assert _song_ids(client.get(url(listener.pk), {"limit": 3}).json()) == _song_ids(result)


def test_a_longer_list_than_a_steered_one_is_steered_alike(
    client_of, world, django_capture_on_commit_callbacks
):
    """The refresh's list is the one GET serves: a GET asking for more songs gets more of it,
    not the listener's unsteered list."""
    listener = UserFactory(profile__favorite_genres=["rock"], profile__moods=[])
    client = client_of(listener)
    jazz = {song.pk for name in ("Gamma", "Delta") for song in world[name]}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(refresh_url(listener.pk), {"limit": 2, "seed_genres": ["jazz"]}, format="json")

    longer = client.get(url(listener.pk), {"limit": 4}).json()

    assert len(_song_ids(longer)) == 4
    assert set(_song_ids(longer)) <= jazz


def test_a_longer_steered_list_is_queued_once_and_steered(
    client_of, world, settings, django_capture_on_commit_callbacks
):
    listener = UserFactory(profile__favorite_genres=["rock"], profile__moods=[])
    client = client_of(listener)
    jazz = {song.pk for name in ("Gamma", "Delta") for song in world[name]}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(refresh_url(listener.pk), {"limit": 2, "seed_genres": ["jazz"]}, format="json")
    # No model at hand, and building one is not quick: the list is queued.
    settings.RECOMMENDATIONS_SYNC_BUILD_MAX_SONGS = 0
    settings.RECOMMENDATIONS_SYNC_BUILD_SECONDS = -1
    model_forget()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client.get(url(listener.pk), {"limit": 4})
        again = client.get(url(listener.pk), {"limit": 4})
    for callback in callbacks:
        callback()
    done = client.get(first.json()["status_url"]).json()

    assert first.status_code == again.status_code == 202
    assert first.json()["task_id"] == again.json()["task_id"]
    assert len(_song_ids(done["result"])) == 4
    assert set(_song_ids(done["result"])) <= jazz


def test_a_seed_genre_is_named_by_its_words_as_in_the_filters(
    client_of, world, django_capture_on_commit_callbacks
):
    """`hip hop` names the catalog's `hip-hop`, as `?genre=` does: the refresh is queued and
    its list holds the genre's songs."""
    hip_hop = [SongFactory(title=f"Beat {i}", genres=["hip-hop"], popularity=50) for i in range(3)]
    listener = UserFactory(profile__favorite_genres=[], profile__moods=[])
    client = client_of(listener)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            refresh_url(listener.pk), {"limit": 3, "seed_genres": ["Hip Hop"]}, format="json"
        )

    assert response.status_code == 202, response.json()
    result = client.get(response.json()["status_url"]).json()["result"]
    assert set(_song_ids(result)) == {song.pk for song in hip_hop}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"moods": ["grumpy"]}, "moods"),
        ({"seed_songs": [987654]}, "seed_songs"),
        ({"seed_songs": ["one"]}, "seed_songs"),
        ({"seed_artists": ["Nobody At All"]}, "seed_artists"),
        ({"seed_genres": ["polka"]}, "seed_genres"),
        ({"seed_genres": "jazz"}, "seed_genres"),
        # A JSON body's values as sent.
        ({"limit": "5"}, "limit"),
        ({"limit": 5.0}, "limit"),
        ({"seed_songs": [5.0]}, "seed_songs"),
        ({"seed_songs": ["5"]}, "seed_songs"),
        ({"seed_genres": [5]}, "seed_genres"),
        ({"seed_artists": [5]}, "seed_artists"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"seed_artists": ["x"] * 21}, "seed_artists"),
    ],
)
def test_a_refresh_with_unknown_seeds_or_bad_values_is_refused_and_queues_nothing(
    client_of, listener, body, field
):
    response = client_of(listener).post(refresh_url(listener.pk), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Generation.objects.exists()


def test_a_refresh_body_that_is_not_an_object_is_refused(client_of, listener):
    response = client_of(listener).post(refresh_url(listener.pk), [1, 2], format="json")

    assert response.status_code == 400
    assert not Generation.objects.exists()


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


def test_the_cache_holding_nothing_still_gives_a_list(client_of, listener, monkeypatch):
    """Redis down reads as misses (IGNORE_EXCEPTIONS): the list is computed each time."""
    client = client_of(listener)
    client.get(url(listener.pk))
    cache.clear()

    response = client.get(url(listener.pk))

    assert response.status_code == 200
    assert Generation.objects.count() == 2


def test_after_a_slow_build_a_process_without_a_model_queues_rather_than_builds(client_of, listener):
    """The catalog is tiny, but the last build took long (many artists listened to): a GET
    must not hold a web worker for it."""
    from recommendations.model import MODEL_SECONDS_KEY

    cache.set(MODEL_SECONDS_KEY, 30.0)

    response = client_of(listener).get(url(listener.pk))

    assert response.status_code == 202


def test_after_a_quick_build_a_process_without_a_model_builds_one_and_answers(client_of, listener, settings):
    from recommendations.model import MODEL_SECONDS_KEY

    settings.RECOMMENDATIONS_SYNC_BUILD_MAX_SONGS = 0
    cache.set(MODEL_SECONDS_KEY, 0.2)

    response = client_of(listener).get(url(listener.pk))

    assert response.status_code == 200


@pytest.mark.parametrize(("headroom", "status"), [(0, 200), (-1, 202)])
def test_before_any_build_a_catalog_of_at_most_the_limit_is_answered_at_once(
    client_of, listener, settings, headroom, status
):
    from catalog.models import Song
    from recommendations.model import MODEL_SECONDS_KEY

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
