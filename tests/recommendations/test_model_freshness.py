"""When a process's model (and the catalog arrays it holds for similar songs) is stale. A
catalog load that wrote songs makes them stale in every process (the database records the load,
whichever process ran it), so the next list knows the genres, artists and songs it brought; a
load that wrote nothing keeps them. Where no beat rebuilds the model (the embedded default), it
is built again once older than the build period. A process that builds to catch up with a
build published elsewhere leaves the other processes' models and lists fresh."""

from __future__ import annotations

import time

import pytest

from catalog.models import SongSource
from recommendations import model as reco_model
from recommendations.lists import list_cached, list_for
from recommendations.model import build_model, model_ready
from recommendations.services import recommend
from tests.catalog.builders import song_row, upsert
from tests.factories import ArtistFactory, UserFactory
from tests.recommendations.builders import song_by

pytestmark = pytest.mark.django_db


def k_pop_rows():
    return [song_row(900 + i, artists=["Newcomer"], genres=["k-pop"], popularity=10) for i in range(3)]


def test_the_list_after_a_load_knows_the_genres_and_artists_it_brought(world):
    build_model()  # before the load, as a running server's model would be
    upsert(k_pop_rows())
    listener = UserFactory(
        profile__favorite_genres=["k-pop"], profile__favorite_artists=["newcomer"], profile__moods=[]
    )

    items = recommend(user_id=listener.pk, limit=2)  # the most of one artist a list holds

    assert {item["song"].title for item in items} < {row["title"] for row in k_pop_rows()}
    assert all("by Newcomer, an artist you like" in item["reasons"] for item in items)


def test_a_load_that_wrote_nothing_keeps_the_model():
    upsert(k_pop_rows())
    model = build_model()
    assert upsert(k_pop_rows()).unchanged == 3

    assert model_ready()
    assert reco_model.model_current() is model


def test_a_load_that_changed_songs_makes_the_model_stale():
    upsert(k_pop_rows())
    build_model()

    upsert([song_row(900, artists=["Newcomer"], genres=["k-pop"], popularity=90)])

    assert not model_ready()


@pytest.mark.parametrize("model_is_new", [False, True])
def test_a_seed_song_added_without_a_load_is_built_in_unless_the_model_is_new(
    world, monkeypatch, auth_client, django_capture_on_commit_callbacks, model_is_new
):
    """A song brought in without a load (a Spotify find) makes no model stale. Named as a
    seed, it is built in when the model is older than CATALOG_REREAD_SECONDS; a model newer
    than that is not rebuilt for it (requests naming new songs must not keep a worker
    rebuilding), and the request fails naming the song."""
    model = build_model()
    monkeypatch.setattr(reco_model, "CATALOG_REREAD_SECONDS", 3600.0 if model_is_new else 0.0)
    found = song_by(ArtistFactory(name="Found"), popularity=50, source=SongSource.SPOTIFY)
    assert model_ready()

    url = f"/api/recommendations/user/{auth_client.user.pk}/refresh/"
    with django_capture_on_commit_callbacks(execute=True):
        queued = auth_client.post(url, {"limit": 3, "seed_songs": [found.pk]}, format="json")
    assert queued.status_code == 202, queued.json()
    status = auth_client.get(queued.json()["status_url"]).json()

    if not model_is_new:
        assert status["state"] == "success", status
        assert reco_model.model_current().index.song_positions([found.pk])[0] >= 0
    else:
        assert status["state"] == "failure"
        assert f"Unknown song(s): {found.pk}" in status["error"]
        assert reco_model.model_current() is model


def test_without_a_beat_a_model_older_than_the_build_period_is_built_again(settings):
    settings.REDIS_URL = ""  # the embedded default: no beat
    model = build_model()
    assert model_ready()

    settings.RECOMMENDATIONS_BUILD_SECONDS = 0.0
    assert not model_ready()
    assert reco_model.model_current() is not model

    settings.REDIS_URL = "redis://127.0.0.1:6379/15"  # a beat rebuilds it: its age alone is no reason
    assert model_ready()


def test_a_build_to_catch_up_leaves_the_other_processes_models_and_lists_fresh(world, monkeypatch):
    """Two processes share the cache (Redis). The second builds its model to catch up with
    the first's build: the first's model and the lists it made stay fresh, or each process
    would rebuild in turn, on every list."""
    listener = UserFactory()
    first = build_model()
    made_by_first = list_for(user_id=listener.pk, limit=5)
    reco_model.model_forget()  # now the second process, which holds no model yet

    second = reco_model.model_current()

    assert second is not first
    assert model_ready()
    monkeypatch.setattr(reco_model, "_current", first)  # back in the first process
    assert model_ready()
    assert list_cached(user_id=listener.pk, limit=5) == made_by_first


def test_a_published_build_makes_the_lists_older_models_made_stale(world, settings):
    """A build by the beat, or one due to the model's age where there is no beat: every
    list an older model made is computed again."""
    listener = UserFactory()
    build_model()
    list_for(user_id=listener.pk, limit=5)
    assert list_cached(user_id=listener.pk, limit=5) is not None

    settings.REDIS_URL = ""  # the embedded default: the model's age rebuilds it
    settings.RECOMMENDATIONS_BUILD_SECONDS = 0.0
    reco_model.model_current()

    assert list_cached(user_id=listener.pk, limit=5) is None


def test_a_build_to_catch_up_counts_as_new_as_the_build_it_follows(world):
    """The build was published by a host whose clock is ahead of this one's: the model built
    to catch up with it must not look older than it, or it would be built again for every
    list."""
    from django.core.cache import cache

    cache.set(reco_model.MODEL_BUILT_KEY, time.time() + 100, None)
    reco_model.model_forget()

    model = reco_model.model_current()

    assert model_ready()
    assert reco_model.model_current() is model
