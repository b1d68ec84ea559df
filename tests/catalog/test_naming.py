"""Naming a genre in a user's words: its normalised name, else the one name with its words."""

from __future__ import annotations

import pytest

from catalog.naming import name_among

GENRES = {"hip-hop", "pop", "k-pop", "j-pop", "drum-and-bass", "r-n-b", "singer-songwriter", "forro"}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("pop", "pop"),
        (" POP ", "pop"),
        ("hip hop", "hip-hop"),
        ("Hip-Hop", "hip-hop"),
        ("K Pop", "k-pop"),
        ("drum and bass", "drum-and-bass"),
        ("R&B", "r-n-b"),
        ("r & b", "r-n-b"),
        ("R and B", "r-n-b"),
        ("drum & bass", "drum-and-bass"),
        ("Drum n Bass", "drum-and-bass"),
        ("Forró", "forro"),
        ("r b", None),  # the "and" is a word of the name
        ("b&r", None),
        ("hiphop", None),
        ("hop", None),
        ("", None),
    ],
)
def test_a_genre_is_named_by_its_name_or_its_words(text, named):
    assert name_among(text, GENRES) == named


def test_words_shared_by_two_names_name_neither():
    assert name_among("hip hop", {"hip-hop", "hip/hop"}) is None
    assert name_among("hip-hop", {"hip-hop", "hip/hop"}) == "hip-hop"  # its own name first
