"""GET /api/songs/ and /api/songs/{id}/: shape, filters, ordering, pagination, cache, throttle."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from catalog import list_cache
from catalog.models import Song
from tests.catalog.builders import song_row, upsert
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


def titles(response) -> list[str]:
    return [song["title"] for song in response.json()["results"]]


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


@pytest.mark.parametrize("songs", [3, 15])
def test_list_reads_a_fixed_number_of_queries_whatever_the_page(
    make_auth_client, django_assert_num_queries, songs
):
    user = UserFactory()
    for i in range(songs):
        song = SongFactory(genres=["pop", f"genre {i}"])
        RatingFactory(user=user, song=song, score=3)
        for position in range(3):
            SongArtistFactory(song=song, artist=ArtistFactory(name=f"A{i}-{position}"), position=position)
    client = make_auth_client(user)

    # The user, the count, the page, then credits and genres, and the caller's ratings.
    with django_assert_num_queries(5):
        response = client.get("/api/songs/?page_size=20")

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == songs
    assert all(len(song["artists"]) == 3 and len(song["genres"]) == 2 for song in results)
    assert all(song["my_rating"] == 3 for song in results)
    assert [a["name"][-1] for a in results[0]["artists"]] == ["0", "1", "2"]


def test_list_is_paginated_and_page_size_is_capped_at_100(api_client):
    SongFactory.create_batch(105)

    default = api_client.get("/api/songs/")
    big = api_client.get("/api/songs/?page_size=500")

    assert set(default.json()) == {"count", "next", "previous", "results"}
    assert default.json()["count"] == 105
    assert len(default.json()["results"]) == 20
    assert len(big.json()["results"]) == 100
    assert default["X-Total-Count-Exact"] == "true"


def test_range_and_exact_filters(api_client):
    low = SongFactory(energy=0.1, danceability=0.2, tempo=90, duration_ms=100_000, key=1, mode=0)
    mid = SongFactory(energy=0.5, danceability=0.5, tempo=120, duration_ms=200_000, key=5, mode=1)
    high = SongFactory(
        energy=0.9, danceability=0.9, tempo=170, duration_ms=300_000, key=5, mode=1, time_signature=3
    )

    def ids(query: str) -> set[int]:
        response = api_client.get(f"/api/songs/?{query}")
        assert response.status_code == 200, response.json()
        return {song["id"] for song in response.json()["results"]}

    assert ids("min_energy=0.5") == {mid.id, high.id}
    assert ids("max_energy=0.5") == {low.id, mid.id}
    assert ids("min_energy=0.2&max_energy=0.8") == {mid.id}
    assert ids("min_tempo=100&max_tempo=150") == {mid.id}
    assert ids("min_duration_ms=150000") == {mid.id, high.id}
    assert ids("max_danceability=0.3") == {low.id}
    assert ids("key=5") == {mid.id, high.id}
    assert ids("mode=0") == {low.id}
    assert ids("time_signature=3") == {high.id}
    assert ids(f"spotify_id={mid.spotify_id}") == {mid.id}
    assert ids("key=5&min_energy=0.8") == {high.id}


def test_artist_genre_and_explicit_filters(api_client):
    singer, other = ArtistFactory(name="Singer"), ArtistFactory(name="Other")
    duet = SongFactory(title="Duet", explicit=True, genres=["hip hop", "pop"])
    solo = SongFactory(title="Solo", explicit=False, genres=["pop"])
    unsaid = SongFactory(title="Unsaid", explicit=None, genres=["rock"])
    SongArtistFactory(song=duet, artist=singer, position=0)
    SongArtistFactory(song=duet, artist=other, position=1)
    SongArtistFactory(song=solo, artist=singer)
    SongArtistFactory(song=unsaid, artist=other)

    def found(**params) -> list[str]:
        response = api_client.get("/api/songs/", {**params, "ordering": "title"})
        assert response.status_code == 200, response.json()
        return titles(response)

    assert found(artist=singer.id) == ["Duet", "Solo"]
    assert found(artist=other.id) == ["Duet", "Unsaid"]
    # Any spelling of a genre's name finds it: the one normalisation rule (name_key).
    assert found(genre="pop") == ["Duet", "Solo"]
    assert found(genre="  Hip   HOP ") == ["Duet"]
    assert found(genre="jazz") == []
    assert found(genre="pop", artist=other.id) == ["Duet"]
    # A song whose source did not say whether it is explicit matches neither value.
    assert found(explicit="true") == ["Duet"]
    assert found(explicit="false") == ["Solo"]
    assert found(explicit="FALSE", genre="pop") == ["Solo"]
    assert found(artist=999_999) == []


def test_unknown_features_never_match_a_feature_filter(api_client):
    SongFactory(title="Known", popularity=50, speechiness=0.5)
    SongFactory(title="Unknown", popularity=None, speechiness=None)

    for query in (
        "min_popularity=0",
        "max_popularity=100",
        "min_popularity=0&max_popularity=100",
        "min_speechiness=0",
        "max_speechiness=1",
    ):
        assert titles(api_client.get(f"/api/songs/?{query}")) == ["Known"], query
    assert titles(api_client.get("/api/songs/?min_popularity=51")) == []
    assert titles(api_client.get("/api/songs/?max_speechiness=0.4")) == []


@pytest.mark.parametrize("narrowed", ["", "&genre=pop", "&artist={artist}"])
def test_unknown_popularity_comes_last_in_both_directions(api_client, narrowed):
    # Narrowed to a genre's or an artist's songs, the list is sorted by other expressions
    # (catalog.selectors.songs.song_results, `within_set`): the same order must come out.
    artist = ArtistFactory()
    for title, popularity in (("Unknown", None), ("Hit", 90), ("Flop", 5), ("Tie", 5)):
        SongArtistFactory(song=SongFactory(title=title, popularity=popularity, genres=["pop"]), artist=artist)
    SongFactory(title="Elsewhere", popularity=50)
    narrowed = narrowed.format(artist=artist.pk)

    def listed(query: str) -> list[str]:
        return [t for t in titles(api_client.get(f"/api/songs/?{query}{narrowed}")) if t != "Elsewhere"]

    assert listed("ordering=-popularity") == ["Hit", "Flop", "Tie", "Unknown"]
    assert listed("ordering=popularity") == ["Flop", "Tie", "Hit", "Unknown"]
    assert listed("ordering=-popularity,title") == ["Hit", "Flop", "Tie", "Unknown"]
    assert listed("ordering=title") == ["Flop", "Hit", "Tie", "Unknown"]
    assert listed("") == ["Unknown", "Hit", "Flop", "Tie"]
    assert ("Elsewhere" in titles(api_client.get(f"/api/songs/?ordering=-popularity{narrowed}"))) == (
        not narrowed
    )


def test_a_genre_page_and_its_count_are_one_statement(api_client, django_assert_num_queries):
    # A genre's songs are read whole to be sorted (song_results' `within_set`): the count
    # comes with the page, then the page's credits and genres.
    SongFactory.create_batch(3, genres=["pop"])
    SongFactory(genres=["rock"])

    with django_assert_num_queries(2):
        response = api_client.get("/api/songs/?genre=pop&ordering=-popularity")

    assert response.status_code == 200
    assert response.json()["count"] == 3 and len(response.json()["results"]) == 3
    assert response["X-Total-Count-Exact"] == "true"


def test_a_genre_is_paged_to_its_end_by_an_exact_count(api_client):
    pop = [SongFactory(title=f"Pop {i:02d}", genres=["pop"]).pk for i in range(25)]
    SongFactory(title="Pop elsewhere", genres=["rock"])

    def page(query: str) -> tuple[int, dict]:
        response = api_client.get(f"/api/songs/?genre=pop&page_size=10&{query}")
        return response.status_code, response.json()

    first, last = page("page=1")[1], page("page=3")[1]
    assert first["count"] == last["count"] == 25
    assert [song["id"] for song in first["results"]] == pop[:10]
    assert [song["id"] for song in last["results"]] == pop[20:] and last["next"] is None
    assert page("page=last")[1]["results"] == last["results"]
    searched = page("page=2&search=pop&ordering=-title")[1]
    assert searched["count"] == 25
    assert [song["title"] for song in searched["results"]] == [f"Pop {i:02d}" for i in range(14, 4, -1)]
    for query in ("page=4", "page=0", "page=99999999999999999999", "page=abc", "page=2&genre=jazz"):
        status, body = page(query)
        assert status == 404 and "detail" in body, query


def test_pages_past_a_count_estimate_that_falls_short_are_served(api_client, monkeypatch):
    """An estimate (X-Total-Count-Exact: false) can be below the real count (the planner's
    guess of a trigram match): no page is cut at it, the pages past it are served while
    they have songs, and a full page links to the next."""
    monkeypatch.setattr("catalog.selectors.songs.queryset_count_bounded", lambda queryset: (25, False))
    ids = [SongFactory().pk for _ in range(42)]

    def page(number: object) -> tuple[int, dict]:
        response = api_client.get(f"/api/songs/?page_size=10&page={number}")
        assert response.status_code != 200 or response["X-Total-Count-Exact"] == "false"
        return response.status_code, response.json()

    status, first = page(1)
    assert status == 200 and first["count"] == 25
    status, third = page(3)  # songs 21-30: the estimate would cut it at the 25th
    assert status == 200 and [song["id"] for song in third["results"]] == ids[20:30]
    assert third["count"] == 30 and "page=4" in third["next"]  # at least the songs seen
    status, fifth = page(5)
    assert status == 200 and [song["id"] for song in fifth["results"]] == ids[40:] and fifth["next"] is None
    assert fifth["count"] == 42
    for number in (6, 0, 99999999999999999999, "abc"):
        assert page(number)[0] == 404, number
    # The browsable API's page links count the pages served past the estimate too.
    browsed = api_client.get("/api/songs/?page_size=10&page=5", HTTP_ACCEPT="text/html")
    assert browsed.status_code == 200 and "page=4" in browsed.content.decode()


@pytest.mark.postgres
def test_a_genre_larger_than_the_planner_expects_lists_every_song(api_client):
    """The planner does not know which genre a name is, so it expects each to hold the
    average share: 1,060 songs / 21 genres here. A count of a genre of 1,040 songs taken
    from that estimate (or from the bounded count's 1,001) would refuse its last pages."""
    from django.db import connection

    upsert(
        [song_row(i, genres=["pop"]) for i in range(1_040)]
        + [song_row(1_040 + i, genres=[f"genre {i % 20}"]) for i in range(20)]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    for page in ("52", "last"):  # "last" is counted before its number is known
        response = api_client.get(f"/api/songs/?genre=pop&page={page}")

        assert response.status_code == 200, response.content
        assert response.json()["count"] == 1_040 and response["X-Total-Count-Exact"] == "true"
        assert [song["title"] for song in response.json()["results"]] == [
            f"Song number {i}" for i in range(1_020, 1_040)
        ]


def test_browsable_api_filter_form_lists_every_filter_whatever_the_request_names(api_client):
    # The list view applies only the filters a request names; the filter form must not.
    response = api_client.get("/api/songs/", {"min_energy": "0.5"}, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("min_energy", "max_tempo", "key", "search", "ordering"):
        assert f'name="{name}"' in page, name


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("min_energy=abc", "min_energy"),
        ("max_tempo=NaN", "max_tempo"),
        ("min_loudness=Infinity", "min_loudness"),
        ("min_duration_ms=1e400", "min_duration_ms"),
        ("max_duration_ms=99999999999999999999999", "max_duration_ms"),
        ("min_valence=1e400", "min_valence"),
        ("key=99", "key"),
        ("key=1.5", "key"),
        ("mode=2", "mode"),
        ("time_signature=-3", "time_signature"),
        ("ordering=password", "ordering"),
        ("ordering=-nope,title", "ordering"),
        ("ordering=,", "ordering"),
        ("ordering=title,", "ordering"),
        ("ordering=title,,-popularity", "ordering"),
        ("title=" + "x" * 5000, "title"),
        ("title=a%00b", "title"),
        ("spotify_id=a%00b", "spotify_id"),
        ("explicit=maybe", "explicit"),
        ("explicit=yes", "explicit"),
        ("artist=abc", "artist"),
        ("artist=0", "artist"),
        ("artist=99999999999999999999999", "artist"),
        ("min_popularity=50.5", "min_popularity"),
        ("max_popularity=1e9", "max_popularity"),
        ("min_speechiness=NaN", "min_speechiness"),
        ("genre=" + "g" * 101, "genre"),
        ("genre=a%00b", "genre"),
    ],
)
def test_bad_filter_values_are_400_naming_the_parameter(api_client, query, field):
    SongFactory()
    response = api_client.get(f"/api/songs/?{query}")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    "field",
    [
        "title",
        "average_rating",
        "total_ratings",
        "rating_score",
        "tempo",
        "energy",
        "danceability",
        "valence",
        "duration_ms",
        "popularity",
        "loudness",
    ],
)
def test_ordering_by_each_field_both_ways_with_id_tie_break(api_client, field):
    values = {
        "title": ["b", "a", "b", "c"],
        "average_rating": [2.0, 1.0, 2.0, 3.0],
        "total_ratings": [2, 1, 2, 3],
        "rating_score": [2.0, 1.0, 2.0, 3.0],
        "tempo": [120.0, 90.0, 120.0, 150.0],
        "energy": [0.5, 0.1, 0.5, 0.9],
        "danceability": [0.5, 0.1, 0.5, 0.9],
        "valence": [0.5, 0.1, 0.5, 0.9],
        "duration_ms": [2000, 1000, 2000, 3000],
        "popularity": [50, 10, 50, 90],
        "loudness": [-8.0, -20.0, -8.0, -3.0],
    }[field]
    songs = [SongFactory() for _ in values]
    # Aggregates are not editable through the model's save path in the API: set them directly.
    for song, value in zip(songs, values, strict=True):
        Song.objects.filter(pk=song.pk).update(**{field: value})
    a, b, c, d = (s.id for s in songs)

    ascending = api_client.get(f"/api/songs/?ordering={field}")
    descending = api_client.get(f"/api/songs/?ordering=-{field}")

    assert [s["id"] for s in ascending.json()["results"]] == [b, a, c, d]
    assert [s["id"] for s in descending.json()["results"]] == [d, a, c, b]


def test_title_order_ignores_case(api_client):
    for title in ("banana", "Apple", "cherry", "apple pie", "Banana Split"):
        SongFactory(title=title)

    in_order = ["Apple", "apple pie", "banana", "Banana Split", "cherry"]
    assert titles(api_client.get("/api/songs/?ordering=title")) == in_order
    assert titles(api_client.get("/api/songs/?ordering=-title")) == in_order[::-1]
    assert titles(api_client.get("/api/songs/?search=ana&ordering=title")) == ["banana", "Banana Split"]


def test_title_filter_is_case_insensitive_substring_with_wildcards_escaped(api_client):
    SongFactory(title="Bleeding Love")
    SongFactory(title="100% Pure Love")
    SongFactory(title="Under_score")
    SongFactory(title="Back\\slash")

    assert titles(api_client.get("/api/songs/?title=LOVE&ordering=title")) == [
        "100% Pure Love",
        "Bleeding Love",
    ]
    assert titles(api_client.get("/api/songs/?title=%25")) == ["100% Pure Love"]
    assert titles(api_client.get("/api/songs/?title=_")) == ["Under_score"]
    assert titles(api_client.get("/api/songs/?title=%5C")) == ["Back\\slash"]


@pytest.mark.parametrize(
    "search",
    [
        "%",
        "_",
        "\\",
        "%%__\\\\",
        "x" * 5000,
        "🎵🎶",
        "!!!...???",
        "'; DROP TABLE catalog_song; --",
        "a\x00b",
        " ",
    ],
)
def test_hostile_search_input_is_never_a_server_error(api_client, search):
    SongFactory(title="Plain Song")
    response = api_client.get("/api/songs/", {"search": search})
    assert response.status_code in (200, 400)
    assert Song.objects.count() == 1


def test_hostile_search_matches_nothing_instead_of_everything(api_client):
    SongFactory(title="Plain Song")
    for search in ("%", "_", "!!!"):
        assert api_client.get("/api/songs/", {"search": search}).json()["count"] == 0


def test_a_search_empty_once_normalized_is_no_search(api_client):
    SongFactory(title="Plain Song")
    SongFactory(title="Other Song")
    for search in ("\x00", " ", "\t\x00 \x1f"):
        body = api_client.get("/api/songs/", {"search": search}).json()
        assert body["count"] == 2, repr(search)


def test_unknown_query_parameters_are_ignored(api_client):
    SongFactory()
    assert api_client.get("/api/songs/?colour=blue").json()["count"] == 1


def test_anonymous_repeat_is_served_from_cache(api_client):
    song = SongFactory(title="Cached Song")

    first = api_client.get("/api/songs/?search=cached&page_size=5")
    Song.objects.filter(pk=song.pk).update(title="Renamed")
    second = api_client.get("/api/songs/?search=cached&page_size=5")
    # The same query with its parameters in another order and the search in other case.
    third = api_client.get("/api/songs/?page_size=5&search=%20CACHED")
    # A different query is not served from the entry.
    other = api_client.get("/api/songs/?search=cached&page_size=6")

    assert first.json()["count"] == 1
    assert "X-Cache" not in first
    assert second["X-Cache"] == third["X-Cache"] == "hit"
    assert second.json() == third.json() == first.json()
    assert "X-Cache" not in other
    assert other.json()["count"] == 0


def test_a_cache_hit_costs_no_query_and_keeps_the_response_headers(api_client, django_assert_num_queries):
    SongFactory(title="Cached Song")
    first = api_client.get("/api/songs/?search=cached")

    with django_assert_num_queries(0):
        hit = api_client.get("/api/songs/?search=cached")

    assert hit["X-Cache"] == "hit"
    assert hit.json() == first.json()
    for header in ("Content-Type", "X-Total-Count-Exact", "X-Frame-Options"):
        assert hit[header] == first[header]


def test_a_process_keeps_its_copy_of_a_hit_until_the_shared_entry_expires(api_client, monkeypatch):
    SongFactory(title="Cached Song")
    api_client.get("/api/songs/?search=cached")
    api_client.get("/api/songs/?search=cached")  # a hit: this process now holds a copy
    cache.clear()  # the shared entry is gone

    from_memory = api_client.get("/api/songs/?search=cached")
    started = time.time()
    monkeypatch.setattr(list_cache, "_now", lambda: started + list_cache.LIST_CACHE_SECONDS + 1)
    after_expiry = api_client.get("/api/songs/?search=cached")

    assert from_memory["X-Cache"] == "hit"
    assert "X-Cache" not in after_expiry


def test_the_cache_is_per_host_because_pagination_links_are_absolute(api_client):
    SongFactory.create_batch(3, title="Paged Song")
    api_client.get("/api/songs/?search=paged&page_size=1", HTTP_HOST="localhost")

    other_host = api_client.get("/api/songs/?search=paged&page_size=1", HTTP_HOST="127.0.0.1")

    assert "X-Cache" not in other_host
    assert other_host.json()["next"].startswith("http://127.0.0.1/")


def test_authenticated_requests_are_never_served_from_the_anonymous_cache(api_client, auth_client):
    song = SongFactory(title="Cached Song")
    api_client.get("/api/songs/?search=cached")
    Song.objects.filter(pk=song.pk).update(title="Renamed")

    response = auth_client.get("/api/songs/?search=cached")

    assert "X-Cache" not in response
    assert response.json()["count"] == 0


def test_cached_repeats_do_not_count_against_the_anonymous_throttle(api_client, monkeypatch):
    """A repeat answered from the cache costs no database query, so it does not spend the
    throttle, which protects the database: only requests that reach the view do."""
    monkeypatch.setattr(AnonRateThrottle, "get_rate", lambda self: "3/min")
    SongFactory(title="Popular Song")

    repeats = [api_client.get("/api/songs/?search=popular") for _ in range(10)]
    # Three distinct lists reach the view: the first (above) and two more.
    distinct = [api_client.get("/api/songs/", {"search": "popular", "page_size": n}) for n in (5, 6)]
    refused = api_client.get("/api/songs/?search=popular&page_size=7")
    still_cached = api_client.get("/api/songs/?search=popular")

    assert [r.status_code for r in repeats] == [200] * 10
    assert all(r["X-Cache"] == "hit" for r in repeats[1:])
    assert [r.status_code for r in distinct] == [200, 200]
    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert still_cached.status_code == 200 and still_cached["X-Cache"] == "hit"


def test_authenticated_lists_are_never_cached_so_each_counts(auth_client, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "get_rate", lambda self: "2/min")
    SongFactory(title="Popular Song")

    statuses = [auth_client.get("/api/songs/?search=popular").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_anonymous_requests_are_counted_in_the_anonymous_scope_alone(api_client, monkeypatch):
    """The `user` rate is the signed-in users': an anonymous caller spends only its own."""
    monkeypatch.setattr(UserRateThrottle, "get_rate", lambda self: "2/min")
    monkeypatch.setattr(AnonRateThrottle, "get_rate", lambda self: "4/min")

    statuses = [api_client.get("/api/songs/", {"page_size": n}).status_code for n in range(1, 6)]

    assert statuses == [200, 200, 200, 200, 429]


def test_error_responses_are_not_cached(api_client):
    first = api_client.get("/api/songs/?key=99")
    second = api_client.get("/api/songs/?key=99")
    assert first.status_code == second.status_code == 400
    assert "X-Cache" not in second


@pytest.mark.redis
def test_cache_degrades_silently_when_redis_is_down(api_client):
    SongFactory(title="Still Served")
    dead = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            # Nothing listens on port 1: every cache call fails at once.
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    # Django swaps its cache connections when CACHES changes; the throttle then degrades too.
    with override_settings(CACHES=dead):
        first = api_client.get("/api/songs/?search=served")
        second = api_client.get("/api/songs/?search=served")

    assert first.status_code == second.status_code == 200
    assert second.json()["count"] == 1
    assert "X-Cache" not in second


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
