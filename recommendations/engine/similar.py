"""Similar songs: the songs that sound most alike (`sound_similarity`, the one definition the
content signal uses too), over the whole catalog."""

from __future__ import annotations

import numpy as np

from recommendations.engine.arrays import SOUND_APPROXIMATION, CatalogArrays, IntArray, sound_similarity


def similar_songs(
    catalog: CatalogArrays, song: int, limit: int, exclude: IntArray | None = None
) -> list[tuple[int, float]]:
    """Up to `limit` (position, similarity) pairs, most alike first (ties by position), never
    `song` itself (nor another id of its recording), one of `exclude`, a song without audio
    features, nor two ids of one recording; none for a song without them."""
    if limit <= 0 or not catalog.sound_known[song]:
        return []
    point = catalog.standardised[song]
    rough = sound_similarity(catalog, point).astype(np.float64)
    rough[~catalog.sound_known] = -np.inf
    rough[catalog.same_songs(np.array([song]))] = -np.inf
    if exclude is not None:
        rough[exclude] = -np.inf
    candidates = int(np.count_nonzero(np.isfinite(rough)))
    # Twice as many read as asked for: the copies of a recording sound alike, and each
    # counts once.
    take = min(2 * limit, candidates)
    if take == 0:
        return []
    # Every song that may be among the best once scored exactly, then scored exactly; ties at
    # the cut go by position.
    cut = -np.partition(-rough, take - 1)[take - 1]
    near = np.flatnonzero(rough >= cut - 2 * SOUND_APPROXIMATION)
    exact = sound_similarity(catalog, point, near).astype(np.float64)
    found: list[tuple[int, float]] = []
    seen: set[int] = set()
    for at in np.lexsort((near, -exact)):
        position = int(near[at])
        recording = int(catalog.recording[position]) if catalog.recording is not None else position
        if recording not in seen:
            seen.add(recording)
            found.append((position, float(exact[at])))
            if len(found) == limit:
                break
    return found
