"""The queries of `bench/search.py`, drawn from the loaded catalog's own titles and artist
names so that common words come up as often as they occur: the kinds of query people type
(KINDS), and the same terms again with an `ordering`. Needs Django set up."""

from __future__ import annotations

import random
import re

KINDS = ("fragment", "typo", "two words", "word", "prefix", "artist", "artist typo", "artist and title word")

_WORD = re.compile(r"[^\W_]+")


def _drop_letter(rng: random.Random, word: str) -> str:
    """The word with one letter dropped, never the first (people get that one right)."""
    i = rng.randrange(1, len(word))
    return word[:i] + word[i + 1 :]


def _term(kind: str, rng: random.Random, title: str, names: list[str]) -> str | None:
    """A query of `kind` made from one song's title and artist names; None when the song
    has nothing to make it from."""
    words = _WORD.findall(title)
    long_words = [w for w in words if len(w) >= 5]
    if kind == "fragment" and long_words:
        word = rng.choice(long_words)
        size = rng.randint(3, min(8, len(word) - 1))
        start = rng.randrange(0, len(word) - size + 1)
        return word[start : start + size]
    if kind == "typo" and long_words:
        return _drop_letter(rng, rng.choice(long_words))
    if kind == "two words" and len(words) >= 2:
        return " ".join(words[:2])
    if kind == "word" and any(len(w) >= 3 for w in words):
        return rng.choice([w for w in words if len(w) >= 3])
    if kind == "prefix" and any(len(w) >= 4 for w in words):
        return rng.choice([w for w in words if len(w) >= 4])[:3]
    if kind == "artist" and names:
        return rng.choice(names)
    name_words = [w for name in names for w in _WORD.findall(name) if len(w) >= 5]
    if kind == "artist typo" and name_words:
        return _drop_letter(rng, rng.choice(name_words))
    if kind == "artist and title word" and names and words:
        return f"{names[0]} {words[0]}"  # people type the artist, then the title's start
    return None


def make_terms(per_kind: int, seed: int) -> list[tuple[str, str]]:
    """(kind, query) pairs, per_kind of each kind, deterministic for a seed and a catalog:
    each made from a random song of the catalog (its id drawn uniformly)."""
    from django.db import connection

    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM catalog_song")
        low, high = cursor.fetchone()
        terms: list[tuple[str, str]] = []
        for kind in KINDS:
            made: list[str] = []
            while len(made) < per_kind:
                ids = [rng.randint(low, high) for _ in range(4 * per_kind)]
                cursor.execute(
                    "SELECT s.id, s.title, coalesce(array_agg(a.name ORDER BY sa.position) "
                    "FILTER (WHERE a.id IS NOT NULL), '{}') FROM catalog_song s "
                    "LEFT JOIN catalog_songartist sa ON sa.song_id = s.id "
                    "LEFT JOIN catalog_artist a ON a.id = sa.artist_id "
                    "WHERE s.id = ANY(%s) GROUP BY s.id",
                    [ids],
                )
                songs = {song_id: (title, names) for song_id, title, names in cursor.fetchall()}
                for song_id in ids:
                    if song_id in songs and len(made) < per_kind:
                        term = _term(kind, rng, *songs[song_id])
                        if term and term not in made:
                            made.append(term)
                if not songs:
                    break
            terms.extend((kind, term) for term in made)
    return terms


# Searches with an `ordering` (the matches sorted by a field, not ranked): the kinds whose
# terms are common in titles, each sorted by popularity, by title, and by popularity within
# a genre drawn at random.
ORDERED_KINDS = ("word", "fragment")


def ordered_requests(terms: list[tuple[str, str]], seed: int) -> list[tuple[tuple[str, str], dict]]:
    """((label, term), query parameters) of the searches with an ordering."""
    from catalog.models import Genre

    rng = random.Random(seed)
    genres = sorted(Genre.objects.values_list("name", flat=True))
    requests = []
    for kind, term in terms:
        if kind not in ORDERED_KINDS:
            continue
        requests.append(((f"{kind}, by popularity", term), {"search": term, "ordering": "-popularity"}))
        requests.append(((f"{kind}, by title", term), {"search": term, "ordering": "title"}))
        if genres:
            genre = rng.choice(genres)
            params = {"search": term, "genre": genre, "ordering": "-popularity"}
            requests.append(((f"{kind}, a genre, by popularity", f"{term}, {genre}"), params))
    return requests
