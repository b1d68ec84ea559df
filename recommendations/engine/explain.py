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
)
from recommendations.engine.signals import SIGNALS, content_at, evidence


@dataclass(frozen=True)
class Placement:
    """A song's place in the blend, against the list of `limit` songs computed from the same
    blend (`listed`, positions, best first): its score and rank (1 = best) among the songs a
    list may hold, each signal's weighted part of the score, and the score of the list's last
    song."""

    score: float
    rank: int
    parts: dict[str, float]
    listed: list[int]
    cut: float


def placement(
    *,
    catalog: CatalogArrays,
    listener: Listener,
    model: CollaborativeModel | None,
    song: int,
    limit: int,
    weights: Weights = BLEND,
) -> Placement:
    """Where `song` stands for `listener` in a list of `limit` songs. The rank counts the
    songs scored above it (the content signal counted near the top of the list only, as the
    list itself does), so far down the catalog it is approximate."""
    found = evidence(catalog, listener, model)
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
    return Placement(
        score=score,
        rank=int(np.count_nonzero(total[np.isfinite(total)] > score)) + 1,
        parts=parts,
        listed=listed,
        cut=float(total[listed[-1]]) if listed else 0.0,
    )
