"""A search lists the same songs whatever its order: `ordering=` only sorts what the search
in relevance order finds (its terms in one place before split across artists' names, the
query read again, any term), on SQLite and on PostgreSQL, whether the relevance ranks every
match in one statement or pages through its tiers (`SMALL_RESULT`)."""

from __future__ import annotations

import pytest

from catalog.models import Artist
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory

pytestmark = pytest.mark.django_db

ORDERINGS = [None, "title", "-title", "-popularity", "tempo"]


def credited(title: str, *artists: str, popularity: int = 50) -> None:
    song = SongFactory(title=title, popularity=popularity)
    for position, name in enumerate(artists):
        artist = Artist.objects.filter(name=name).first() or ArtistFactory(name=name)
        SongArtistFactory(song=song, artist=artist, position=position)


def listed(api_client, query: str, ordering: str | None) -> tuple[list[str], int, str]:
    """The titles of every song the search lists in that order, its count and whether the
    count is exact."""
    params = {"search": query, "page_size": 100, **({"ordering": ordering} if ordering else {})}
    response = api_client.get("/api/songs/", params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next"] is None
    return sorted(song["title"] for song in body["results"]), body["count"], response["X-Total-Count-Exact"]


@pytest.fixture(params=[2000, -1], ids=["ranked-at-once", "tiers"])
def relevance_paths(request, monkeypatch):
    """Either relevance path on PostgreSQL: every match ranked in one statement, or the
    titles starting with the query from their own index and the rest ranked apart."""
    monkeypatch.setattr("catalog.selectors.search_ranking.SMALL_RESULT", request.param)


@pytest.fixture
def shape_of_you(db):
    """ "Shape of You" holds both long terms in its title. Shapeshifter's songs hold "you" in
    their title and "shape" in the artist's name, a name without "you" (which another
    artist's name holds): the terms split between the title and a name, which only count
    when no song has them in one place."""
    credited("Shape of You", "Ed Sheeran", popularity=86)
    credited("Found In You", "Shapeshifter", popularity=30)
    credited("Ritual (Under Your Spell)", "Shapeshifter", popularity=20)
    credited("Underdog", "You Me At Six", popularity=40)


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_an_ordering_lists_the_songs_with_the_terms_in_one_place_only(
    api_client, shape_of_you, relevance_paths, ordering
):
    assert listed(api_client, "shape of you", ordering) == (["Shape of You"], 1, "true")


def test_terms_split_across_the_title_and_a_name_match_in_every_order_when_no_song_has_them_in_one_place(
    api_client, relevance_paths
):
    credited("Found In You", "Shapeshifter")
    credited("Underdog", "You Me At Six")
    for ordering in ORDERINGS:
        assert listed(api_client, "shape of you", ordering) == (["Found In You"], 1, "true"), ordering


@pytest.fixture
def set_you_free(db):
    """No song has "set", "you" and "fere" as typed ("fere" starts "Ferengi" only), in one
    place or split: the query is read again, "fere" also as "free", which occurs more than
    twice as often. Read so, "Set You Free" has every term in its title, and "Sunset Free"
    has them split between its title and an artist's name ("set" is in another name)."""
    credited("Set You Free", "Miles Away", popularity=60)
    credited("Sunset Free", "You Me At Six", popularity=70)
    credited("Ferengi", "Quark", popularity=10)
    credited("Free Bird", "Lynyrd Skynyrd", popularity=80)
    credited("Free Fallin'", "Tom Petty", popularity=75)
    credited("Quiet", "Sunset Band", popularity=5)


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_a_query_read_again_lists_the_same_songs_in_every_order(
    api_client, set_you_free, relevance_paths, ordering
):
    assert listed(api_client, "set you fere", ordering) == (["Set You Free"], 1, "true")


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_when_any_term_will_do_every_order_lists_the_same_songs(api_client, relevance_paths, ordering):
    credited("Never There", "Felix Jaehn")
    credited("Feel So Close - Radio Edit", "Calvin Harris")
    credited("Radio Ga Ga", "Queen")
    credited("Quiet", "Nobody")

    assert listed(api_client, "fel so close radio edit", ordering) == (
        ["Feel So Close - Radio Edit", "Never There", "Radio Ga Ga"],
        3,
        "true",
    )


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_an_ordering_within_a_genre_lists_what_relevance_lists(api_client, relevance_paths, ordering):
    """Within a set (`genre=`), whose matches are read apart (`within_set`)."""
    for title, artist in [("Shape of You", "Ed Sheeran"), ("Found In You", "Shapeshifter")]:
        song = SongFactory(title=title, genres=["pop"])
        SongArtistFactory(song=song, artist=ArtistFactory(name=artist))
    SongArtistFactory(
        song=SongFactory(title="Underdog", genres=["rock"]), artist=ArtistFactory(name="You Me")
    )
    params = {"search": "shape of you", "genre": "pop", **({"ordering": ordering} if ordering else {})}

    response = api_client.get("/api/songs/", params)

    assert [song["title"] for song in response.json()["results"]] == ["Shape of You"]
    assert response.json()["count"] == 1


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_an_ordering_reads_as_far_as_relevance_before_the_filters(api_client, monkeypatch, ordering):
    """The ways read songs before the request's filters apply: when the songs first read are
    all filtered out, every order must have read as far as relevance to decide whether a
    song has every term (bounds made small here so that a few songs reach them)."""
    for name, value in (("RANK_AT_MOST", 3), ("MIXED_AT_MOST", 3), ("WHOLE_AT_MOST", 6)):
        monkeypatch.setattr(f"catalog.selectors.search_ranking.{name}", value)
    quxxy = ArtistFactory(name="Zedd Quxxy")
    for i in range(4):
        SongArtistFactory(song=SongFactory(title=f"Rocker {i}", genres=["rock"]), artist=quxxy)
    SongArtistFactory(song=SongFactory(title="Jazzer", genres=["jazz"]), artist=quxxy)
    SongArtistFactory(
        song=SongFactory(title="Other jazz", genres=["jazz"]), artist=ArtistFactory(name="Zedd Others")
    )
    params = {"search": "zedd quxxy", "genre": "jazz", **({"ordering": ordering} if ordering else {})}

    response = api_client.get("/api/songs/", params)

    assert sorted(song["title"] for song in response.json()["results"]) == ["Jazzer"]
