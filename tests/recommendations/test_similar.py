"""GET /api/songs/{id}/similar/: the songs that sound most alike, by the engine's one
definition of "sounds alike" (`recommendations.engine.sound_similarity`)."""

from __future__ import annotations

import numpy as np
import pytest

from catalog.models import AUDIO_FEATURE_FIELDS
from recommendations import model
from recommendations.engine import FEATURES, similar_songs, sound_similarity
from recommendations.engine.signals import SIGNALS, content_at, evidence
from tests.factories import ArtistFactory, RatingFactory, SongArtistFactory, SongFactory
from tests.recommendations.builders import catalog_of, listener_of

pytestmark = pytest.mark.django_db

PROFILE = {
    "danceability": 0.8,
    "energy": 0.7,
    "acousticness": 0.1,
    "instrumentalness": 0.0,
    "liveness": 0.1,
    "valence": 0.6,
    "speechiness": 0.05,
    "loudness": -5.0,
    "tempo": 120.0,
}


def shifted(**changes) -> dict:
    return {**PROFILE, **changes}


@pytest.fixture
def background():
    """Forty songs of every sound, so that standardising over the catalog means something."""
    return SongFactory.create_batch(40, speechiness=0.1, tempo=60.0)


def similar(client, song, **params):
    return client.get(f"/api/songs/{song.pk}/similar/", params).json()["results"]


def test_nearest_songs_first_never_the_song_itself(api_client, background):
    seed = SongFactory(title="Seed", **PROFILE)
    SongFactory(title="Twin", **PROFILE)
    SongFactory(title="Near", **shifted(energy=0.6))
    SongFactory(title="Far", **shifted(energy=0.1, danceability=0.1, tempo=60.0, acousticness=0.9))

    response = api_client.get(f"/api/songs/{seed.id}/similar/", {"limit": 50})

    assert response.status_code == 200
    results = response.json()["results"]
    titles = [r["song"]["title"] for r in results]
    assert titles[:2] == ["Twin", "Near"]
    far = results[titles.index("Far")]
    assert results[0]["score"] == 1.0
    assert 0 < far["score"] < results[1]["score"] < 1.0
    assert "Seed" not in titles
    assert set(results[0]["song"]) >= {"id", "title", "artists", "energy"}


def test_features_are_standardised_so_tempo_does_not_dominate(api_client, background):
    seed = SongFactory(**PROFILE)
    # 10 BPM off is a small step among songs from 60 to 120 BPM; a full swing of energy is not.
    SongFactory(title="Other tempo", **shifted(tempo=130.0))
    SongFactory(title="Other energy", **shifted(energy=0.0))

    titles = [r["song"]["title"] for r in similar(api_client, seed, limit=2)]

    assert titles == ["Other tempo", "Other energy"]


def test_limit_defaults_to_10_and_is_capped_at_50(api_client):
    seed = SongFactory()
    SongFactory.create_batch(60)

    assert len(similar(api_client, seed)) == 10
    assert len(similar(api_client, seed, limit=3)) == 3
    assert len(similar(api_client, seed, limit="100000000000000000000000000")) == 50


@pytest.mark.parametrize("limit", ["abc", "0", "-5", "1.5", ""])
def test_bad_limit_is_400(api_client, limit):
    seed = SongFactory()
    response = api_client.get(f"/api/songs/{seed.id}/similar/?limit={limit}")
    assert response.status_code == 400
    assert "limit" in response.json()


def test_unknown_song_is_404(api_client):
    SongFactory()
    assert api_client.get("/api/songs/424242/similar/").status_code == 404
    assert api_client.get("/api/songs/x/similar/").status_code == 404


def test_a_lone_song_has_no_similar_songs(api_client):
    seed = SongFactory()
    assert api_client.get(f"/api/songs/{seed.id}/similar/").json() == {"results": []}


def test_similar_songs_carry_artists_genres_and_the_callers_rating(make_auth_client, background):
    seed = SongFactory(**PROFILE)
    twin = SongFactory(**PROFILE, genres=["pop"])
    SongArtistFactory(song=twin, artist=ArtistFactory(name="Twin Artist"))
    client = make_auth_client()
    RatingFactory(user=client.user, song=twin, score=5)

    result = similar(client, seed, limit=1)[0]

    assert result["song"]["id"] == twin.id
    assert result["song"]["artists"] == [{"id": twin.credits.get().artist_id, "name": "Twin Artist"}]
    assert result["song"]["genres"] == ["pop"]
    assert result["song"]["my_rating"] == 5


def test_equally_near_songs_come_by_id(api_client, background):
    seed = SongFactory(**PROFILE)
    twins = [SongFactory(**shifted(energy=0.6)) for _ in range(5)]

    results = similar(api_client, seed, limit=3)

    assert [r["song"]["id"] for r in results] == [t.id for t in twins[:3]]


def test_songs_without_audio_features_are_similar_to_nothing(api_client, background):
    seed = SongFactory(**PROFILE)
    featureless = SongFactory(**dict.fromkeys(AUDIO_FEATURE_FIELDS), speechiness=None)

    assert featureless.pk not in {r["song"]["id"] for r in similar(api_client, seed, limit=50)}
    assert similar(api_client, featureless) == []


def test_a_song_loaded_after_the_catalog_was_read_is_found(api_client, background, monkeypatch):
    seed = SongFactory(**PROFILE)
    similar(api_client, seed)  # this process reads the catalog
    monkeypatch.setattr(model, "CATALOG_REREAD_SECONDS", 0.0)
    newcomer = SongFactory(**PROFILE)

    assert similar(api_client, newcomer, limit=1)[0]["song"]["id"] == seed.pk


def test_the_sound_signal_of_recommendations_is_the_same_measure():
    """A listener who liked one song: the content signal of every song is exactly how alike
    it sounds to that song, as similar songs are ranked."""
    rng = np.random.default_rng(3)
    catalog = catalog_of(artists=list(range(30)), features=rng.random((30, len(FEATURES))).astype(np.float32))
    found = evidence(catalog, listener_of(liked={4: 3.0}), model=None)

    content = content_at(catalog, found, np.arange(30))

    assert "content" in SIGNALS
    np.testing.assert_allclose(
        content, sound_similarity(catalog, catalog.standardised[4], np.arange(30)), rtol=1e-5
    )


def test_similar_songs_fill_the_list_past_many_copies_of_one_recording():
    """Song 0's nearest neighbours are twelve ids of one recording (album, single,
    compilations): they count once, and the list still holds as many songs as asked."""
    features = np.zeros((20, len(FEATURES)), np.float32)
    features[:, 0] = [0.0] + [0.01] * 12 + [0.1 * i for i in range(2, 9)]
    catalog = catalog_of(
        artists=list(range(20)), features=features, recording=[0] + [1] * 12 + list(range(13, 20))
    )

    found = [song for song, _ in similar_songs(catalog, 0, 4)]

    assert len(found) == 4
    assert found[0] in range(1, 13)
    assert found[1:] == [13, 14, 15]
