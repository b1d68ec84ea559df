"""What the engine is given: the catalog and one listener, as arrays indexed by position.

A song, artist or genre is known here by its position in the catalog's arrays, never by a
database id: the service maps both ways (`CatalogArrays.song_ids`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def row_entries(matrix: sp.csr_matrix, rows: IntArray) -> tuple[IntArray, IntArray]:
    """The column of every entry of `rows` of a CSR matrix, row after row in the order of
    `rows`, and for each entry the position in `rows` of the row it is in. Gathered from
    the matrix's arrays: indexing the matrix builds a new one (~50 µs, where a list of a
    hundred songs asks once a song)."""
    counts = np.diff(matrix.indptr)[rows]
    which = np.repeat(np.arange(len(rows)), counts)
    start = np.repeat(matrix.indptr[rows] - np.cumsum(counts) + counts, counts)
    return matrix.indices[start + np.arange(len(which))].astype(np.int64), which


def nonzero_at(values: FloatArray) -> IntArray:
    """The positions of `values`' nonzero entries. Compared first: NumPy finds the true
    entries of a bool array many times faster than the nonzero ones of a float array."""
    return np.flatnonzero(values != 0)


# The audio features a song's sound is described by, in the columns' order of
# `CatalogArrays.features`. Nullable ones (speechiness) arrive filled with the catalog mean.
FEATURES: tuple[str, ...] = (
    "danceability",
    "energy",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "speechiness",
    "loudness",
    "tempo",
)


def _standardise(features: FloatArray) -> FloatArray:
    """Each column to mean 0 and standard deviation 1, so that tempo in BPM weighs no more
    than energy; a constant column becomes 0."""
    if len(features) == 0:
        return features.astype(np.float32)
    mean = features.mean(axis=0)
    std = features.std(axis=0)
    std[std == 0] = 1.0
    return ((features - mean) / std).astype(np.float32)


@dataclass(frozen=True, eq=False)
class CatalogArrays:
    """The songs the engine may recommend.

    `song_artists` (songs x artists) holds 1.0 for every credit; `main_artist` the position of
    each song's first-credited artist (-1 when it has none). `prior` is the popularity prior in
    0..1 the service derives (catalog popularity, ratings). `features` are raw values in
    FEATURES order; `standardised` is derived from them.
    """

    song_ids: IntArray
    features: FloatArray
    prior: FloatArray
    song_artists: sp.csr_matrix
    song_genres: sp.csr_matrix
    main_artist: IntArray
    artist_names: tuple[str, ...]
    genre_names: tuple[str, ...]
    # False for songs without audio features (their `features` are stand-ins): no sound or
    # mood signal for them. All True when not given.
    has_features: npt.NDArray[np.bool_] | None = None
    # Each song's recording: songs with the same number are the same song under several ids
    # (the service's rule), which a list holds once and excludes together. When not given,
    # each song is a recording of its own.
    recording: IntArray | None = None
    standardised: FloatArray = field(init=False)
    # Each song's squared length in the standardised space (for `sound_similarity`).
    sound_norms: FloatArray = field(init=False)
    artist_songs: sp.csr_matrix = field(init=False)
    genre_songs: sp.csr_matrix = field(init=False)
    # Recordings x songs (None when each song is its own).
    recording_songs: sp.csr_matrix | None = field(init=False)
    # What is the same for every listener, computed on first use (each mood's fit...).
    memo: dict = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.has_features is None:
            object.__setattr__(self, "has_features", np.ones(len(self.song_ids), bool))
        standardised = _standardise(self.features)
        standardised[~self.sound_known] = 0.0
        object.__setattr__(self, "standardised", standardised)
        object.__setattr__(self, "sound_norms", np.einsum("ij,ij->i", standardised, standardised))
        object.__setattr__(self, "artist_songs", self.song_artists.T.tocsr())
        object.__setattr__(self, "genre_songs", self.song_genres.T.tocsr())
        recording_songs = None
        if self.recording is not None and len(self.recording):
            songs = np.arange(len(self.recording))
            recording_songs = sp.csr_matrix(
                (np.ones(len(songs), np.float32), (self.recording, songs)),
                shape=(int(self.recording.max()) + 1, len(songs)),
            )
        object.__setattr__(self, "recording_songs", recording_songs)
        object.__setattr__(self, "memo", {})

    def same_songs(self, songs: IntArray) -> IntArray:
        """`songs` and every other song of their recordings (`recording`)."""
        if self.recording is None or self.recording_songs is None or len(songs) == 0:
            return np.asarray(songs, np.int64)
        return row_entries(self.recording_songs, self.recording[np.asarray(songs, np.int64)])[0]

    @property
    def sound_known(self) -> npt.NDArray[np.bool_]:
        """Which songs have audio features."""
        return self.has_features if self.has_features is not None else np.ones(len(self.song_ids), bool)

    @property
    def size(self) -> int:
        return len(self.song_ids)


def sound_similarity(catalog: CatalogArrays, point: FloatArray, songs: IntArray | None = None) -> FloatArray:
    """What "sounds alike" means, everywhere (similar songs, the content signal): how close
    each of `songs`' standardised features are to `point`, 1 / (1 + RMS distance), so 1.0 for
    the same sound and 0.5 a standard deviation away on every feature on average. Songs
    without audio features are alike to nothing: 0.

    Without `songs`, every song of the catalog, through |x - p|² = |x|² - 2 x·p + |p|² (one
    product with the catalog rather than a difference, within ~1e-3 of the exact value): for
    picking the songs worth an exact value, which `songs` gives."""
    if songs is None:
        squared = (
            catalog.sound_norms
            - 2.0 * (catalog.standardised @ point.astype(np.float32))
            + float(point @ point)
        )
        known = catalog.sound_known
    else:
        difference = catalog.standardised[songs].astype(np.float64) - point.astype(np.float64)
        squared = np.einsum("ij,ij->i", difference, difference)
        known = catalog.sound_known[songs]
    distance = np.sqrt(np.maximum(squared, 0.0) / len(FEATURES))
    similarity = 1.0 / (1.0 + distance)
    similarity[~known] = 0.0
    return similarity.astype(np.float32)


# How far `sound_similarity` over the whole catalog may be from the exact value.
SOUND_APPROXIMATION = 1e-3


@dataclass(frozen=True)
class Listener:
    """One listener's evidence, as the service read it.

    `song_index`/`interest`: the songs the listener acted on and a signed interest in each
    (the analytics action weights and ratings summed: positive for plays, likes, shares and
    ratings of 4-5, negative for skips and ratings of 1-2). `exclude`: songs never to
    recommend (rated, skipped, already heard). `genres`/`artists`: positions named by the
    profile or the request's seeds; `seed_songs` count as liked. `moods`: names from the mood
    table. `blocked_artists`/`blocked_genres`: what the listener never wants to see.
    """

    song_index: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    interest: FloatArray = field(default_factory=lambda: np.zeros(0, np.float32))
    exclude: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    genres: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    artists: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    seed_songs: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    moods: tuple[str, ...] = ()
    # Never a song crediting one of these artists (in any position) or in one of these genres.
    blocked_artists: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    blocked_genres: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    # The genres, artists and songs are what a request asked for (its seeds), not the
    # listener's taste: the reasons say so.
    asked: bool = False
    # The listener's row in the collaborative model, left out of their collaborative signal:
    # "liked by listeners who like X" is about other listeners, and a listener alone in the
    # model (or among few) would otherwise be shown their own history under that reason.
    user_id: int | None = None


# How much a seed song counts, in the units of analytics' action weights (a like).
SEED_SONG_INTEREST = 3.0


def acted_interest(listener: Listener) -> tuple[IntArray, FloatArray]:
    """The songs the listener has a signed interest in, and that interest damped:
    sign(w)·log(1+|w|), so that the hundredth play of a song adds little; seed songs count as
    liked. Only the songs with an interest: a listener's evidence is small, the catalog not."""
    songs = np.concatenate([listener.song_index, listener.seed_songs]).astype(np.int64)
    values = np.concatenate(
        [listener.interest, np.full(len(listener.seed_songs), SEED_SONG_INTEREST, np.float32)]
    )
    acted, where = np.unique(songs, return_inverse=True)
    summed = np.zeros(len(acted), np.float64)
    np.add.at(summed, where.ravel(), values)
    damped = (np.sign(summed) * np.log1p(np.abs(summed))).astype(np.float32)
    keep = damped != 0
    return acted[keep], damped[keep]


def artist_interest(
    catalog: CatalogArrays, listener: Listener, acted: IntArray, interest: FloatArray
) -> FloatArray:
    """Signed interest per artist: the sum over the artist's songs the listener acted on
    (`acted_interest`), plus one for each artist the profile or the seeds name."""
    artists = np.asarray(catalog.song_artists[acted].T @ interest, dtype=np.float32).ravel()
    np.add.at(artists, listener.artists, 1.0)
    return artists


def genre_interest(
    catalog: CatalogArrays, listener: Listener, acted: IntArray, interest: FloatArray
) -> FloatArray:
    """Signed interest per genre, as for artists."""
    genres = np.asarray(catalog.song_genres[acted].T @ interest, dtype=np.float32).ravel()
    np.add.at(genres, listener.genres, 1.0)
    return genres
