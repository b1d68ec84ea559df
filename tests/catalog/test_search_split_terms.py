"""Queries whose terms are split between an artist's name and the title, where an artist's
name holds some title word too (`search_ways._mixed_ways`): the same results on SQLite,
whose Python ranking checks every song, and on PostgreSQL, which reads a bounded number of
songs through each way of finding them."""

from __future__ import annotations

import pytest

from tests.catalog.builders import searched_titles
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory

pytestmark = pytest.mark.django_db


def credited(title: str, artist: str) -> None:
    SongArtistFactory(song=SongFactory(title=title), artist=ArtistFactory(name=artist))


def test_the_artist_typed_first_is_looked_for_though_another_name_term_is_rarer(api_client):
    """No name holds "pearl", "jam" and "given"; "given" is in fewer names than "pearl" (the
    band Given), and the titles holding the rarest title word ("pearl") are not the song."""
    credited("Given to Fly", "Pearl Jam")
    credited("Given Up", "Somebody")
    credited("Pearl Necklace", "Somebody Else")
    credited("River Song", "Pearl River")
    credited("Jam Session", "The Jam")
    credited("Virtual Insanity", "Jamiroquai")
    credited("Alone", "Given")

    assert searched_titles(api_client, "pearl jam given") == ["Given to Fly"]
