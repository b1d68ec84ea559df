"""The one rule for telling names apart: artists and genres are the same when their
normalised names are (`name_key`). The loader, the API's filters and every later match
against outside data (listening imports, the evaluation's Last.fm join) use it. And the one
rule for which genre a user's text names (`name_among`): the filters, blocks and the
recommendations' seed and profile genres use it."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from functools import lru_cache

from catalog.selectors.search_text import fold, title_words


def name_key(name: str) -> str:
    """NFKC, case-folded, runs of white space collapsed to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def name_among(text: str, names: Collection[str]) -> str | None:
    """The one of `names` (normalised names, as the catalog keeps its genres) that a user's
    `text` names: its own normalised name, else the single name whose words (the search's
    word rule, accents folded, `&`, `and` and `n` one word: `_words`) are its words,
    whatever joins them (`hip hop` and `Hip-Hop` name `hip-hop`, `R&B` `r-n-b`, `drum &
    bass` `drum-and-bass`, `forró` `forro`); None when no name, or more than one, has them."""
    key = name_key(text)
    if key in names:
        return key
    words = _words(key)
    found = [name for name in names if _words(name) == words]
    return found[0] if len(found) == 1 else None


# The ways of writing "and" between two words of a genre's name: `R&B`, `r-n-b`, `rock and
# roll`, `rock-n-roll`.
_AND = {"and": "and", "n": "and"}


@lru_cache(maxsize=4096)
def _words(name: str) -> tuple[str, ...]:
    # Cached: a list computed for a listener compares each text with every genre's words.
    return tuple(_AND.get(word, word) for word in title_words(fold(name.replace("&", " and "))))
