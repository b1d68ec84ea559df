"""GET /api/songs/{id}/similar/: nearest songs by normalized audio features."""

from __future__ import annotations

import pytest

from catalog.selectors.similar import SIMILARITY_FEATURES, similarity_score, similarity_vector
from tests.factories import ArtistFactory, RatingFactory, SongArtistFactory, SongFactory

pytestmark = pytest.mark.django_db

PROFILE = {
    "danceability": 0.8,
    "energy": 0.7,
    "acousticness": 0.1,
    "instrumentalness": 0.0,
    "liveness": 0.1,
    "valence": 0.6,
    "loudness": -5.0,
    "tempo": 120.0,
}


def shifted(**changes) -> dict:
    return {**PROFILE, **changes}


def test_nearest_songs_first_never_the_song_itself(api_client):
    seed = SongFactory(title="Seed", **PROFILE)
    twin = SongFactory(title="Twin", **PROFILE)
    near = SongFactory(title="Near", **shifted(energy=0.6))
    far = SongFactory(title="Far", **shifted(energy=0.1, danceability=0.1, tempo=60.0, acousticness=0.9))

    response = api_client.get(f"/api/songs/{seed.id}/similar/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["song"]["title"] for r in results] == ["Twin", "Near", "Far"]
    assert results[0]["score"] == 1.0
    assert 0 < results[2]["score"] < results[1]["score"] < 1.0
    assert set(results[0]["song"]) >= {"id", "title", "artists", "energy"}
    assert seed.id not in {r["song"]["id"] for r in results}
    assert {twin.id, near.id, far.id} == {r["song"]["id"] for r in results}


def test_features_are_normalized_so_tempo_does_not_dominate(api_client):
    seed = SongFactory(**PROFILE)
    # 10 BPM off is a small step on a 0-250 scale; a full swing of energy is not.
    SongFactory(title="Other tempo", **shifted(tempo=130.0))
    SongFactory(title="Other energy", **shifted(energy=0.0))

    results = api_client.get(f"/api/songs/{seed.id}/similar/").json()["results"]

    assert [r["song"]["title"] for r in results] == ["Other tempo", "Other energy"]


def test_limit_defaults_to_10_and_is_capped_at_50(api_client):
    seed = SongFactory()
    SongFactory.create_batch(60)

    default = api_client.get(f"/api/songs/{seed.id}/similar/")
    three = api_client.get(f"/api/songs/{seed.id}/similar/?limit=3")
    huge = api_client.get(f"/api/songs/{seed.id}/similar/?limit=100000000000000000000000000")

    assert len(default.json()["results"]) == 10
    assert len(three.json()["results"]) == 3
    assert len(huge.json()["results"]) == 50


@pytest.mark.parametrize("limit", ["abc", "0", "-5", "1.5"])
def test_bad_limit_is_400(api_client, limit):
    seed = SongFactory()
    response = api_client.get(f"/api/songs/{seed.id}/similar/?limit={limit}")
    assert response.status_code == 400
    assert "limit" in response.json()


def test_unknown_song_is_404(api_client):
    assert api_client.get("/api/songs/424242/similar/").status_code == 404
    assert api_client.get("/api/songs/x/similar/").status_code == 404


def test_a_lone_song_has_no_similar_songs(api_client):
    seed = SongFactory()
    assert api_client.get(f"/api/songs/{seed.id}/similar/").json() == {"results": []}


def test_similar_songs_carry_artists_genres_and_the_callers_rating(make_auth_client):
    seed = SongFactory(**PROFILE)
    twin = SongFactory(**PROFILE, genres=["pop"])
    SongArtistFactory(song=twin, artist=ArtistFactory(name="Twin Artist"))
    client = make_auth_client()
    RatingFactory(user=client.user, song=twin, score=5)

    result = client.get(f"/api/songs/{seed.id}/similar/?limit=1").json()["results"][0]

    assert result["song"]["id"] == twin.id
    assert result["song"]["artists"] == [{"id": twin.credits.get().artist_id, "name": "Twin Artist"}]
    assert result["song"]["genres"] == ["pop"]
    assert result["song"]["my_rating"] == 5


def test_equally_near_songs_come_by_id(api_client):
    seed = SongFactory(**PROFILE)
    twins = [SongFactory(**shifted(energy=0.6)) for _ in range(5)]

    results = api_client.get(f"/api/songs/{seed.id}/similar/?limit=3").json()["results"]

    assert [r["song"]["id"] for r in results] == [t.id for t in twins[:3]]


def test_the_definition_maps_each_feature_onto_the_unit_interval():
    song = SongFactory.build(**shifted(loudness=-70.0, tempo=125.0))
    vector = dict(zip(SIMILARITY_FEATURES, similarity_vector(song), strict=True))

    # Out of range is clamped; tempo 125 is half of its 0-250 range.
    assert vector["loudness"] == 0.0
    assert vector["tempo"] == 0.5
    assert similarity_score(0.0) == 1.0
    assert similarity_score(float(len(SIMILARITY_FEATURES))) == 0.0
