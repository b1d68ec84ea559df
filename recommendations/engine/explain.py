"""Why a song is not in a listener's list: where the blend puts it, and what each signal gave."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommendations.engine.arrays import CatalogArrays, Listener
from recommendations.engine.collaborative import CollaborativeModel
from recommendations.engine.ranking import (
    ARTIST_CAP,
    BLEND,
    CANDIDATE_FACTOR,
    TIE_BREAK,
    Weights,
    blend,
    excluded,
    rerank,
    steered,
    within_artist_cap,
)
from recommendations.engine.signals import SIGNALS, content_at, evidence


@dataclass(frozen=True)
class Placement:
    """A song's place in the blend, against the list of `limit` songs computed from the same
    blend (`listed`, positions, best first): its score; its rank (1 = best), its position in
    the list when it is there, else 1 + how many songs the blend scores above it; each
    signal's weighted part of the score; the score of the list's last song; and, for a song
    the list does not hold, whether the artist cap refuses it (an artist of it has
    ARTIST_CAP songs there)."""

    score: float
    rank: int
    parts: dict[str, float]
    listed: list[int]
    cut: float
    capped: bool


def placement(
    *,
    catalog: CatalogArrays,
    listener: Listener,
    model: CollaborativeModel | None,
    song: int,
    limit: int,
    weights: Weights = BLEND,
) -> Placement:
    """Where `song` stands for `listener` in a list of `limit` songs. Outside the list, the
    rank counts the songs scored above it (the content signal counted near the top of the
    list only, as the list itself does), so far down the catalog it is approximate; those
    the artist cap or another id of their recording keep out of the list count too."""
    found = evidence(catalog, listener, model)
    weights = steered(weights, listener)
    blended = blend(catalog, found, weights, limit * CANDIDATE_FACTOR, excluded(catalog, listener))
    listed = rerank(catalog, blended, limit, ARTIST_CAP).tolist()
    parts = {
        signal: weights.of(signal)
        * float(
            content_at(catalog, found, np.array([song]))[0]
            if signal == "content"
            else found.score_of(signal, song)
        )
        for signal in SIGNALS
    }
    score = float(TIE_BREAK * catalog.prior[song]) + sum(parts.values())
    total = blended.total
    # Against the song's own total, as the others' were computed (float32, content only where
    # they got it), never against `score`: recomputed in float64, a song could count itself.
    own = total[song] if np.isfinite(total[song]) else np.float32(score)
    rank = listed.index(song) + 1 if song in listed else int(np.count_nonzero(total > own)) + 1
    return Placement(
        score=score,
        rank=rank,
        parts=parts,
        listed=listed,
        cut=float(total[listed[-1]]) if listed else 0.0,
        capped=song not in listed and _capped(catalog, listed, song),
    )


def _capped(catalog: CatalogArrays, listed: list[int], song: int) -> bool:
    """Whether `rerank`'s rule (`within_artist_cap`) refuses `song` a place beside `listed`:
    the list's songs counted by that rule, then the song checked against them."""
    indptr, indices = catalog.song_artists.indptr, catalog.song_artists.indices
    taken: dict[int, int] = {}
    for at in [*listed, song]:
        if not within_artist_cap(indices[indptr[at] : indptr[at + 1]].tolist(), taken, ARTIST_CAP):
            return True
    return False
