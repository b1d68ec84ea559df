"""Each signal's score for every song of the catalog, normalised so that its largest
magnitude is 1 (a signal with no evidence is all zeros), with what a reason needs to name it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recommendations.engine.arrays import (
    KNOWN_INTEREST,
    CatalogArrays,
    FloatArray,
    IntArray,
    Listener,
    artist_interest,
    genre_interest,
    song_interest,
    sound_similarity,
)
from recommendations.engine.collaborative import CollaborativeModel, collaborative_scores
from recommendations.engine.moods import mood_scores

SIGNALS: tuple[str, ...] = ("collaborative", "artist", "genre", "content", "mood", "popularity")


@dataclass(frozen=True)
class Evidence:
    """Per signal, every song's normalised score (`scores[signal]`); and for the reasons
    (`best_item` finds a song's artist or genre from them): the listener's interest per
    artist and genre, the collaborative score per artist and the listener's artist each came
    from, per song the mood that fitted best."""

    scores: dict[str, FloatArray]
    artist_values: FloatArray
    genre_values: FloatArray
    collaborative_values: FloatArray
    collaborative_source: IntArray
    mood_index: FloatArray
    has_history: bool


def normalised(values: FloatArray) -> FloatArray:
    peak = float(np.abs(values).max()) if len(values) else 0.0
    return (values / peak).astype(np.float32) if peak > 0 else np.zeros_like(values, dtype=np.float32)


def best_per_song(song_items: sp.csr_matrix, item_values: FloatArray) -> FloatArray:
    """For each song, the value of its best item (artist or genre); a song with no positive
    item takes its most negative one, so that a disliked artist pushes its songs down."""
    values = item_values[song_items.indices]
    filled = np.diff(song_items.indptr) > 0
    starts = song_items.indptr[:-1][filled]
    best = np.zeros(song_items.shape[0], np.float32)
    if len(values) == 0:
        return best
    high = np.maximum.reduceat(values, starts)
    low = np.minimum.reduceat(values, starts)
    best[filled] = np.where(high > 0, high, np.minimum(low, 0.0))
    return best


def mean_per_song(
    song_items: sp.csr_matrix, item_values: FloatArray, ignore: npt.NDArray[np.bool_]
) -> FloatArray:
    """For each song, the mean value of its items outside `ignore` (0 when all are ignored).
    The collaborative score of a song is its new artists' mean: a song that credits a
    well-liked artist and one nobody listens to is half as likely a find as the first
    artist's own songs (and would bring the second artist along)."""
    counted = ~ignore[song_items.indices]
    values = np.where(counted, item_values[song_items.indices], 0.0)
    rows = np.repeat(np.arange(song_items.shape[0]), np.diff(song_items.indptr))
    # float64 even for a catalog without credits, where bincount gives integers.
    sums = np.bincount(rows, weights=values, minlength=song_items.shape[0]).astype(np.float64)
    counts = np.bincount(rows, weights=counted.astype(np.float64), minlength=song_items.shape[0]).astype(
        np.float64
    )
    return np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0).astype(np.float32)


def best_item(song_items: sp.csr_matrix, item_values: FloatArray, song: int) -> int:
    """The item (artist or genre) that gave `song` its `best_per_song` value; -1 for none."""
    items = song_items.indices[song_items.indptr[song] : song_items.indptr[song + 1]]
    if len(items) == 0:
        return -1
    values = item_values[items]
    at = int(np.argmax(values)) if values.max() > 0 else int(np.argmin(values))
    return int(items[at]) if values[at] != 0 else -1


def _content(catalog: CatalogArrays, songs: FloatArray) -> FloatArray:
    """How alike each song sounds (`sound_similarity`) to the listener's taste: the mean sound
    of the songs with audio features they acted on, weighted by their signed interest (a
    skipped song pulls the taste away from its sound)."""
    acted = np.flatnonzero(songs)
    acted = acted[catalog.sound_known[acted]]
    if len(acted) == 0:
        return np.zeros(catalog.size, np.float32)
    weights = songs[acted]
    taste = (weights[:, None] * catalog.standardised[acted]).sum(axis=0) / np.abs(weights).sum()
    return sound_similarity(catalog, taste.astype(np.float32))


# The popularity prior's share that comes from this service's own listeners (how many liked,
# played or shared each song), the rest from the catalog's popularity figure.
LISTENER_SHARE = 0.9


def popularity(catalog: CatalogArrays, model: CollaborativeModel | None) -> FloatArray:
    """The popularity prior, 0..1: the catalog's figure, and once the model has listeners,
    mostly how many of them each song has (log-scaled)."""
    if model is None or not model.song_listeners.any():
        return catalog.prior.astype(np.float32)
    listened = np.log1p(np.maximum(model.listeners(), 0.0))
    listened = listened / max(float(listened.max()), 1e-9)
    return (LISTENER_SHARE * listened + (1 - LISTENER_SHARE) * catalog.prior).astype(np.float32)


def evidence(catalog: CatalogArrays, listener: Listener, model: CollaborativeModel | None) -> Evidence:
    songs = song_interest(catalog, listener)
    artists = artist_interest(catalog, listener, songs)
    genres = genre_interest(catalog, listener, songs)
    scores: dict[str, FloatArray] = {}
    sources = np.full(len(catalog.artist_names), -1, np.int64)
    by_artist = np.zeros(len(catalog.artist_names), np.float32)
    if model is not None:
        by_artist, sources = collaborative_scores(model, artists)
        by_artist = normalised(by_artist)
    scores["collaborative"] = mean_per_song(catalog.song_artists, by_artist, ignore=artists > KNOWN_INTEREST)
    scores["artist"] = best_per_song(catalog.song_artists, normalised(artists))
    scores["genre"] = best_per_song(catalog.song_genres, normalised(genres))
    scores["content"] = _content(catalog, songs)
    mood, mood_index = mood_scores(catalog.features, listener.moods)
    scores["mood"] = np.where(catalog.sound_known, mood, 0.0).astype(np.float32)
    scores["popularity"] = popularity(catalog, model)
    return Evidence(
        scores={name: normalised(values) for name, values in scores.items()},
        artist_values=normalised(artists),
        genre_values=normalised(genres),
        collaborative_values=by_artist,
        collaborative_source=sources,
        mood_index=mood_index,
        has_history=bool(np.any(songs)),
    )
