"""The reasons of a recommendation: sentences naming the signals that put a song in a list."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from recommendations.engine.arrays import CatalogArrays, IntArray, Listener
from recommendations.engine.moods import mood_reason
from recommendations.engine.signals import SIGNALS, Evidence, best_item, content_at, is_popular

if TYPE_CHECKING:
    from recommendations.engine.ranking import Weights

# A signal is named in the reasons when it adds at least this share of the song's strongest
# one; an artist or genre the listener likes also when the song's is at least this share of
# their favourite's (their weights are small, yet among songs that fit a mood alike they
# decide which make the list: the reasons must say so).
REASON_SHARE = 0.35
LIKED_ITEMS = ("artist", "genre")
MAX_REASONS = 3
# A song no signal adds anything to (nothing the listener did or asked for reaches it, and it
# is no more popular than any other) is in the list only to fill it: the one thing true to say.
NOTHING_ADDED = "from the catalog: nothing you did or asked for points to it yet"


def _liked(listener: Listener, named: IntArray, item: int, kind: str) -> str:
    """Why an artist or genre counts: the listener likes it; or, in a list a request's seeds
    steer (`Listener.asked`), it was asked for by name, or it is one of the seed songs'."""
    if not listener.asked:
        return f"{kind} you like"
    return f"{kind} you asked for" if item in set(named.tolist()) else "like the songs you asked for"


def _reason(
    catalog: CatalogArrays, found: Evidence, listener: Listener, signal: str, song: int
) -> str | None:
    if signal == "collaborative":
        artist = best_item(catalog.song_artists, found.collaborative_values, song)
        source = found.collaborative_source[artist] if artist >= 0 else -1
        if source < 0:  # the score came from what the listener passed on
            return "unlike what you passed on, by other listeners' tastes"
        return f"liked by listeners who like {catalog.artist_names[source]}"
    if signal == "artist":
        artist = best_item(catalog.song_artists, found.artist_values, song)
        liked = _liked(listener, listener.artists, artist, "an artist")
        return f"by {catalog.artist_names[artist]}, {liked}" if artist >= 0 else None
    if signal == "genre":
        genre = best_item(catalog.song_genres, found.genre_values, song)
        return (
            f"{catalog.genre_names[genre]}, {_liked(listener, listener.genres, genre, 'a genre')}"
            if genre >= 0
            else None
        )
    if signal == "content":
        songs = "the songs you asked for" if listener.asked else "the songs you like"
        return f"sounds like {songs}" if found.taste_liked else "sounds unlike the songs you passed on"
    if signal == "mood":
        return mood_reason(catalog, listener.moods[int(found.mood_index[song])], song)
    return "popular in the catalog" if is_popular(found, song) else None


def reasons_for(
    catalog: CatalogArrays, found: Evidence, listener: Listener, weights: Weights, song: int
) -> tuple[str, ...]:
    """Sentences naming the signals that put `song` in the list, strongest first;
    NOTHING_ADDED when none adds anything."""

    def score(signal: str) -> float:
        if signal == "content":
            return float(content_at(catalog, found, np.array([song]))[0])
        return found.score_of(signal, song)

    added = sorted(((weights.of(signal) * score(signal), signal) for signal in SIGNALS), reverse=True)
    strongest = added[0][0]
    reasons: list[str] = []
    for amount, signal in added:
        if amount <= 0 or len(reasons) == MAX_REASONS:
            break
        liked = signal in LIKED_ITEMS and amount >= REASON_SHARE * weights.of(signal)
        if amount < REASON_SHARE * strongest and not liked:
            continue
        sentence = _reason(catalog, found, listener, signal, song)
        if sentence and sentence not in reasons:
            reasons.append(sentence)
    return tuple(reasons) or (NOTHING_ADDED,)
