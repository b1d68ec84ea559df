"""The count of a search and the pages it links: exact only when every match is listed,
never more than the pages list, and no page links on to an empty one."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.models import Song
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory

pytestmark = pytest.mark.django_db


def walk(api_client, **params) -> tuple[list[int], set[tuple[int, str]]]:
    """Every page of a search by following `next` from the first: the ids listed, and the
    (count, X-Total-Count-Exact) pairs the pages gave. Each page linked to has songs."""
    ids: list[int] = []
    counts = set()
    page = 1
    while True:
        response = api_client.get("/api/songs/", {**params, "page": page})
        assert response.status_code == 200, (page, response.content)
        body = response.json()
        assert body["results"], f"page {page} is empty"
        ids += [song["id"] for song in body["results"]]
        counts.add((body["count"], response["X-Total-Count-Exact"]))
        if body["next"] is None:
            return ids, counts
        page += 1


def matches(api_client, query: str) -> int:
    """How many songs match `query`: a search with an ordering sorts every match."""
    response = api_client.get("/api/songs/", {"search": query, "ordering": "title"})
    assert response["X-Total-Count-Exact"] == "true"
    return response.json()["count"]


def credit_twice(title: str, first, second):
    song = SongFactory(title=title)
    SongArtistFactory(song=song, artist=first, position=0)
    SongArtistFactory(song=song, artist=second, position=1)
    return song


@pytest.mark.postgres
def test_a_way_cut_by_songs_credited_twice_never_gives_an_exact_count(api_client, monkeypatch):
    """Each way of finding matches reads a bounded number of artists' credits (here 2): two
    credits of one song credited to two of the artists read one song, and the ways looked
    whole. The count must not say exact then, nor more than the pages list."""
    monkeypatch.setattr("catalog.selectors.search_ranking.RANK_AT_MOST", 2)
    monkeypatch.setattr("catalog.selectors.search_ranking.WHOLE_AT_MOST", 2)
    wolfgang, ensemble = ArtistFactory(name="Wolfgang Mozart"), ArtistFactory(name="Mozart Ensemble")
    for i in range(5):
        credit_twice(f"Sonata {i}", wolfgang, ensemble)

    ids, counts = walk(api_client, search="mozart", page_size=2)

    assert matches(api_client, "mozart") == 5
    assert len(ids) == len(set(ids)) < 5
    assert counts == {(len(ids), "false")}


@pytest.mark.postgres
def test_a_small_set_of_matches_is_ranked_whole_though_a_way_met_its_bound(api_client, monkeypatch):
    """Every match of a search whose ways, read a little further than their usual bound,
    find them all (no more than WHOLE_AT_MOST) is listed, and counted exactly: songs of an
    artist beyond the usual bound are not left out."""
    monkeypatch.setattr("catalog.selectors.search_ranking.RANK_AT_MOST", 2)
    wolfgang, ensemble = ArtistFactory(name="Wolfgang Mozart"), ArtistFactory(name="Mozart Ensemble")
    songs = [credit_twice(f"Sonata {i}", wolfgang, ensemble).pk for i in range(5)]
    songs.append(SongFactory(title="Mozart Forever").pk)
    songs.append(SongFactory(title="Variations on Mozart").pk)
    SongFactory(title="Something else")

    ids, counts = walk(api_client, search="mozart", page_size=2)

    assert sorted(ids) == sorted(songs)
    assert counts == {(7, "true")}
    assert matches(api_client, "mozart") == 7


@pytest.mark.postgres
@pytest.mark.parametrize("small_result", [300, -1])
def test_many_matches_count_what_the_pages_list_and_link_no_empty_page(api_client, monkeypatch, small_result):
    """More matches than are ranked (each way bounded to 2 songs, none read further): the
    pages list the titles starting with the query, then the best of the rest the ways
    read, and the count is never more than those (the title-word list expects 9 songs
    here), nor exact; the last page links nowhere. Ranked in one statement (300), or tier
    by tier (-1)."""
    monkeypatch.setattr("catalog.selectors.search_ranking.RANK_AT_MOST", 2)
    monkeypatch.setattr("catalog.selectors.search_ranking.WHOLE_AT_MOST", 2)
    monkeypatch.setattr("catalog.selectors.search_ranking.SMALL_RESULT", small_result)
    for title in ("Love", "Love Me", "Lovely Day", "My Love", "Your Love", "Our Love", "Their Love"):
        SongFactory(title=title)
    for title in ("Glove", "Beloved"):
        SongFactory(title=title)
    with connection.cursor() as cursor:
        # The catalog's size, without which the title-word list estimates nothing.
        cursor.execute("ANALYZE catalog_song")

    ids, counts = walk(api_client, search="love", page_size=2)

    assert matches(api_client, "love") == 9
    # 3 titles start with "love", then at most 2 of the rest (tier by tier, read past those 3).
    assert len(ids) == len(set(ids)) and 3 <= len(ids) <= 5 and (small_result > 0 or len(ids) == 5)
    assert max(count for count, _ in counts) <= len(ids)
    assert {exact for _, exact in counts} == {"false"}
    assert api_client.get("/api/songs/", {"search": "love", "page_size": 2, "page": 4}).status_code == 404


@pytest.mark.parametrize("ordering", [None, "title", "-title"])
def test_every_match_is_listed_past_the_python_rankings_queryset(api_client, monkeypatch, ordering):
    """The SQLite path's queryset in relevance order holds at most PYTHON_MAX_RESULTS songs
    (3 here), for callers that need a queryset; a search's pages, by relevance or in an
    ordering, list every match and count them exactly, on either database."""
    monkeypatch.setattr("catalog.selectors.search.PYTHON_MAX_RESULTS", 3)
    titles = ["Love Me", "love you", "My Love", "Lovely", "Glove"]
    for title in titles:
        SongFactory(title=title)
    SongFactory(title="Other")

    params = {"search": "love", "page_size": 2} | ({"ordering": ordering} if ordering else {})
    ids, counts = walk(api_client, **params)

    songs = dict(Song.objects.values_list("id", "title"))
    listed = [songs[song_id] for song_id in ids]
    assert sorted(listed) == sorted(titles)
    assert counts == {(5, "true")}
    if ordering:
        in_order = sorted(titles, key=str.lower)
        assert listed == (in_order if ordering == "title" else in_order[::-1])
