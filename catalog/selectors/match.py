"""Matching songs named by outside data (a ListenBrainz history) to catalog songs.

The rule, for an (artist name, title) pair:
1. the artist is the catalog artist whose `name_key` (catalog.naming) equals the given
   name's; no such artist, no match;
2. among the songs crediting that artist (at any position), a title equal under `name_key`
   matches;
3. otherwise the title with the highest trigram similarity (pg_trgm's definition, computed
   by `search_text.similarity` on both databases so they agree) matches if it reaches
   TITLE_SIMILARITY.
Ties go to a song where the artist is the main artist (credit position 0), then to the
lowest id, so a match never depends on row order.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from django.db.models import F

from catalog.models import Artist, SongArtist
from catalog.naming import name_key
from catalog.selectors.lookups import InList
from catalog.selectors.search_text import similarity

# A typo scores well above it ("Someting" against "Something" is 0.58), while
# unrelated titles of one artist rarely reach 0.3, pg_trgm's own default, which is
# too loose for picking one song among an artist's.
TITLE_SIMILARITY = 0.5


class Candidate(NamedTuple):
    song_id: int
    position: int
    title: str
    title_key: str


def song_name_key(artist: str, title: str) -> str:
    """What (artist, title) pairs are the same by: both names under `name_key`, so that case,
    width and spacing do not tell them apart."""
    return f"{name_key(artist)}\x1f{name_key(title)}"


def songs_match(pairs: Collection[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The matched song id of each (artist name, title) of `pairs` that matches (see the
    module's rule); pairs that match nothing are absent. Two queries for all pairs."""
    artist_keys = {name_key(artist) for artist, _ in pairs}
    rows = Artist.objects.filter(InList(F("name_key"), list(artist_keys))).values_list("name_key", "id")
    artists: dict[str, int] = dict(rows)
    if not artists:
        return {}
    by_artist: dict[int, list[Candidate]] = {artist_id: [] for artist_id in artists.values()}
    credits = (
        SongArtist.objects.filter(InList(F("artist_id"), list(by_artist)))
        .order_by("artist_id", "position", "song_id")
        .values_list("artist_id", "song_id", "position", "song__title")
    )
    for artist_id, credited, position, title in credits:
        by_artist[artist_id].append(Candidate(credited, position, title, name_key(title)))
    matches = {}
    for artist, title in pairs:
        found = artists.get(name_key(artist))
        if found is None:
            continue
        best = _best(by_artist[found], title)
        if best is not None:
            matches[(artist, title)] = best
    return matches


def _best(candidates: list[Candidate], title: str) -> int | None:
    # Candidates come main-artist credits first, then by id: the first of equals wins.
    key = name_key(title)
    for candidate in candidates:
        if candidate.title_key == key:
            return candidate.song_id
    best, best_score = None, TITLE_SIMILARITY
    for candidate in candidates:
        score = similarity(candidate.title, title)
        if score >= best_score and (best is None or score > best_score):
            best, best_score = candidate.song_id, score
    return best
