"""The one rule for telling names apart: artists and genres are the same when their
normalised names are (`name_key`). The loader, the API's filters and every later match
against outside data (listening imports, the evaluation's Last.fm join) use it."""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """NFKC, case-folded, runs of white space collapsed to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
