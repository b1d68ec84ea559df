"""Each signal's score for every song of the catalog, normalised so that its largest
magnitude is 1 (a signal with no evidence is all zeros), with what a reason needs to name it.

What depends on the listener's evidence (collaborative, artist, genre) is computed only on the
songs of the artists and genres that evidence reaches; what is the same for every listener
(popularity, each mood's fit) once per catalog and model: a list over a million songs costs
a few passes over the catalog (bench/README.md, "Recommendations"). The genre signal is kept
for every song (dense): a listener's genres reach a large share of the catalog, since a
genre holds thousands of songs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recommendations.engine.arrays import (
    CatalogArrays,
    FloatArray,
    IntArray,
    Listener,
    acted_interest,
    artist_interest,
    genre_interest,
    nonzero_at,
    sound_similarity,
)
from recommendations.engine.collaborative import CollaborativeModel, collaborative_scores
from recommendations.engine.credits import followed, listened_artists
from recommendations.engine.moods import mood_scores

SIGNALS: tuple[str, ...] = ("collaborative", "artist", "genre", "content", "mood", "popularity")


@dataclass(frozen=True)
class Evidence:
    """Per signal but content, every song's normalised score; and for the reasons
    (`best_item` finds a song's artist or genre from them): the listener's interest per
    artist and genre (scaled as the songs' scores were, so that a song's genre score is its
    best genre's value), the collaborative score per artist and the listener's artist each
    came from, per song the mood that fitted best."""

    # Dense signals (genre, mood, popularity): every song's score.
    scores: dict[str, FloatArray]
    # The others (collaborative, artist): the songs outside which the signal is 0 (sorted),
    # and its score on each of them.
    supports: dict[str, IntArray]
    on_support: dict[str, FloatArray]
    artist_values: FloatArray
    genre_values: FloatArray
    collaborative_values: FloatArray
    collaborative_source: IntArray
    mood_index: FloatArray
    has_history: bool
    # The listener's taste in sound, for the content signal (None: no song with features
    # acted on), which `content_at` computes for the songs asked about only.
    taste: FloatArray | None = None
    # Whether any song in that taste was liked: with skips and low ratings alone, the taste
    # points away from what the listener passed on, and a reason must say so.
    taste_liked: bool = False
    # Where what is the same for every listener of this catalog and model is kept.
    memo: dict = field(default_factory=dict, repr=False)

    def score_of(self, signal: str, song: int) -> float:
        """`song`'s normalised score for `signal` (not content: `content_at`)."""
        support = self.supports.get(signal)
        if support is None:
            return float(self.scores[signal][song])
        at = int(np.searchsorted(support, song))
        return float(self.on_support[signal][at]) if at < len(support) and support[at] == song else 0.0

    def dense(self, signal: str, size: int) -> FloatArray:
        """`signal`'s score for every song (not content), for checks that want it whole."""
        if signal not in self.supports:
            return self.scores[signal]
        values = np.zeros(size, np.float32)
        values[self.supports[signal]] = self.on_support[signal]
        return values


def normalised(values: FloatArray) -> FloatArray:
    peak = float(np.abs(values).max()) if len(values) else 0.0
    return (values / peak).astype(np.float32) if peak > 0 else np.zeros_like(values, dtype=np.float32)


def songs_of(catalog: CatalogArrays, item_songs: sp.csr_matrix, items: IntArray) -> IntArray:
    """The songs credited to (or tagged with) any of `items` (`item_songs`: items x songs), in
    order."""
    if len(items) == 0:
        return np.zeros(0, np.int64)
    found = item_songs[items].indices
    if len(found) < catalog.size // 50:  # few: sorting them beats a pass over the catalog
        return np.unique(found).astype(np.int64)
    marked = np.zeros(catalog.size, bool)
    marked[found] = True
    return np.flatnonzero(marked)


def songs_blocked(catalog: CatalogArrays, songs: IntArray, artists: IntArray, genres: IntArray) -> IntArray:
    """`songs`, and every song crediting one of `artists` (in any position: featured credits
    too) or in one of `genres`: what a listener who blocked them must never be shown."""
    return np.concatenate(
        [
            songs,
            songs_of(catalog, catalog.artist_songs, artists),
            songs_of(catalog, catalog.genre_songs, genres),
        ]
    ).astype(np.int64)


def none(catalog: CatalogArrays) -> FloatArray:
    """A signal with no evidence: zeros, shared (read only) rather than allocated each time."""
    if "zeros" not in catalog.memo:
        zeros = np.zeros(catalog.size, np.float32)
        zeros.flags.writeable = False
        catalog.memo["zeros"] = zeros
    return catalog.memo["zeros"]


def best_per_song(catalog: CatalogArrays, item_songs: sp.csr_matrix, item_values: FloatArray) -> FloatArray:
    """Every song's value of its best item (artist or genre; `item_songs`: items x songs); a
    song with no positive item takes its most negative one, so that a disliked artist pushes
    its songs down. A song none of whose items has a value: 0.

    Each item with a value writes it over its songs, in an order where the write that should
    stand comes last: the negative values from the least negative, then the positive ones
    from the smallest. One pass over the songs of the items with a value."""
    values = np.zeros(catalog.size, np.float32)
    items = nonzero_at(item_values)
    item_order = items[np.lexsort((np.abs(item_values[items]), item_values[items] > 0))]
    indptr, indices = item_songs.indptr, item_songs.indices
    for item in item_order.tolist():
        values[indices[indptr[item] : indptr[item + 1]]] = item_values[item]
    return values


def genre_signal(catalog: CatalogArrays, genres: FloatArray) -> tuple[FloatArray, FloatArray]:
    """From the listener's interest per genre: that interest scaled, and every song's genre
    score (`best_per_song`, normalised; `none` when no genre has a value). Both are divided by
    the same peak, so that a song's score is its best genre's scaled value, also when a genre
    with no songs holds the largest interest."""
    if not genres.any():
        return np.zeros_like(genres, dtype=np.float32), none(catalog)
    scores = best_per_song(catalog, catalog.genre_songs, genres)
    peak = float(np.abs(scores).max())
    if peak == 0:  # the genres with a value have no songs
        return np.zeros_like(genres, dtype=np.float32), none(catalog)
    return (genres / peak).astype(np.float32), scores / np.float32(peak)


@dataclass(frozen=True)
class Credits:
    """`songs` and their credits flattened: credit i is artist `artists[i]` of song
    `songs[rows[i]]`."""

    songs: IntArray
    artists: IntArray
    rows: IntArray


def credits_of(catalog: CatalogArrays, songs: IntArray) -> Credits:
    slice_ = catalog.song_artists[songs]
    rows = np.repeat(np.arange(len(songs)), np.diff(slice_.indptr))
    return Credits(songs=songs, artists=slice_.indices.astype(np.int64), rows=rows)


def mean_per_song(credits: Credits, artist_values: FloatArray, ignore: npt.NDArray[np.bool_]) -> FloatArray:
    """For each of `credits.songs`, the mean value of its artists outside `ignore` (0 when all
    are ignored). The collaborative score of a song is its new artists' mean: a song that
    credits a well-liked artist and one nobody listens to is half as likely a find as the
    first artist's own songs (and would bring the second artist along)."""
    counted = ~ignore[credits.artists]
    values = np.where(counted, artist_values[credits.artists], 0.0)
    size = len(credits.songs)
    # float64 even when no song has an artist, where bincount gives integers.
    sums = np.bincount(credits.rows, weights=values, minlength=size).astype(np.float64)
    counts = np.bincount(credits.rows, weights=counted.astype(np.float64), minlength=size).astype(np.float64)
    return np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0).astype(np.float32)


def model_credits(catalog: CatalogArrays, model: CollaborativeModel) -> Credits:
    """The songs of the model's artists (the only ones a collaborative score can reach), with
    their credits: the same for every listener, so kept with the model."""
    if "credits" not in model.memo:
        model.memo["credits"] = credits_of(catalog, songs_of(catalog, catalog.artist_songs, model.artists))
    return model.memo["credits"]


def best_item(song_items: sp.csr_matrix, item_values: FloatArray, song: int) -> int:
    """The item (artist or genre) that gave `song` its `best_per_song` value; -1 for none."""
    items = song_items.indices[song_items.indptr[song] : song_items.indptr[song + 1]]
    if len(items) == 0:
        return -1
    values = item_values[items]
    at = int(np.argmax(values)) if values.max() > 0 else int(np.argmin(values))
    return int(items[at]) if values[at] != 0 else -1


def _taste(catalog: CatalogArrays, acted: IntArray, interest: FloatArray) -> FloatArray | None:
    """The mean sound of the songs with audio features the listener acted on, weighted by
    their signed interest (a skipped song pulls the taste away from its sound)."""
    known = catalog.sound_known[acted]
    acted, weights = acted[known], interest[known]
    if len(acted) == 0:
        return None
    return ((weights[:, None] * catalog.standardised[acted]).sum(axis=0) / np.abs(weights).sum()).astype(
        np.float32
    )


def content_at(catalog: CatalogArrays, found: Evidence, songs: IntArray) -> FloatArray:
    """The content signal of `songs`: how alike each sounds (`sound_similarity`, 0..1) to the
    listener's taste. Computed for the songs asked about only (ranking asks for those that
    could reach the list): the one signal that is neither the same for every listener nor
    limited to the songs of their artists and genres."""
    if found.taste is None:
        return np.zeros(len(songs), np.float32)
    return sound_similarity(catalog, found.taste, songs)


# The popularity prior's share that comes from this service's own listeners (how many liked,
# played or shared each song), the rest from the catalog's popularity figure.
LISTENER_SHARE = 0.9
# A song's listeners count towards the prior only from this many on: below it, the catalog's
# popularity decides. One listener's play is that listener's history, not popularity: on a
# young service, a song nobody else knows would be "popular in the catalog" to everyone, and
# would show them what that one listener played.
MIN_LISTENERS = 3


def popularity(catalog: CatalogArrays, model: CollaborativeModel | None) -> FloatArray:
    """The popularity prior, 0..1, normalised: the catalog's figure, and once songs have
    MIN_LISTENERS listeners in the model, mostly how many each has (log-scaled). The same for
    every listener: computed once per catalog and model. No evidence (zeros) when it is the
    same for every song: a catalog without popularity figures, ratings or enough listeners
    tells no song from another, and none may be said to be popular."""
    memo = catalog.memo if model is None else model.memo
    if "popularity" not in memo:
        counted = np.zeros(0) if model is None else model.listeners()
        counted = np.where(counted >= MIN_LISTENERS, counted, 0.0)
        if not counted.any():
            values = catalog.prior.astype(np.float32)
        else:
            listened = np.log1p(counted)
            listened = listened / max(float(listened.max()), 1e-9)
            values = (LISTENER_SHARE * listened + (1 - LISTENER_SHARE) * catalog.prior).astype(np.float32)
        spread = len(values) > 0 and float(values.max()) > float(values.min())
        memo["popularity"] = normalised(values) if spread else none(catalog)
        memo["popularity floor"] = float(memo["popularity"].min()) if spread else 0.0
    return memo["popularity"]


# A song is "popular in the catalog" when its popularity stands at least this share of the way
# from the catalog's least popular song to its most: what every song has (an unrated song's
# neutral rating, a popularity of 0) is no popularity, and one rated song must not make every
# other popular at nine tenths of its figure.
POPULAR_SHARE = 0.35


def is_popular(found: Evidence, song: int) -> bool:
    floor = float(found.memo.get("popularity floor", 0.0))
    return found.score_of("popularity", song) - floor >= POPULAR_SHARE * (1.0 - floor)


def evidence(catalog: CatalogArrays, listener: Listener, model: CollaborativeModel | None) -> Evidence:
    acted, interest = acted_interest(listener)
    artists = artist_interest(catalog, listener, acted, interest)
    genres = genre_interest(catalog, listener, acted, interest)
    listened = listened_artists(catalog, listener, acted, interest)
    sources = np.full(len(catalog.artist_names), -1, np.int64)
    by_artist = np.zeros(len(catalog.artist_names), np.float32)
    if model is not None:
        others = model if listener.user_id is None else model.excluding(listener.user_id)
        by_artist, sources = collaborative_scores(others, listened)
        by_artist = normalised(by_artist)
    artist_values = normalised(artists)
    genre_values, genre = genre_signal(catalog, genres)
    mood, mood_index = (
        mood_scores(catalog, listener.moods) if listener.moods else (none(catalog), none(catalog))
    )
    reached = (
        model_credits(catalog, model)
        if model is not None and by_artist.any()
        else credits_of(catalog, np.zeros(0, np.int64))
    )
    supports = {
        "collaborative": reached.songs,
        "artist": songs_of(catalog, catalog.artist_songs, nonzero_at(artist_values)),
    }
    on_support = {
        "collaborative": mean_per_song(reached, by_artist, followed(listened)),
        "artist": best_per_song(catalog, catalog.artist_songs, artist_values)[supports["artist"]],
    }
    scores = {
        "genre": genre,
        "mood": normalised(mood) if listener.moods else none(catalog),
        "popularity": popularity(catalog, model),
    }
    return Evidence(
        scores=scores,
        supports=supports,
        on_support={signal: normalised(values) for signal, values in on_support.items()},
        artist_values=artist_values,
        genre_values=genre_values,
        collaborative_values=by_artist,
        collaborative_source=sources,
        mood_index=mood_index,
        has_history=len(acted) > 0,
        taste=_taste(catalog, acted, interest),
        taste_liked=bool((interest[catalog.sound_known[acted]] > 0).any()),
        memo=catalog.memo if model is None else model.memo,
    )
