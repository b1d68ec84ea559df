"""Reads of genres: every genre with its number of songs, most songs first."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count

from catalog.models import Genre

# Counting the songs of every genre reads the whole song-genre table (a million rows or
# more at scale), while genres change only when songs are loaded: the counts are kept
# this long in the shared cache, so a list may lag a load by that much.
GENRE_COUNTS_SECONDS = 60
GENRE_COUNTS_KEY = "catalog:genres:counts"


@dataclass(frozen=True)
class GenreCount:
    name: str
    song_count: int


def genre_list() -> list[GenreCount]:
    """Every genre with its song count, most songs first, then by name (a few hundred rows,
    cached: see GENRE_COUNTS_SECONDS)."""
    cached = cache.get(GENRE_COUNTS_KEY)
    if isinstance(cached, list):
        return [GenreCount(name, count) for name, count in cached]
    rows = list(Genre.objects.annotate(n=Count("songs")).order_by("-n", "name").values_list("name", "n"))
    cache.set(GENRE_COUNTS_KEY, rows, GENRE_COUNTS_SECONDS)
    return [GenreCount(name, count) for name, count in rows]
