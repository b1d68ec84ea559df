"""Accent folding in `search=`: a term finds the words it folds alike with, on either
database (`search_text.fold`, migration 0019's indexes on PostgreSQL)."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

from catalog.selectors.search import song_search
from catalog.selectors.search_text import FOLD_FROM, FOLD_TO, fold, normalize_query, query_terms
from catalog.selectors.search_words_postgres import parse_postgres
from catalog.selectors.songs import song_list
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory

pytestmark = pytest.mark.django_db


def found(api_client, query: str) -> list[str]:
    response = api_client.get("/api/songs/", {"search": query})
    assert response.status_code == 200, response.json()
    return [song["title"] for song in response.json()["results"]]


def by(artist: str, *titles: str) -> None:
    credited = ArtistFactory(name=artist)
    for title in titles:
        SongArtistFactory(song=SongFactory(title=title), artist=credited)


def test_the_fold_is_the_one_the_word_lists_are_indexed_by():
    # The indexes serve only the very expression they were built on: a change of the fold
    # needs a migration, which this comparison asks for.
    migration = importlib.import_module("catalog.migrations.0019_word_lists_folded")
    assert (migration.FOLD_FROM, migration.FOLD_TO) == (FOLD_FROM, FOLD_TO)
    assert len(FOLD_FROM) == len(FOLD_TO) == len(set(FOLD_FROM))
    assert fold("björk beyoncé mötley crüe łódź ø ñ ệ") == "bjork beyonce motley crue lodz o n e"
    assert fold("東京 москва abc") == "東京 москва abc"


def test_an_unaccented_term_finds_accented_names_and_titles(api_client):
    by("Beyoncé", "Halo", "CUFF IT")
    by("Vybz Kartel", "Beyonce Wine")
    by("Mötley Crüe", "Kickstart My Heart")
    by("Dimitri Vegas", "Café del Mar")
    SongFactory(title="Motley Fool")

    assert set(found(api_client, "beyonce")) == {"Halo", "CUFF IT", "Beyonce Wine"}
    assert found(api_client, "motley crue") == ["Kickstart My Heart"]
    assert found(api_client, "cafe del mar") == ["Café del Mar"]


def test_an_accented_term_finds_the_unaccented_word(api_client):
    SongFactory(title="Café del Mar")
    SongFactory(title="Cafe Society")
    SongFactory(title="Caffeine")

    assert set(found(api_client, "café")) == {"Café del Mar", "Cafe Society"}


def test_a_term_found_through_an_accented_word_is_not_a_typo(api_client):
    # "bjork" starts no word as typed: it was corrected to "bjorn", one letter away.
    by("Björk", "Army of Me")
    by("Bjorn Again", "Waterloo")

    assert found(api_client, "bjork") == ["Army of Me"]
    # A prefix finds both.
    assert set(found(api_client, "bjor")) == {"Army of Me", "Waterloo"}


@pytest.mark.postgres
def test_accented_forms_match_without_becoming_the_corrected_query():
    SongFactory(title="Love Story")
    SongFactory(title="Lové")
    text = normalize_query("love")

    parsed = parse_postgres(connection.alias, text, query_terms(text))

    assert parsed.variants == [["love", "lové"]]
    assert parsed.corrected == "love"


def test_artist_search_finds_names_accented_otherwise(api_client):
    for name in ("Björk", "Bjorn Again", "Mötley Crüe", "Motley Fool Band", "Beyoncé", "Zé Felipe", "Zeal"):
        ArtistFactory(name=name)

    def names(query: str) -> list[str]:
        response = api_client.get("/api/artists/", {"search": query})
        assert response.status_code == 200, response.json()
        return [artist["name"] for artist in response.json()["results"]]

    assert names("bjork") == ["Björk"]
    assert names("BEYONCE") == ["Beyoncé"]
    # A typo besides: corrected as song search corrects it, accents folded.
    assert names("beyonse") == ["Beyoncé"]
    assert names("motley crue") == ["Mötley Crüe"]
    assert names("mötley") == ["Motley Fool Band", "Mötley Crüe"]
    assert names("bjor") == ["Bjorn Again", "Björk"]
    # Words of any length, the last one a prefix as typed so far.
    assert names("ze feli") == ["Zé Felipe"]
    assert names("ze") == ["Zeal", "Zé Felipe"]


def test_a_title_equal_to_the_query_but_for_accents_is_an_exact_match(api_client):
    SongFactory(title="Corazon de mimbre")
    SongFactory(title="Corazón")
    SongFactory(title="Mi Corazón Latino")

    assert found(api_client, "corazon") == ["Corazón", "Corazon de mimbre", "Mi Corazón Latino"]


@pytest.mark.parametrize("small_result", [2000, -1])
@pytest.mark.parametrize("query", ["señorita", "senorita", "SENORITA"])
def test_titles_equal_but_for_their_accents_come_most_popular_first(
    api_client, monkeypatch, query, small_result
):
    """One title, whichever way it is accented: ranked whole (`small_result` 2000) or tier by
    tier from the index (-1, as for many matches on PostgreSQL), and by the admin's search."""
    monkeypatch.setattr("catalog.selectors.search_ranking.SMALL_RESULT", small_result)
    for title, popularity in [("Senorita", 64), ("Señorita", 81), ("Senorita", None), ("señorita", 20)]:
        SongFactory(title=title, popularity=popularity)
    SongFactory(title="Senorita Bonita", popularity=99)
    expected = [
        ("Señorita", 81),
        ("Senorita", 64),
        ("señorita", 20),
        ("Senorita", None),
        ("Senorita Bonita", 99),
    ]

    response = api_client.get("/api/songs/", {"search": query})
    assert [(s["title"], s["popularity"]) for s in response.json()["results"]] == expected
    assert list(song_search(song_list(), query).values_list("title", "popularity")) == expected


@pytest.mark.parametrize("small_result", [2000, -1])
def test_titles_starting_with_the_query_either_way_accented_come_most_popular_first(
    api_client, monkeypatch, small_result
):
    """The prefix tier of each accented form (one index scan each on PostgreSQL) merged
    into one order, most popular first, not one form's titles after the other's."""
    monkeypatch.setattr("catalog.selectors.search_ranking.SMALL_RESULT", small_result)
    for title, popularity in [("Señorita Bonita", 30), ("Senorita Mia", 60), ("Señoritas", 90)]:
        SongFactory(title=title, popularity=popularity)
    SongFactory(title="Señorita", popularity=5)
    expected = ["Señorita", "Señoritas", "Senorita Mia", "Señorita Bonita"]

    assert found(api_client, "senorita") == expected
    assert list(song_search(song_list(), "senorita").values_list("title", flat=True)) == expected


def test_a_typo_in_an_accented_word_typed_without_its_accent_is_corrected(api_client):
    # "beyonsa" is one edit away as typed; "beyoncé" once its accent is folded.
    by("Beyoncé", "Halo")
    SongFactory(title="Beyonsa")

    assert set(found(api_client, "beyonse")) == {"Halo", "Beyonsa"}
    # A typo that only the folded form is near by trigrams ("motly": mötley 0.08, motley 0.44).
    by("Mötley Crüe", "Kickstart My Heart")
    SongFactory(title="Mostly Harmless")
    assert set(found(api_client, "motly")) == {"Kickstart My Heart", "Mostly Harmless"}


@pytest.mark.parametrize(
    ("query", "normalized"),
    [
        ("mo\u0308tley cru\u0308e", "mötley crüe"),  # combining marks composed, as titles write them
        ("DEN\u0130Z", "deniz"),  # Turkish İ lowercased as PostgreSQL does, one letter
        ("K\u0130Z \u0130STANBUL", "kiz istanbul"),
    ],
)
def test_a_query_is_composed_and_lowercased_one_letter_for_one(api_client, query, normalized):
    assert normalize_query(query) == normalized
    SongFactory(title="Deniz Mötley Crüe Kiz Istanbul")
    assert found(api_client, query) == ["Deniz Mötley Crüe Kiz Istanbul"]


def test_a_whole_name_with_a_short_word_names_its_artist_but_for_accents(api_client):
    by("Zé Felipe", "Saudade")
    by("Pé", "Intrusive Thoughts")
    SongFactory(title="Felipe Blues")
    SongFactory(title="Pelican")

    assert found(api_client, "ze felipe")[0] == "Saudade"
    assert found(api_client, "pe")[0] == "Intrusive Thoughts"


def test_a_term_whose_folded_form_starts_a_word_is_known(api_client):
    # "abbá" starts no word, "abba" does: no typo, so "abby" is no correction of it.
    by("ABBA", "Waterloo")
    by("Della Mae", "Bluegrass")
    SongFactory(title="Abby Road")
    SongFactory(title="Mãe")
    SongFactory(title="Maeström")  # an accented word whose first letters are "mae"

    assert found(api_client, "abbá") == ["Waterloo"]
    # An accented term finds an unaccented name too.
    assert found(api_client, "della mãe") == ["Bluegrass"]


def test_a_single_letter_of_a_name_folds_too(api_client):
    by("Jack Ü", "Where Are Ü Now")
    SongFactory(title="Jack Up")

    assert found(api_client, "jack u")[0] == "Where Are Ü Now"


def test_an_artist_search_of_many_forms_gives_the_index_one_pattern():
    from catalog.selectors.search import _common_pattern

    assert _common_pattern(["anibal troilo", "aníbal troilo"]) == "an_bal troilo"
    assert _common_pattern(["100% ok", "100% ök"]) == "100\\% _k"
    # No three letters in a row left for a trigram: the forms' own patterns serve.
    assert _common_pattern(["ze", "zé"]) is None
    assert _common_pattern(["abc d", "ábc d", "abç d"]) is None
