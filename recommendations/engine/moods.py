"""Moods as target ranges of audio features: the one table.

Each mood of the profile vocabulary (users.moods.MOODS; a test holds the two equal) names the
features that carry it and the range of raw values (Spotify's scales: 0..1, tempo in BPM)
a song in that mood falls in. A song's fit to a mood is the mean, over the mood's features,
of 1 inside the range, falling linearly to 0 at `MOOD_FALLOFF` of the feature's scale
outside it; with several moods a song takes its best fit.
"""

from __future__ import annotations

import numpy as np

from recommendations.engine.arrays import FEATURES, CatalogArrays, FloatArray

MOOD_TARGETS: dict[str, dict[str, tuple[float, float]]] = {
    # Bright and upbeat: positive valence, some energy, danceable.
    "happy": {"valence": (0.65, 1.0), "energy": (0.55, 1.0), "danceability": (0.55, 1.0)},
    # Low valence and subdued.
    "sad": {"valence": (0.0, 0.3), "energy": (0.0, 0.45)},
    # Loud and fast.
    "energetic": {"energy": (0.8, 1.0), "tempo": (120.0, 200.0), "loudness": (-7.0, 0.0)},
    # Quiet, acoustic, unhurried.
    "calm": {"energy": (0.0, 0.35), "acousticness": (0.6, 1.0), "tempo": (50.0, 110.0)},
    # Music to work to: instrumental, little speech, moderate energy.
    "focused": {"instrumentalness": (0.5, 1.0), "speechiness": (0.0, 0.08), "energy": (0.2, 0.65)},
    # Danceable, energetic, bright.
    "party": {"danceability": (0.7, 1.0), "energy": (0.7, 1.0), "valence": (0.5, 1.0)},
    # Warm and slow-ish: middling valence, gentle energy, acoustic leaning.
    "romantic": {"valence": (0.3, 0.7), "energy": (0.15, 0.55), "acousticness": (0.35, 1.0)},
    # Sad and acoustic, slower than "sad" alone asks.
    "melancholic": {"valence": (0.0, 0.35), "acousticness": (0.45, 1.0), "energy": (0.0, 0.5)},
}

# The width of each feature's scale, over which a value outside a range loses its fit.
FEATURE_SCALE: dict[str, float] = {"tempo": 150.0, "loudness": 30.0}
MOOD_FALLOFF = 0.25
# A recommendation says a song is in a mood only when it fits it at least this well (nearly
# every feature in its range): a mood lifts the songs that fit it best, and where the catalog
# has few, those may fit it only in part ("happy" in energy and danceability, sad in valence).
MOOD_REASON_FIT = 0.9


def mood_fit(features: FloatArray, mood: str) -> FloatArray:
    """Every song's fit to `mood`, 0..1 (`features`: raw values in FEATURES order)."""
    fits = []
    for name, (low, high) in MOOD_TARGETS[mood].items():
        values = features[:, FEATURES.index(name)]
        outside = np.maximum(low - values, 0.0) + np.maximum(values - high, 0.0)
        width = MOOD_FALLOFF * FEATURE_SCALE.get(name, 1.0)
        fits.append(np.clip(1.0 - outside / width, 0.0, 1.0))
    return np.mean(fits, axis=0).astype(np.float32)


def _fit_of(catalog: CatalogArrays, mood: str) -> FloatArray:
    """`mood_fit` over the catalog, 0 for songs without audio features: the same for every
    listener, so computed once per catalog."""
    key = f"mood:{mood}"
    if key not in catalog.memo:
        catalog.memo[key] = np.where(catalog.sound_known, mood_fit(catalog.features, mood), 0.0).astype(
            np.float32
        )
    return catalog.memo[key]


def mood_scores(catalog: CatalogArrays, moods: tuple[str, ...]) -> tuple[FloatArray, FloatArray]:
    """Every song's best fit over `moods` and which mood (index into `moods`) gave it."""
    if not moods:
        return np.zeros(catalog.size, np.float32), np.zeros(catalog.size, np.float32)
    if len(moods) == 1:
        return _fit_of(catalog, moods[0]), np.zeros(catalog.size, np.float32)
    fits = np.stack([_fit_of(catalog, mood) for mood in moods])
    return fits.max(axis=0), fits.argmax(axis=0).astype(np.float32)


def mood_reason(catalog: CatalogArrays, mood: str, song: int) -> str | None:
    """What may be said of `song` and the listener's `mood`: in it (MOOD_REASON_FIT), in part,
    or nothing when it fits it not at all."""
    fit = float(_fit_of(catalog, mood)[song])
    if fit >= MOOD_REASON_FIT:
        return f"{mood}, like your '{mood}' mood"
    return f"in part like your '{mood}' mood" if fit > 0 else None
