"""Matching songs named by outside data (a ListenBrainz history) to catalog songs.

The rule, for an (artist name, title) pair:
1. the artist is the catalog artist whose `name_key` (catalog.naming) equals the given
   name's, else the one whose name it is but for its accents (`refs.artist_keys_accented`,
   as the artist search finds it: `Beyonce` is Beyoncé); no such artist, no match;
2. among the songs crediting that artist (at any position), a title equal under `name_key`
   matches, else one equal once accents are folded too (`search_text.fold`);
3. otherwise the title with the highest trigram similarity (pg_trgm's definition, computed
   by `search_text` on both databases so they agree) matches if it reaches
   TITLE_SIMILARITY.
Ties go to a song where the artist is the main artist (credit position 0), then to the
lowest id, so a match never depends on row order.

Step 3 turns the title into trigrams and compares them with those of every song of its
artist (turned into trigrams once an artist), so a file's work is the sum, over its titles
with no exact match, of their artists' numbers of songs, plus every title turned into
trigrams. That is bounded by MAX_TITLE_COMPARISONS, a title turned into trigrams counting as
TRIGRAMS_COST comparisons, the titles of artists with the fewest songs compared first; those
left over match nothing. The accented forms of step 1 are looked for ACCENTED_NAMES_AT_MOST
names at most, those with the most titles in the file first; the others match only as
named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db.models import F

from catalog.models import Artist, SongArtist
from catalog.naming import name_key
from catalog.selectors.lookups import InList
from catalog.selectors.refs import artist_keys_accented
from catalog.selectors.search_text import fold, trigrams, trigrams_similarity

# A typo scores well above it ("Someting" against "Something" is 0.58), while
# unrelated titles of one artist rarely reach 0.3, pg_trgm's own default, which is
# too loose for picking one song among an artist's.
TITLE_SIMILARITY = 0.5

# One file's bound: a file of made-up titles of a prolific artist, within the import's size
# limit, asked for minutes of a worker's CPU; a real history asks for far fewer comparisons
# (bench/README.md, "Import: matching a history").
MAX_TITLE_COMPARISONS = 2_000_000
# Turning a title into trigrams costs about as much as this many comparisons of two titles'
# trigrams (bench/README.md, "Import: matching a history"): a file naming every artist once
# prepares every credited title.
TRIGRAMS_COST = 15
# A file's names that no artist has are looked for under their accents (`Beyonce` is
# Beyoncé) up to this many, about 2 s of statements: a history naming thousands of artists
# the catalog lacks took minutes and failed (bench/README.md, "Import: matching a history").
ACCENTED_NAMES_AT_MOST = 2_000


@dataclass
class _ArtistSongs:
    # Main-artist credits first, then by song id: the first of equals wins.
    songs: list[tuple[int, str]] = field(default_factory=list)
    # Each normalised title's first song, and each folded one's (accents aside).
    by_key: dict[str, int] = field(default_factory=dict)
    by_folded: dict[str, int] = field(default_factory=dict)
    # Each song's title's trigrams, in the order of `songs`; computed when first needed.
    grams: list[frozenset[str]] | None = None


def song_name_key(artist: str, title: str) -> str:
    """What (artist, title) pairs are the same by: both names under `name_key`, so that case,
    width and spacing do not tell them apart."""
    return f"{name_key(artist)}\x1f{name_key(title)}"


def songs_match(pairs: Collection[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The matched song id of each (artist name, title) of `pairs` that matches (see the
    module's rule); pairs that match nothing are absent. Two queries for all pairs, three more
    when some artist is named otherwise than the catalog names it."""
    named = {artist: name_key(artist) for artist, _ in pairs}
    artists = _artist_ids(set(named.values()))
    accented = artist_keys_accented(_accents_looked_up(pairs, named, artists))
    if accented:
        artists.update(_artist_ids(set(accented.values())))
        named.update(accented)
    if not artists:
        return {}
    by_artist = {artist_id: _ArtistSongs() for artist_id in artists.values()}
    credits = (
        SongArtist.objects.filter(InList(F("artist_id"), list(by_artist)))
        .order_by("artist_id", "position", "song_id")
        .values_list("artist_id", "song_id", "song__title")
    )
    for artist_id, song_id, title in credits:
        songs = by_artist[artist_id]
        songs.songs.append((song_id, title))
        songs.by_key.setdefault(name_key(title), song_id)
        songs.by_folded.setdefault(fold(name_key(title)), song_id)
    matches = {}
    fuzzy = []
    for artist, title in pairs:
        found = artists.get(named[artist])
        if found is None:
            continue
        key = name_key(title)
        exact = by_artist[found].by_key.get(key, by_artist[found].by_folded.get(fold(key)))
        if exact is not None:
            matches[(artist, title)] = exact
        else:
            fuzzy.append((len(by_artist[found].songs), artist, title, found))
    # Fewest comparisons first, then by name: a file over the bound always matches the same
    # listens, and as many as the bound allows.
    fuzzy.sort()
    budget = MAX_TITLE_COMPARISONS
    for cost, artist, title, found in fuzzy:
        songs = by_artist[found]
        # The title's own trigrams, one comparison a song, and the songs' trigrams once.
        budget -= TRIGRAMS_COST + cost + (0 if songs.grams is not None else cost * TRIGRAMS_COST)
        if budget < 0:
            break
        best = _most_similar(songs, title)
        if best is not None:
            matches[(artist, title)] = best
    return matches


def _accents_looked_up(
    pairs: Collection[tuple[str, str]], named: dict[str, str], artists: dict[str, int]
) -> list[str]:
    """The names the catalog does not have whose accented forms are looked for: at most
    ACCENTED_NAMES_AT_MOST of them, those with the most titles in the file first (then by
    name, so that a file always matches the same listens)."""
    titles = Counter(artist for artist, _ in pairs if named[artist] not in artists)
    ranked = sorted(titles.items(), key=lambda item: (-item[1], item[0]))
    return sorted(name for name, _ in ranked[:ACCENTED_NAMES_AT_MOST])


def _artist_ids(keys: set[str]) -> dict[str, int]:
    """name_key -> id of the artists having those keys."""
    return dict(Artist.objects.filter(InList(F("name_key"), list(keys))).values_list("name_key", "id"))


def _most_similar(songs: _ArtistSongs, title: str) -> int | None:
    """The song whose title is the most similar to `title`, if it reaches TITLE_SIMILARITY."""
    if songs.grams is None:
        songs.grams = [frozenset(trigrams(their_title)) for _, their_title in songs.songs]
    grams = trigrams(title)
    best, best_score = None, TITLE_SIMILARITY
    for (song_id, _), theirs in zip(songs.songs, songs.grams, strict=True):
        score = trigrams_similarity(grams, theirs)
        if score >= best_score and (best is None or score > best_score):
            best, best_score = song_id, score
    return best
