"""Similar songs: the songs that sound most alike (`sound_similarity`, the one definition the
content signal uses too), over the whole catalog."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from recommendations.engine.arrays import (
    SOUND_APPROXIMATION,
    CatalogArrays,
    FloatArray,
    IntArray,
    sound_similarity,
)


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
    # Twice as many read as asked for, then twice that while copies of one recording (which
    # sound alike, and each count once) leave the list short.
    take = min(2 * limit, candidates)
    while True:
        found = _best_recordings(catalog, point, rough, take, limit)
        if len(found) == limit or take == candidates:
            return found
        take = min(2 * take, candidates)


def _best_recordings(
    catalog: CatalogArrays, point: FloatArray, rough: npt.NDArray[np.float64], take: int, limit: int
) -> list[tuple[int, float]]:
    """Up to `limit` (position, similarity) pairs, one a recording, among the `take` songs
    best by `rough` (the approximate similarity, -inf where excluded)."""
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
