"""A contraction typed without its apostrophe finds the titles that write it with one, the
same on SQLite and PostgreSQL (`search_text.song_query`, and for the spellings that are
words too `search_text.spelled` and `apostrophe_forms`): a title's words split at the
apostrophe, so `dont` alone never found "Don't". An apostrophe typed either way (' or ’)
finds titles written with either."""

from __future__ import annotations

import pytest

from catalog.selectors.search_text import apostrophe_forms, possessive, song_query, spelled
from tests.factories import SongFactory

pytestmark = pytest.mark.django_db


def search(api_client, query: str) -> list[str]:
    response = api_client.get("/api/songs/", {"search": query})
    assert response.status_code == 200, response.json()
    return [song["title"] for song in response.json()["results"]]


@pytest.fixture
def titles(db):
    for title in (
        "Don't Stop Me Now",
        "Stop Me Now",
        "Dont Cry",
        "What's Up",
        "Whats Your Flava?",
        "Don’t Blame Me",
        "Now or Never",
    ):
        SongFactory(title=title)


def test_a_contraction_without_its_apostrophe_finds_the_title_that_has_it(api_client, titles):
    assert search(api_client, "dont stop me now")[0] == "Don't Stop Me Now"
    assert search(api_client, "whats up")[0] == "What's Up"
    assert "Don’t Blame Me" in search(api_client, "dont blame me")


def test_a_title_written_without_the_apostrophe_is_still_found(api_client, titles):
    assert "Dont Cry" in search(api_client, "dont cry")


def test_only_the_listed_contractions_and_whole_words_are_spelled_out():
    assert song_query("Dont  stop") == "don't stop"
    assert song_query("dontcha im ill its") == "dontcha im ill its"
    assert song_query("whats up, yall") == "what's up, y'all"
    assert song_query("hes the one") == "he's the one"


@pytest.fixture
def word_titles(db):
    for title, popularity in (
        ("Can't Stop", 60),
        ("Cantina Stop", 90),
        ("I Won't Back Down - Live at the Fillmore, San Francisco", 50),
        ("Back Down", 70),
        ("Fawont Back Down", 99),
        ("Wonton Soup", 5),
        ("I’m Yours", 40),
        ("I'm Yours Forever", 45),
        ("Can’t Stop Now", 10),
        ("Yours", 80),
        ("Hell Yeah", 30),
        ("He'll Be Back", 90),
        ("It's My Life", 20),
        ("My Life", 95),
    ):
        SongFactory(title=title, popularity=popularity)


def test_a_contraction_that_is_a_word_too_is_read_both_ways_in_a_longer_query(api_client, word_titles):
    assert search(api_client, "cant stop")[0] == "Can't Stop"
    assert search(api_client, "im yours")[0] == "I’m Yours"
    assert search(api_client, "its my life")[0] == "It's My Life"
    # Not from the title's start: the contraction is one of the term's variants, and it
    # starts a word of the title, where "Fawont" only holds the term ("Wonton" keeps `wont`
    # a word's beginning, so that it has no correction).
    assert search(api_client, "wont back down")[:2] == [
        "I Won't Back Down - Live at the Fillmore, San Francisco",
        "Fawont Back Down",
    ]


def test_a_one_word_query_keeps_the_word(api_client, word_titles):
    assert search(api_client, "hell") == ["Hell Yeah"]


def test_an_apostrophe_typed_either_way_finds_titles_written_either_way(api_client, word_titles):
    assert search(api_client, "can’t stop")[0] == "Can't Stop"
    assert search(api_client, "i'm yours")[0] == "I’m Yours"


def test_the_readings_of_a_query():
    assert spelled("cant stop") == ["cant stop", "can't stop", "can’t stop"]
    assert spelled("hell") == ["hell"]
    assert spelled("don’t stop") == ["don't stop", "don’t stop"]
    assert apostrophe_forms("cant", "cant stop") == ["can't", "can’t"]
    assert apostrophe_forms("cant", "cant") == []
    assert apostrophe_forms("stop", "cant stop") == []


@pytest.fixture
def possessive_titles(db):
    for title, popularity in (
        ("A Hard Day's Night - Remastered 2009", 70),
        ("Hard Days", 90),
        ("Tom’s Diner", 60),
        ("Diner Days", 95),
        ("Heaven's Gonna Burn Your Eyes", 30),
        ("Dancing Days", 40),
    ):
        SongFactory(title=title, popularity=popularity)


def test_a_possessive_without_its_apostrophe_finds_the_title_that_has_it(api_client, possessive_titles):
    assert search(api_client, "a hard days night") == ["A Hard Day's Night - Remastered 2009"]
    assert search(api_client, "toms diner")[0] == "Tom’s Diner"
    # Every word read as a possessive misses the title ("eye's"): each term's own readings
    # still find it.
    assert search(api_client, "heavens gonna burn your eyes") == ["Heaven's Gonna Burn Your Eyes"]


def test_a_plural_is_still_a_plural(api_client, possessive_titles):
    assert search(api_client, "dancing days") == ["Dancing Days"]
    # A one-word query keeps the word: "A Hard Day's Night" does not hold it.
    assert set(search(api_client, "days")) == {"Hard Days", "Diner Days", "Dancing Days"}


def test_the_possessive_readings_of_a_query():
    assert possessive("days") == "day's"
    assert [possessive(w) for w in ("kiss", "this", "venus", "its", "is", "2pms")] == [None] * 6
    assert apostrophe_forms("toms", "toms diner") == ["tom's", "tom’s"]
    assert apostrophe_forms("toms", "toms") == []
    assert spelled("a hard days night") == [
        "a hard days night",
        "a hard day's night",
        "a hard day’s night",
    ]
    # The contractions that are words too come with the possessives, and alone.
    assert spelled("its a mans world") == [
        "its a mans world",
        "it's a mans world",
        "it’s a mans world",
        "it's a man's world",
        "it’s a man’s world",
    ]
