"""Similar songs: the songs that sound most alike (`sound_similarity`, the one definition the
content signal uses too), over the whole catalog."""

from __future__ import annotations

import numpy as np

from recommendations.engine.arrays import CatalogArrays, sound_similarity


def similar_songs(catalog: CatalogArrays, song: int, limit: int) -> list[tuple[int, float]]:
    """Up to `limit` (position, similarity) pairs, most alike first (ties by position), never
    `song` itself nor a song without audio features; none for a song without them."""
    if limit <= 0 or not catalog.sound_known[song]:
        return []
    scores = sound_similarity(catalog, catalog.standardised[song]).astype(np.float64)
    scores[~catalog.sound_known] = -np.inf
    scores[song] = -np.inf
    candidates = int(np.count_nonzero(np.isfinite(scores)))
    take = min(limit, candidates)
    if take == 0:
        return []
    # Every song scoring at least the take-th best, so that ties at the cut go by position.
    cut = -np.partition(-scores, take - 1)[take - 1]
    top = np.flatnonzero(scores >= cut)
    ordered = top[np.lexsort((top, -scores[top]))][:take]
    return [(int(position), float(scores[position])) for position in ordered]
