"""The catalog's arrays shared through a snapshot on disk: a process that holds none takes the
last one another process saved instead of reading the catalog, while no newer model was built
and no catalog load wrote songs since it was read (`recommendations.snapshot`,
`recommendations.model.catalog_current`).

Another process is played here by this one after `model_forget` (what a process holds is
gone; what is on disk and in the cache stays)."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.db import connection

from recommendations import model as reco_model
from recommendations.snapshot import _path, snapshot_load
from tests.catalog.builders import song_row, upsert
from tests.factories import SongFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def songs():
    return [SongFactory(danceability=i / 30, energy=1 - i / 30, tempo=60.0 + 4 * i) for i in range(30)]


@pytest.fixture
def reads(monkeypatch):
    """How many times the catalog's arrays are read from the database."""
    count = []
    real = reco_model.catalog_arrays

    def counted():
        count.append(1)
        return real()

    monkeypatch.setattr(reco_model, "catalog_arrays", counted)
    return count


def similar_ids(client, song) -> list[int]:
    response = client.get(f"/api/songs/{song.pk}/similar/", {"limit": 5})
    assert response.status_code == 200
    return [item["song"]["id"] for item in response.json()["results"]]


def test_another_process_answers_from_the_snapshot_a_build_saved(api_client, songs, reads):
    reco_model.build_model()
    reco_model.model_forget()  # no model: a web process beside the worker that built it
    before = len(reads)

    answer = similar_ids(api_client, songs[3])

    assert len(reads) == before
    reco_model.model_forget()
    cache.delete(reco_model.MODEL_BUILT_KEY)  # no build known: the snapshot is not trusted
    assert similar_ids(api_client, songs[3]) == answer
    assert len(reads) == before + 1


def test_a_process_that_read_the_catalog_saves_it_for_the_others(api_client, songs, reads):
    cache.set(reco_model.MODEL_BUILT_KEY, time.time() - 5)
    answer = similar_ids(api_client, songs[0])
    assert len(reads) == 1
    reco_model.model_forget()

    assert similar_ids(api_client, songs[0]) == answer
    assert len(reads) == 1


def test_a_snapshot_older_than_the_newest_build_is_read_again(api_client, songs, reads):
    cache.set(reco_model.MODEL_BUILT_KEY, time.time() - 5)
    similar_ids(api_client, songs[0])
    reco_model.model_forget()
    cache.set(reco_model.MODEL_BUILT_KEY, time.time() + 1)  # built elsewhere since

    similar_ids(api_client, songs[0])

    assert len(reads) == 2


def test_a_song_newer_than_the_snapshot_makes_it_read_again(api_client, songs, reads, monkeypatch):
    cache.set(reco_model.MODEL_BUILT_KEY, time.time() - 5)
    similar_ids(api_client, songs[0])
    reco_model.model_forget()
    monkeypatch.setattr(reco_model, "CATALOG_REREAD_SECONDS", 0.0)
    newcomer = SongFactory(danceability=0.5, energy=0.5, tempo=100.0)

    assert similar_ids(api_client, newcomer)
    assert len(reads) == 2


def test_a_snapshot_read_before_a_catalog_load_is_read_again(api_client, songs, reads):
    cache.set(reco_model.MODEL_BUILT_KEY, time.time() - 5)
    similar_ids(api_client, songs[0])
    reco_model.model_forget()
    upsert([song_row(1)])  # loaded in any process

    answer = similar_ids(api_client, songs[0])
    assert len(reads) == 2
    reco_model.model_forget()  # and the snapshot saved after the load serves the next process
    assert similar_ids(api_client, songs[0]) == answer
    assert len(reads) == 2


def test_an_unreadable_snapshot_is_no_snapshot(api_client, songs, reads):
    cache.set(reco_model.MODEL_BUILT_KEY, time.time() - 5)
    answer = similar_ids(api_client, songs[0])
    reco_model.model_forget()
    _path().write_bytes(b"not a snapshot")

    assert similar_ids(api_client, songs[0]) == answer
    assert len(reads) == 2
    assert snapshot_load() is not None  # saved again, whole


def test_a_snapshot_belongs_to_its_database(api_client, songs, monkeypatch):
    cache.set(reco_model.MODEL_BUILT_KEY, time.time() - 5)
    similar_ids(api_client, songs[0])
    assert snapshot_load() is not None

    monkeypatch.setitem(connection.settings_dict, "NAME", "another_catalog")

    assert snapshot_load() is None
