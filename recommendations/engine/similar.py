"""Similar songs: the songs that sound most alike (`sound_similarity`, the one definition the
content signal uses too), over the whole catalog."""

from __future__ import annotations

import numpy as np

from recommendations.engine.arrays import SOUND_APPROXIMATION, CatalogArrays, IntArray, sound_similarity


def similar_songs(
    catalog: CatalogArrays, song: int, limit: int, exclude: IntArray | None = None
) -> list[tuple[int, float]]:
    """Up to `limit` (position, similarity) pairs, most alike first (ties by position), never
    `song` itself, one of `exclude` nor a song without audio features; none for a song
    without them."""
    if limit <= 0 or not catalog.sound_known[song]:
        return []
    point = catalog.standardised[song]
    rough = sound_similarity(catalog, point).astype(np.float64)
    rough[~catalog.sound_known] = -np.inf
    rough[song] = -np.inf
    if exclude is not None:
        rough[exclude] = -np.inf
    candidates = int(np.count_nonzero(np.isfinite(rough)))
    take = min(limit, candidates)
    if take == 0:
        return []
    # Every song that may be among the best once scored exactly, then scored exactly; ties at
    # the cut go by position.
    cut = -np.partition(-rough, take - 1)[take - 1]
    near = np.flatnonzero(rough >= cut - 2 * SOUND_APPROXIMATION)
    exact = sound_similarity(catalog, point, near).astype(np.float64)
    ordered = np.lexsort((near, -exact))[:take]
    return [(int(near[at]), float(exact[at])) for at in ordered]
