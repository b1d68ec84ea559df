"""How an imported listen finds its song: an exact title first, else one alike by trigrams from
the threshold up; names matched without their accents; the main artist's song on a tie; and a
bound on the title comparisons a file may ask for."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import Activity
from catalog.selectors import match, search_accents
from catalog.selectors.match import TITLE_SIMILARITY, songs_match
from catalog.selectors.search_text import similarity
from tests.analytics.builders import T0, import_counts, listen, post_listens
from tests.analytics.user_builders import artist, song_by

# A history reaches months no partition exists for (conftest.py).
pytestmark = pytest.mark.usefixtures("partitions_forgotten")


def test_titles_past_the_bound_on_comparisons_are_unmatched_the_cheapest_compared_first(
    auth_client, catalog, monkeypatch
):
    """A file may ask for more title comparisons than a request can afford (each title
    without an exact match against every song of its artist, whose titles are prepared once):
    past the bound, titles count as unmatched, those of the artists with the fewest songs
    compared first. Exact titles always match."""
    # Each title turned into trigrams and compared with its artist's songs, whose titles are
    # turned into trigrams once: Queen's two typos fit, the Beatles' one does not.
    per_title, per_song = match.TRIGRAMS_COST, 1 + match.TRIGRAMS_COST
    queen = (per_title + per_song) + (per_title + 1)
    beatles = per_title + 2 * per_song
    monkeypatch.setattr(match, "MAX_TITLE_COMPARISONS", queen + beatles - 1)
    listens = [
        listen("The Beatles", "Someting", T0),  # two songs to compare with: past the bound
        listen("Queen", "Bohemian Rapsody", T0 + 60),  # one song: prepared and compared
        listen("Queen", "Bohemian Rhapsdy", T0 + 90),  # compared: Queen's title is prepared
        listen("The Beatles", "Hey Jude", T0 + 120),  # exact
    ]

    response = post_listens(auth_client, listens)

    assert import_counts(response) == {
        "matched": 3,
        "unmatched": 1,
        "duplicates": 0,
        "stored": 3,
        "too_old": 0,
    }
    assert set(Activity.objects.values_list("song_id", flat=True)) == {
        catalog["rhapsody"].id,
        catalog["jude"].id,
    }


class TestMatching:
    def test_a_title_matches_from_the_threshold_up(self, catalog):
        assert similarity("Hey Jude", "Hey You") < TITLE_SIMILARITY == similarity("Hey Jude", "Hey Jute")

        assert songs_match({("The Beatles", "Hey You"), ("The Beatles", "Hey Jute")}) == {
            ("The Beatles", "Hey Jute"): catalog["jude"].id
        }

    def test_the_main_artists_song_wins_a_tie(self, db):
        one, two = artist("One"), artist("Two")
        featured = song_by(two, one, title="Same Title")
        main = song_by(one, title="Same Title")

        assert featured.id < main.id
        assert songs_match({("One", "Same Title")}) == {("One", "Same Title"): main.id}

    def test_an_exact_title_beats_a_closer_looking_one(self, db):
        band = artist("Band")
        song_by(band, title="Love Song")
        exact = song_by(band, title="love  song!")

        assert songs_match({("Band", "Love Song!")}) == {("Band", "Love Song!"): exact.id}

    def test_names_without_their_accents_match_as_the_search_finds_them(self, db):
        """A history often loses accents: `Beyonce` is Beyoncé, `Joga` by `Bjork` is "Jóga"."""
        cuff_it = song_by(artist("Beyoncé"), title="CUFF IT")
        joga = song_by(artist("Björk"), title="Jóga")
        pairs = {("Beyonce", "Cuff It"), ("BJORK", "joga"), ("Bjork", "Hyperballad"), ("Beyoncee", "CUFF IT")}

        assert songs_match(pairs) == {("Beyonce", "Cuff It"): cuff_it.id, ("BJORK", "joga"): joga.id}

    def test_only_the_names_with_the_most_titles_are_looked_for_under_their_accents(self, db, monkeypatch):
        """A history may name thousands of artists the catalog lacks: past the bound, the
        names with the fewest titles in the file match only as named."""
        monkeypatch.setattr(match, "ACCENTED_NAMES_AT_MOST", 1)
        beyonce = artist("Beyoncé")
        cuff_it, halo = song_by(beyonce, title="CUFF IT"), song_by(beyonce, title="Halo")
        song_by(artist("Björk"), title="Jóga")
        pairs = {("Beyonce", "Cuff It"), ("Beyonce", "Halo"), ("Bjork", "Joga")}

        assert songs_match(pairs) == {("Beyonce", "Cuff It"): cuff_it.id, ("Beyonce", "Halo"): halo.id}


@pytest.mark.postgres
def test_the_accented_forms_of_many_name_words_are_looked_up_a_few_terms_a_statement(db, monkeypatch):
    """One statement of thousands of branches took minutes to plan: a few terms each."""
    monkeypatch.setattr(search_accents, "TERMS_PER_STATEMENT", 2)
    for name in ("Beyoncé", "Björk", "Sigur Rós", "Mötley Crüe"):
        artist(name)
    terms = ["beyonce", "bjork", "ros", "motley", "crue"]

    with CaptureQueriesContext(connection) as queries:
        forms = search_accents.name_accented("default", terms)

    assert len(queries) == 3
    assert forms == [["beyoncé"], ["björk"], ["rós"], ["mötley"], ["crüe"]]
