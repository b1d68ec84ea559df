"""GET /api/songs/{id}/similar/: nearest songs by normalized audio features."""

from __future__ import annotations

import pytest

from catalog.similarity import (
    NEIGHBOURHOOD_LEVELS,
    SIMILARITY_FEATURES,
    adjacent_keys,
    neighbourhood_key,
    similarity_score,
    similarity_vector,
)
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
    vector = dict(
        zip(SIMILARITY_FEATURES, similarity_vector(shifted(loudness=-70.0, tempo=125.0)), strict=True)
    )

    # Out of range is clamped; tempo 125 is half of its 0-250 range.
    assert vector["loudness"] == 0.0
    assert vector["tempo"] == 0.5
    assert similarity_score(0.0) == 1.0
    assert similarity_score(8.0) == 0.0


def test_neighbourhoods_are_cells_of_a_grid_with_their_adjacent_cells():
    corner = neighbourhood_key(shifted(energy=0.0, danceability=0.0, valence=0.0, acousticness=0.0))
    top = neighbourhood_key(shifted(energy=1.0, danceability=1.0, valence=1.0, acousticness=1.0))

    assert (corner, top) == (0, NEIGHBOURHOOD_LEVELS**4 - 1)
    # A corner cell has 2**4 - 1 neighbours, an inner one 3**4 - 1, the nearest first.
    assert len(adjacent_keys(corner)) == 15
    inner = neighbourhood_key(shifted(energy=0.5, danceability=0.5, valence=0.5, acousticness=0.5))
    assert len(adjacent_keys(inner)) == 80
    assert all(abs(k - inner) in (1, 8, 64, 512) for k in adjacent_keys(inner)[:8])


def test_other_neighbourhoods_are_read_only_when_the_cell_is_short(api_client, monkeypatch):
    from catalog.selectors import similar

    seed = SongFactory(**PROFILE)
    same_cell = SongFactory(title="Same cell", **shifted(liveness=0.9, tempo=200.0))
    next_cell = SongFactory(title="Next cell", **shifted(energy=PROFILE["energy"] - 0.125))
    far_cell = SongFactory(title="Far cell", **shifted(energy=0.0, valence=0.0))

    found = api_client.get(f"/api/songs/{seed.id}/similar/").json()["results"]
    monkeypatch.setattr(similar, "NEIGHBOURHOOD_CANDIDATES", 2)
    two = api_client.get(f"/api/songs/{seed.id}/similar/").json()["results"]
    monkeypatch.setattr(similar, "NEIGHBOURHOOD_CANDIDATES", 1)
    one = api_client.get(f"/api/songs/{seed.id}/similar/").json()["results"]

    # Fewer songs than the bound: all are ranked. The adjacent cell's song is nearer than
    # the one sharing the cell, but read only while the bound is not reached.
    assert [r["song"]["title"] for r in found] == ["Next cell", "Same cell", "Far cell"]
    assert [r["song"]["id"] for r in two] == [next_cell.id, same_cell.id]
    assert [r["song"]["id"] for r in one] == [same_cell.id]
    assert far_cell.id not in {r["song"]["id"] for r in two}
