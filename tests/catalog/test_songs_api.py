"""GET /api/songs/ and /api/songs/{id}/: a song's shape, the caller's own rating, unknown ids
and query parameters, the schema (the filters and the ordering: test_songs_filters.py)."""

from __future__ import annotations

import pytest

from tests.factories import ArtistFactory, RatingFactory, SongArtistFactory, SongFactory, UserFactory

pytestmark = pytest.mark.django_db

SONG_FIELDS = {
    "id",
    "spotify_id",
    "title",
    "artists",
    "album",
    "genres",
    "popularity",
    "explicit",
    "speechiness",
    "my_rating",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "duration_ms",
    "time_signature",
    "num_bars",
    "num_sections",
    "num_segments",
    "average_rating",
    "total_ratings",
    "rating_score",
}


def test_song_has_exactly_the_contract_shape_with_artists_in_credit_order(api_client):
    song = SongFactory(title="Shape of You")
    second, first = ArtistFactory(name="Second"), ArtistFactory(name="First")
    SongArtistFactory(song=song, artist=second, position=1)
    SongArtistFactory(song=song, artist=first, position=0)

    response = api_client.get(f"/api/songs/{song.id}/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == SONG_FIELDS
    assert body["artists"] == [{"id": first.id, "name": "First"}, {"id": second.id, "name": "Second"}]
    assert body["average_rating"] == 0.0
    assert body["total_ratings"] == 0
    assert body["rating_score"] == 3.0


def test_song_carries_album_genres_popularity_explicit_and_speechiness(api_client):
    song = SongFactory(
        title="Blank Space",
        album="1989",
        popularity=82,
        explicit=False,
        speechiness=0.05,
        genres=["Pop", "country"],
    )

    body = api_client.get(f"/api/songs/{song.id}/").json()

    assert (body["album"], body["popularity"], body["explicit"], body["speechiness"]) == (
        "1989",
        82,
        False,
        0.05,
    )
    # Genres are stored by their normalised name, and listed in name order.
    assert body["genres"] == ["country", "pop"]
    assert body["my_rating"] is None


def test_a_song_lists_its_artists_in_credit_order_and_its_genres_by_name(api_client):
    song = SongFactory(genres=["soul", "Blues", "jazz"])
    zed, abe, mia = (ArtistFactory(name=name) for name in ("Zed", "Abe", "Mia"))
    for position, artist in ((2, mia), (0, zed), (1, abe)):
        SongArtistFactory(song=song, artist=artist, position=position)
    SongArtistFactory(song=SongFactory(genres=["pop"]), artist=abe)

    for body in (
        api_client.get(f"/api/songs/{song.id}/").json(),
        api_client.get("/api/songs/").json()["results"][0],
    ):
        assert [(a["id"], a["name"]) for a in body["artists"]] == [
            (zed.pk, "Zed"),
            (abe.pk, "Abe"),
            (mia.pk, "Mia"),
        ]
        assert body["genres"] == ["blues", "jazz", "soul"]


def test_what_the_source_did_not_give_is_null(api_client):
    song = SongFactory(
        album=None, popularity=None, explicit=None, speechiness=None, num_bars=None, num_sections=None
    )

    body = api_client.get(f"/api/songs/{song.id}/").json()

    for field in ("album", "popularity", "explicit", "speechiness", "num_bars", "num_sections"):
        assert body[field] is None, field
    assert body["genres"] == [] and body["artists"] == []


def test_my_rating_is_the_callers_own_score(api_client, make_auth_client):
    rated, unrated = SongFactory(title="Rated"), SongFactory(title="Unrated")
    me, someone = UserFactory(), UserFactory()
    RatingFactory(user=me, song=rated, score=4)
    RatingFactory(user=someone, song=rated, score=1)
    RatingFactory(user=someone, song=unrated, score=2)
    client = make_auth_client(me)

    listed = {s["title"]: s["my_rating"] for s in client.get("/api/songs/").json()["results"]}
    detail = client.get(f"/api/songs/{rated.id}/").json()
    anonymous = {s["title"]: s["my_rating"] for s in api_client.get("/api/songs/").json()["results"]}
    others = {s["title"]: s["my_rating"] for s in make_auth_client().get("/api/songs/").json()["results"]}

    assert listed == {"Rated": 4, "Unrated": None}
    assert detail["my_rating"] == 4
    assert anonymous == others == {"Rated": None, "Unrated": None}


def test_unknown_or_malformed_song_id_is_json_404(api_client):
    for path in ("/api/songs/999999/", "/api/songs/abc/", "/api/songs/99999999999999999999999/"):
        response = api_client.get(path)
        assert response.status_code == 404, path
        assert "detail" in response.json()


def test_unknown_query_parameters_are_ignored(api_client):
    SongFactory()
    assert api_client.get("/api/songs/?colour=blue").json()["count"] == 1


def test_schema_documents_the_catalog(api_client):
    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    songs = paths["/api/songs/"]["get"]
    names = {p["name"] for p in songs["parameters"]}
    assert {
        "search",
        "title",
        "ordering",
        "min_energy",
        "max_duration_ms",
        "key",
        "page",
        "page_size",
    } <= names
    assert {"artist", "genre", "explicit", "min_popularity", "max_popularity", "min_speechiness"} <= names
    ordering = next(p for p in songs["parameters"] if p["name"] == "ordering")
    assert {"popularity", "-popularity", "loudness"} <= set(ordering["schema"]["items"]["enum"])
    assert "/api/songs/{id}/similar/" in paths
    similar_params = {p["name"] for p in paths["/api/songs/{id}/similar/"]["get"]["parameters"]}
    assert "limit" in similar_params
    assert "search" not in similar_params
    song = response.json()["components"]["schemas"]["Song"]["properties"]
    assert song["genres"] == {"type": "array", "items": {"type": "string"}, "readOnly": True}
    assert song["popularity"]["nullable"] is True
    assert song["my_rating"]["nullable"] is True
    # Anyone may read the catalog: no permission can refuse an authenticated caller.
    assert "403" not in paths["/api/songs/"]["get"]["responses"]
    assert "403" not in paths["/api/songs/{id}/"]["get"]["responses"]
