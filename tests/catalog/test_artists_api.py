"""GET /api/artists/ and /api/artists/{id}/: search (typo-tolerant), genre filter, derived
genres, top songs."""

from __future__ import annotations

import pytest

from catalog.models import Song
from catalog.selectors import artists as artists_selectors
from tests.catalog.builders import song_row, upsert
from tests.factories import ArtistFactory, RatingFactory, SongArtistFactory, SongFactory

pytestmark = pytest.mark.django_db

ARTIST_FIELDS = {"id", "name", "genres", "song_count"}


def credit(artist, *songs):
    for song in songs:
        SongArtistFactory(song=song, artist=artist)


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [artist["name"] for artist in response.json()["results"]]


def test_list_search_substring_first_then_prefix(api_client):
    ArtistFactory(name="Ed Sheeran")
    ArtistFactory(name="Sheena Easton")
    ArtistFactory(name="Sia")

    everyone = api_client.get("/api/artists/")

    assert set(everyone.json()) == {"count", "next", "previous", "results"}
    assert everyone.json()["count"] == 3
    assert set(everyone.json()["results"][0]) == ARTIST_FIELDS
    assert names(everyone) == ["Ed Sheeran", "Sheena Easton", "Sia"]
    # The name starting with the query comes before the one containing it.
    assert names(api_client.get("/api/artists/?search=shee")) == ["Sheena Easton", "Ed Sheeran"]
    assert names(api_client.get("/api/artists/?search=si")) == ["Sia"]


@pytest.mark.parametrize(
    ("query", "expected"), [("sheran", "Ed Sheeran"), ("lippa", "Dua Lipa"), ("drakke", "Drake")]
)
def test_search_tolerates_typos(api_client, query, expected):
    for name in ("Ed Sheeran", "Beyoncé", "Drake", "Dua Lipa", "Queen"):
        ArtistFactory(name=name)

    assert names(api_client.get("/api/artists/", {"search": query}))[:1] == [expected]


def test_a_term_some_name_starts_with_is_still_near_the_name_meant(api_client):
    """ "taylr" is taken as typed (Taylr Renee starts with it), so the corrected "taylr
    swift" is no name's part: the names closest to it come first."""
    for name in ("Taylr Renee", "Taylor Swift", "Queen"):
        ArtistFactory(name=name)

    assert names(api_client.get("/api/artists/", {"search": "taylr swft"}))[:1] == ["Taylor Swift"]


def test_a_text_longer_than_a_name_is_not_compared_with_every_name(api_client, monkeypatch):
    # No name is that long; comparing it with every name's words took most of a second.
    ArtistFactory(name="Ed Sheeran")
    compared = []
    real = artists_selectors.artist_search_corrected
    monkeypatch.setattr(
        artists_selectors, "artist_search_corrected", lambda *args: compared.append(args[1]) or real(*args)
    )

    def found(query: str) -> list[str]:
        return names(api_client.get("/api/artists/", {"search": query}))

    assert found("ed sheran") == ["Ed Sheeran"]
    assert found("ed sheran and some other words of no name") == []
    assert compared == ["ed sheran"]


@pytest.mark.parametrize("search", ["%_\\\x01" + "y" * 5000, "%", "!!!", "zzzzqqqq"])
def test_hostile_or_hopeless_search_finds_nothing_without_error(api_client, search):
    ArtistFactory(name="Sia")
    response = api_client.get("/api/artists/", {"search": search})
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_genre_filter_and_derived_genres(api_client):
    rapper, crooner, silent = (
        ArtistFactory(name="Rapper"),
        ArtistFactory(name="Crooner"),
        ArtistFactory(name="Silent"),
    )
    credit(
        rapper,
        SongFactory(genres=["hip hop"]),
        SongFactory(genres=["hip hop", "pop"]),
        SongFactory(genres=["pop"]),
    )
    credit(rapper, SongFactory(genres=["hip hop"]))
    credit(crooner, SongFactory(genres=["jazz"]))

    listed = {a["name"]: a for a in api_client.get("/api/artists/").json()["results"]}

    # Most of its songs first, then by name; an artist without songs has none.
    assert listed["Rapper"]["genres"] == ["hip hop", "pop"]
    assert listed["Rapper"]["song_count"] == 4
    assert listed["Crooner"]["genres"] == ["jazz"]
    assert (listed["Silent"]["genres"], listed["Silent"]["song_count"]) == ([], 0)
    assert names(api_client.get("/api/artists/?genre=HIP%20%20Hop")) == ["Rapper"]
    assert names(api_client.get("/api/artists/?genre=jazz&search=croon")) == ["Crooner"]
    assert names(api_client.get("/api/artists/?genre=metal")) == []
    assert names(api_client.get("/api/artists/?genre=hip-hop")) == ["Rapper"]
    assert silent.id not in {a["id"] for a in api_client.get("/api/artists/?genre=pop").json()["results"]}


def test_detail_has_genres_song_count_and_top_songs_by_popularity_then_rating(api_client):
    artist = ArtistFactory(name="Taylor Swift")
    unknown = SongFactory(title="Unknown popularity", popularity=None, genres=["country"])
    hit = SongFactory(title="Hit", popularity=90, genres=["pop"])
    tie_better = SongFactory(title="Tie, better rated", popularity=60, genres=["pop"])
    tie_worse = SongFactory(title="Tie, worse rated", popularity=60, genres=["pop"])
    credit(artist, unknown, hit, tie_better, tie_worse)
    Song.objects.filter(pk=tie_better.pk).update(rating_score=4.5)
    Song.objects.filter(pk=tie_worse.pk).update(rating_score=2.5)
    SongFactory(title="Someone else's", popularity=100)

    response = api_client.get(f"/api/artists/{artist.id}/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "name", "genres", "song_count", "top_songs"}
    assert (body["id"], body["name"], body["genres"], body["song_count"]) == (
        artist.id,
        "Taylor Swift",
        ["pop", "country"],
        4,
    )
    assert [s["title"] for s in body["top_songs"]] == [
        "Hit",
        "Tie, better rated",
        "Tie, worse rated",
        "Unknown popularity",
    ]
    assert body["top_songs"][0]["artists"] == [{"id": artist.id, "name": "Taylor Swift"}]
    assert body["top_songs"][0]["genres"] == ["pop"]


def test_detail_top_songs_are_bounded_and_carry_my_rating(make_auth_client):
    artist = ArtistFactory()
    songs = [SongFactory(popularity=i) for i in range(15)]
    credit(artist, *songs)
    client = make_auth_client()
    RatingFactory(user=client.user, song=songs[-1], score=5)

    body = client.get(f"/api/artists/{artist.id}/").json()

    assert body["song_count"] == 15
    assert [s["popularity"] for s in body["top_songs"]] == list(range(14, 4, -1))
    assert body["top_songs"][0]["my_rating"] == 5
    assert body["top_songs"][1]["my_rating"] is None


def test_unknown_or_malformed_artist_is_json_404(api_client):
    for path in ("/api/artists/999999/", "/api/artists/abc/", "/api/artists/99999999999999999999999/"):
        response = api_client.get(path)
        assert response.status_code == 404, path
        assert "detail" in response.json()


def test_list_reads_a_fixed_number_of_queries(api_client, django_assert_num_queries):
    for i in range(12):
        credit(
            ArtistFactory(name=f"Artist {i:02d}"), SongFactory(genres=["pop"]), SongFactory(genres=[f"g{i}"])
        )

    # The count, the page, then song counts and genres for the whole page.
    with django_assert_num_queries(4):
        response = api_client.get("/api/artists/?page_size=12")
    # The genre the text names, then its artists, read whole to be sorted: the count comes
    # with the page.
    with django_assert_num_queries(4):
        in_genre = api_client.get("/api/artists/?page_size=12&genre=pop")

    assert [len(a["genres"]) for a in response.json()["results"]] == [2] * 12
    assert in_genre.json()["count"] == 12 and in_genre.json()["results"] == response.json()["results"]


def test_a_genres_artists_are_paged_to_their_end_by_an_exact_count(api_client):
    pop = [ArtistFactory(name=f"Pop {i:02d}") for i in range(25)]
    for artist in pop:
        credit(artist, SongFactory(genres=["pop"]))
    credit(ArtistFactory(name="Pop elsewhere"), SongFactory(genres=["rock"]))

    def page(query: str) -> tuple[int, dict]:
        response = api_client.get(f"/api/artists/?genre=pop&page_size=10&{query}")
        return response.status_code, response.json()

    first, last = page("page=1")[1], page("page=3")[1]
    assert first["count"] == last["count"] == 25
    assert [a["name"] for a in first["results"]] == [f"Pop {i:02d}" for i in range(10)]
    assert [a["name"] for a in last["results"]] == [f"Pop {i:02d}" for i in range(20, 25)]
    assert page("page=last")[1]["results"] == last["results"]
    # A search within the genre; a name outside it is not found, not even as a correction.
    assert page("search=pop 1")[1]["count"] == 10
    assert [a["name"] for a in page("search=Pop 0")[1]["results"]] == [f"Pop 0{i}" for i in range(10)]
    assert page("search=elsewhere")[1]["count"] == 0
    for query in ("page=4", "page=99999999999999999999", "page=2&genre=jazz", "page=2&search=pop 2"):
        status, body = page(query)
        assert status == 404 and "detail" in body, query


@pytest.mark.postgres
def test_a_genre_with_more_artists_than_the_bounded_count_lists_them_all(api_client):
    """Past 1,000 artists a count is the planner's estimate, which for a genre's artists (an
    array of ids from a subquery) is no count at all: the last pages would be refused."""
    from django.db import connection

    upsert([song_row(i, artists=[f"Artist {i:04d}"], genres=["pop"]) for i in range(1_040)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    for page in ("52", "last"):
        response = api_client.get(f"/api/artists/?genre=pop&page={page}")

        assert response.status_code == 200, response.content
        assert response.json()["count"] == 1_040 and response["X-Total-Count-Exact"] == "true"
        assert names(response) == [f"Artist {i:04d}" for i in range(1_020, 1_040)]


def test_page_size_is_capped_at_100(api_client):
    ArtistFactory.create_batch(105)

    default = api_client.get("/api/artists/").json()
    big = api_client.get("/api/artists/?page_size=500").json()

    assert default["count"] == big["count"] == 105
    assert len(default["results"]) == 20
    assert len(big["results"]) == 100
