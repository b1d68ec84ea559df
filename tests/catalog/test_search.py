"""`search=` ranking and typo tolerance, the same rules on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Song
from catalog.selectors.search import RankedSongSearch, song_search, song_search_ranked
from catalog.selectors.songs import IndexWalk, song_list
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory

pytestmark = pytest.mark.django_db

CATALOG = [
    "Blank Space",
    "Believer",
    "Bad Boy",
    "Bad Romance",
    "The Bad Touch",
    "Badlands",
    "Bleeding Love",
    "Love Story",
    "Lovely Day",
    "Space Oddity",
    "Shape of You",
    "Blinding Lights",
    "Thinking Out Loud",
    "Señorita",
    "東京 Night",
]


# The titles starting with "bad" come most popular first; "The Bad Touch", the most
# popular, holds the word later in its title, and comes after them.
POPULARITY = {"Bad Boy": 20, "Bad Romance": 80, "Badlands": 50, "The Bad Touch": 90}


@pytest.fixture
def catalog():
    return {
        title: SongFactory(title=title, **({"popularity": POPULARITY[title]} if title in POPULARITY else {}))
        for title in CATALOG
    }


def search(api_client, query: str, **params) -> list[str]:
    response = api_client.get("/api/songs/", {"search": query, **params})
    assert response.status_code == 200, response.json()
    return [song["title"] for song in response.json()["results"]]


def test_typos_find_the_song(api_client, catalog):
    assert search(api_client, "blnk spce")[0] == "Blank Space"
    assert search(api_client, "belever")[0] == "Believer"
    assert search(api_client, "blindng lihgts")[0] == "Blinding Lights"
    assert search(api_client, "thinkng out loud")[0] == "Thinking Out Loud"


def test_exact_then_prefix_before_word_in_the_middle(api_client, catalog):
    results = search(api_client, "bad")
    assert results[:3] == ["Bad Romance", "Badlands", "Bad Boy"]
    assert results.index("The Bad Touch") == 3
    assert len(results) == 4


def test_exact_title_comes_first(api_client, catalog):
    SongFactory(title="Believer (Remix)")
    SongFactory(title="The Believer")
    assert search(api_client, "BELIEVER") == ["Believer", "Believer (Remix)", "The Believer"]


def test_word_anywhere_in_the_title_is_found(api_client, catalog):
    results = search(api_client, "love")
    assert set(results) == {"Bleeding Love", "Love Story", "Lovely Day"}
    assert results[-1] == "Bleeding Love"


def test_every_term_must_match_when_some_song_has_them_all(api_client, catalog):
    assert search(api_client, "bad romance") == ["Bad Romance"]
    assert search(api_client, "romance bad") == ["Bad Romance"]


def test_falls_back_to_any_term_when_no_song_has_them_all(api_client, catalog):
    results = search(api_client, "oddity romance")
    assert set(results) == {"Space Oddity", "Bad Romance"}


def test_a_term_that_matches_nothing_is_left_out(api_client, catalog):
    assert set(search(api_client, "love qwxzv")) == {"Bleeding Love", "Love Story", "Lovely Day"}
    assert search(api_client, "qwxzv") == []


def test_artist_names_are_searched_too(api_client, catalog):
    song = catalog["Shape of You"]
    SongArtistFactory(song=song, artist=ArtistFactory(name="Ed Sheeran"))
    assert search(api_client, "sheeran") == ["Shape of You"]
    assert search(api_client, "SHEER") == ["Shape of You"]
    assert search(api_client, "shape sheeran") == ["Shape of You"]


def test_typos_in_artist_names_are_corrected_too(api_client, catalog):
    SongArtistFactory(song=catalog["Shape of You"], artist=ArtistFactory(name="Ed Sheeran"))
    SongArtistFactory(song=catalog["Believer"], artist=ArtistFactory(name="Imagine Dragons"))
    assert search(api_client, "sheran") == ["Shape of You"]
    assert search(api_client, "shape sheeren") == ["Shape of You"]
    assert search(api_client, "imagin dragns") == ["Believer"]
    # A word that is in neither titles nor artist names still matches nothing.
    assert search(api_client, "qwxzv") == []


def test_a_corrected_term_matches_artist_names_too(api_client, catalog):
    # "belever" is corrected to "believer", which only a title and an artist's name hold.
    SongArtistFactory(song=catalog["Space Oddity"], artist=ArtistFactory(name="The Believers"))
    assert search(api_client, "belever") == ["Believer", "Space Oddity"]
    assert search(api_client, "belever oddity") == ["Space Oddity"]


def test_one_and_two_letter_queries_are_title_prefixes(api_client, catalog):
    assert search(api_client, "b") == [
        "Bad Boy",
        "Bad Romance",
        "Badlands",
        "Believer",
        "Blank Space",
        "Bleeding Love",
        "Blinding Lights",
    ]
    assert search(api_client, "Sp") == ["Space Oddity"]


def test_non_ascii_titles(api_client, catalog):
    assert search(api_client, "señorita") == ["Señorita"]
    assert search(api_client, "東京") == ["東京 Night"]


def test_search_combines_with_filters(api_client):
    calm = SongFactory(title="Love Calm", energy=0.1)
    SongFactory(title="Love Loud", energy=0.9)
    response = api_client.get("/api/songs/", {"search": "love", "max_energy": 0.5})
    assert [s["id"] for s in response.json()["results"]] == [calm.id]


def test_explicit_ordering_overrides_relevance(api_client, catalog):
    assert search(api_client, "bad", ordering="-title") == [
        "The Bad Touch",
        "Badlands",
        "Bad Romance",
        "Bad Boy",
    ]


@pytest.mark.parametrize("many", [True, False])
def test_ordered_search_within_a_genre_finds_titles_and_artist_names(api_client, monkeypatch, many):
    """A search with an `ordering` inside a genre: the genre's songs whose title or artist's
    name holds the term, in that order. On PostgreSQL the genre's songs are read first when
    the title-word list expects many matches, and joined otherwise; outside a genre, the
    artists' songs are fetched first when many names hold the term, and read by the
    statement otherwise: the same songs every way."""
    monkeypatch.setattr("catalog.selectors.search_postgres._many_matches", lambda parsed: many)
    monkeypatch.setattr("catalog.selectors.search_postgres.FETCHED_ARTIST_NAMES", 0 if many else 10**9)
    SongFactory(title="Love Story", genres=["pop"], popularity=50)
    SongFactory(title="Bleeding Love", genres=["pop", "rock"], popularity=90)
    lovelace = ArtistFactory(name="Lovelace")
    SongArtistFactory(song=SongFactory(title="Quiet", genres=["pop"], popularity=70), artist=lovelace)
    SongFactory(title="Love Rock", genres=["rock"], popularity=99)
    SongFactory(title="Nothing", genres=["pop"], popularity=10)
    SongArtistFactory(song=SongFactory(title="Elsewhere", popularity=95), artist=lovelace)

    assert search(api_client, "love", genre="pop", ordering="-popularity") == [
        "Bleeding Love",
        "Quiet",
        "Love Story",
    ]
    assert search(api_client, "lov", genre="pop", ordering="title") == [
        "Bleeding Love",
        "Love Story",
        "Quiet",
    ]
    assert search(api_client, "love", genre="rock", ordering="-popularity") == ["Love Rock", "Bleeding Love"]
    assert search(api_client, "love", ordering="-popularity") == [
        "Love Rock",
        "Elsewhere",
        "Bleeding Love",
        "Quiet",
        "Love Story",
    ]


@pytest.mark.parametrize("ordering", ["title", "-title", "-popularity"])
def test_an_ordered_search_of_common_matches_pages_the_same_walked_or_sorted(
    api_client, monkeypatch, ordering
):
    """Matches in more than COMMON_SUBSTRING_SHARE of the songs, in an index's order: on
    PostgreSQL the first pages come from a walk of that index (as far as WALKED_AT_MOST
    says), deeper ones from a sort of every match. The pages follow on either way, without
    overlap or gap, in the order asked."""
    monkeypatch.setattr("catalog.selectors.songs.WALKED_AT_MOST", 14)
    for i in range(12):
        SongFactory(title=f"{'Love' if i % 2 else 'love'} {chr(120 - i)}", popularity=(i * 37) % 100)
    lovers = ArtistFactory(name="Lovers")
    for i in range(3):
        SongArtistFactory(song=SongFactory(title=f"Quiet {i}", popularity=40 + i), artist=lovers)
    for i in range(5):
        SongFactory(title=f"Other {i}")
    if connection.vendor == "postgresql":
        # The catalog's size, from which the share of matches is taken (12 of 20 titles).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE catalog_song")

    whole = search(api_client, "love", ordering=ordering, page_size=100)
    pages = [search(api_client, "love", ordering=ordering, page_size=2, page=page) for page in range(1, 9)]
    assert [title for page in pages for title in page] == whole
    songs = {song.title: song for song in Song.objects.all()}
    key = {
        "title": lambda title: (title.lower(), songs[title].pk),
        "-title": lambda title: (title.lower(), -songs[title].pk),
        "-popularity": lambda title: (-songs[title].popularity, songs[title].pk),
    }[ordering]
    expected = sorted((t for t in songs if "love" in t.lower() or t.startswith("Quiet")), key=key)
    assert whole == (expected[::-1] if ordering == "-title" else expected)


@pytest.mark.postgres
@pytest.mark.parametrize(("ordering", "walked"), [("title", True), ("-popularity", True), ("tempo", False)])
def test_only_an_order_that_an_index_serves_is_walked(api_client, monkeypatch, ordering, walked):
    """Walking the first rows of an order no index serves (tempo) would sort the catalog
    to find them: such an order sorts the matches at once."""
    calls = []
    page = IndexWalk.page
    monkeypatch.setattr(IndexWalk, "page", lambda self, *args: calls.append(args) or page(self, *args))
    for i in range(12):
        SongFactory(title=f"Love {i}")
    for i in range(8):
        SongFactory(title=f"Other {i}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_song")
    assert len(search(api_client, "love", ordering=ordering, page_size=5)) == 5
    assert bool(calls) is walked


@pytest.mark.postgres
def test_an_ordered_search_fetches_each_terms_artist_songs_once(api_client, monkeypatch):
    """The sort of every match and the walk of common matches are two statements of one
    query: the songs of the artists whose name holds both terms (in more names than the
    line, so both statements fetch them first) are fetched once."""
    monkeypatch.setattr("catalog.selectors.search_postgres.FETCHED_ARTIST_NAMES", 2)
    for i in range(10):
        SongFactory(title=f"Love Day {i}")
    for name in ("Lovers Day", "Lovely Days", "Love Day Inc", "Day Band"):
        SongArtistFactory(song=SongFactory(title="Quiet"), artist=ArtistFactory(name=name))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_song")
    with CaptureQueriesContext(connection) as captured:
        assert search(api_client, "love day", ordering="title")[0] == "Love Day 0"
    fetches = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT sa.song_id")]
    assert len(fetches) == 1, fetches


def test_search_results_paginate_without_overlap(api_client, catalog):
    pages = [search(api_client, "b", page_size=3, page=page) for page in (1, 2, 3)]
    assert [t for page in pages for t in page] == search(api_client, "b", page_size=100)
    response = api_client.get("/api/songs/", {"search": "bad", "page_size": 2})
    assert response.json()["count"] == 4
    assert response.json()["next"] is not None


@pytest.mark.parametrize("small_result", [2000, -1])
def test_paged_relevance_order_equals_the_single_query_order(catalog, monkeypatch, small_result):
    """The API pages a relevance search tier by tier on PostgreSQL when the word list
    expects many matches (forced here with SMALL_RESULT = -1), or ranks it whole; the admin
    and `ordering` use one ranked query. All must give the same order."""
    monkeypatch.setattr("catalog.selectors.search_ranking.SMALL_RESULT", small_result)
    for extra in ("Bad Bad Bad", "Badminton", "Sad Bad", "Bad", "Bad Bad", "Bda"):
        SongFactory(title=extra)
    for query in ("bad", "bda", "love", "b", "space blank", "oddity romance", "blnk", "bad qwxzv"):
        whole = list(song_search(song_list(), query).values_list("title", flat=True))
        ranked = song_search_ranked(song_list(), query)
        if isinstance(ranked, RankedSongSearch) and small_result < 0:
            assert ranked.complete is None
        paged = [s.title for start in range(0, 30, 2) for s in ranked[start : start + 2]]
        assert paged == whole, query


def test_search_input_is_bounded(catalog):
    long_query = "bad " * 2000
    assert list(song_search(song_list(), long_query).values_list("title", flat=True))[0] == "Bad Romance"


@pytest.mark.postgres
def test_relevance_search_on_postgresql_is_paged_by_tier(catalog):
    assert isinstance(song_search_ranked(song_list(), "bad"), RankedSongSearch)


def test_a_typo_is_corrected_to_the_words_one_edit_away(api_client, catalog):
    SongFactory(title="Lights Out")
    # "lihgts": two letters swapped; "lights" is one edit away, "blinding" is not.
    assert search(api_client, "lihgts") == ["Lights Out", "Blinding Lights"]


def test_a_fragment_inside_words_still_finds_them(api_client, catalog):
    for title in ("Struggling", "Juggling Act", "Going Home"):
        SongFactory(title=title)
    # No word starts with "ggling": it is kept as typed, and words holding it match.
    assert set(search(api_client, "ggling")) >= {"Struggling", "Juggling Act"}


def test_corrections_are_never_words_under_three_letters(catalog):
    from catalog.selectors.search_text import one_edit

    assert "lights" in one_edit("lihgts")
    assert all(len(edit) >= 3 for edit in one_edit("abc"))
    assert one_edit("x" * 30) == []


def test_an_artist_typo_in_a_two_word_name(api_client, catalog):
    SongArtistFactory(song=catalog["Believer"], artist=ArtistFactory(name="Imagine Dragons"))
    SongArtistFactory(song=catalog["Bad Boy"], artist=ArtistFactory(name="Dragon Force"))
    assert search(api_client, "imagine dragns") == ["Believer"]
    assert search(api_client, "dragons")[0] == "Believer"


def test_title_and_artist_terms_together_with_a_common_name_word(api_client, catalog):
    # "the" is in many names; "oddity" only in a title: the song with both comes first.
    for name in ("The Band", "The Others", "Them"):
        SongArtistFactory(song=SongFactory(title=f"Song by {name}"), artist=ArtistFactory(name=name))
    SongArtistFactory(song=catalog["Space Oddity"], artist=ArtistFactory(name="The Spiders"))
    assert search(api_client, "oddity the") == ["Space Oddity"]


@pytest.mark.postgres
@pytest.mark.parametrize("small_result", [-1, 300])
def test_many_matches_are_not_all_ranked_and_the_best_still_come_first(catalog, monkeypatch, small_result):
    """With every way of finding matches bounded to 2 songs (and more matches than are
    ranked whole), the exact and prefix titles still come first (their own btree scans),
    and the rest is ranked from what was read: read past the prefix titles (-1: more
    matches expected than are ranked at once), or among the first ones read (300: the one
    ranking made found more than it could read)."""
    monkeypatch.setattr("catalog.selectors.search_ranking.RANK_AT_MOST", 2)
    monkeypatch.setattr("catalog.selectors.search_ranking.WHOLE_AT_MOST", 2)
    monkeypatch.setattr("catalog.selectors.search_ranking.SMALL_RESULT", small_result)
    for title in ("My Love", "Your Love", "Our Love", "Their Love", "Love"):
        SongFactory(title=title)
    SongFactory(title="Love Me", popularity=10)
    Song.objects.filter(title="Love Story").update(popularity=70)
    Song.objects.filter(title="Lovely Day").update(popularity=40)
    ranked = song_search_ranked(song_list(), "love")
    assert isinstance(ranked, RankedSongSearch) and ranked.complete is None
    page = [song.title for song in ranked[0:4]]
    assert page[:4] == ["Love", "Love Story", "Lovely Day", "Love Me"]
    # 4 titles start with "love", 5 hold it further on: at most 2 of those are ranked.
    whole_page = ranked[0:20]
    assert len({song.pk for song in whole_page}) == len(whole_page)
    rest = whole_page[4:]
    assert len(rest) == 2 if small_result < 0 else len(rest) <= 2
    assert all("love" in song.title.lower() for song in rest)


def test_terms_split_between_a_title_and_artist_names_that_hold_both(api_client, catalog):
    # "shape" is in a title and a name, "sheeran" in names only, and no name holds both.
    SongArtistFactory(song=catalog["Shape of You"], artist=ArtistFactory(name="Ed Sheeran"))
    SongArtistFactory(song=catalog["Bad Boy"], artist=ArtistFactory(name="Shape Shifters"))
    assert search(api_client, "shape sheeran") == ["Shape of You"]
    assert search(api_client, "sheeran shape") == ["Shape of You"]


def test_terms_in_one_place_come_before_terms_split_across_title_and_names(api_client, catalog):
    # Both words are in artist names, never in one: "Cool Song" by The Band has them split
    # between its title and a name, "Cool The Gang" in its title. Only the second is a
    # result while there is one.
    SongArtistFactory(song=catalog["Bad Boy"], artist=ArtistFactory(name="Cool Kids"))
    SongArtistFactory(song=SongFactory(title="Cool Song"), artist=ArtistFactory(name="The Band"))
    assert search(api_client, "cool the") == ["Cool Song"]
    SongFactory(title="Cool The Gang")
    assert search(api_client, "the cool") == ["Cool The Gang"]  # another query: not cached


def test_a_correction_keeps_the_letters_typed_before_it_is_frequent(api_client, catalog):
    # "bank" (a letter replaced) is more frequent than "blank" (the letter left out), and
    # "spc" (a letter typed too many) is one edit from "spce" too.
    for title in ("Bank Holiday", "Bank Job", "Bank Space Station", "SPC Radio"):
        SongFactory(title=title)
    assert search(api_client, "blnk spce") == ["Blank Space", "Bank Space Station"]


@pytest.mark.postgres
def test_a_search_within_a_small_genre_is_ranked_whole_and_counted_exactly(api_client, monkeypatch):
    """The word list estimates a common word's matches in the whole catalog (here as a
    catalog of a million would: 10,000). Within a genre of at most 1,000 songs the search is
    ranked whole instead, and its count is exact; elsewhere (a range filter, which no index
    counts) it is paged tier by tier, and counted as its pages reach: every match here."""
    monkeypatch.setattr("catalog.selectors.search_words.ParsedQuery.estimated_matches", lambda self: 10_000.0)
    SongFactory.create_batch(5, title="Love Loud", genres=["rock"], energy=0.9)
    calm = {SongFactory(title=f"Love Calm {i}", genres=["ambient"], energy=0.1).pk for i in range(3)}
    SongFactory(title="Quiet", genres=["ambient"], energy=0.1)

    def count(**params) -> tuple[int, str, set[int]]:
        response = api_client.get("/api/songs/", {"search": "love", **params})
        assert response.status_code == 200, response.content
        ids = {song["id"] for song in response.json()["results"]}
        return response.json()["count"], response["X-Total-Count-Exact"], ids

    assert count()[:2] == (8, "true")
    assert count(genre="ambient") == (3, "true", calm)
    assert count(genre="none such") == (0, "true", set())
    assert count(max_energy=0.5) == (3, "true", calm)
