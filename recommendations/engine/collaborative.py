"""Collaborative filtering at artist level: "listeners who like these artists also like those".

Why artists and not songs: listeners' evidence is sparse per song and songs of one artist
are heard together, so an artist-by-artist model learns from many more co-occurrences per
entry; a song then takes the mean score of its new credited artists, and the blend orders
an artist's songs by the rest of the evidence (popularity, sound, genres).

Two models over the same input (each user's row: 1 for every artist the user follows, by the
`artist_evidence` of the songs their signals are net positive on; negatives never enter the
model, they push down at scoring time):
- "ease": EASE (Steck, "Embarrassingly Shallow Autoencoders", WWW 2019): B = I - P/diag(P)
  with P = (XᵀX + λI)⁻¹, a closed-form item-item regression; a user's scores are qB.
- "knn": cosine between artists' listener sets, summed over the user's artists.
bench/reco_eval.py measures both (bench/README.md, "Recommendations"); the service uses the
better one (`recommendations.model.COLLABORATIVE_KIND`).

A model can leave one of its users out (`excluding`), without a rebuild: their row's
contribution is taken out at scoring time (Sherman-Morrison for EASE, the Gram matrix minus
the row's outer product for kNN), so a leave-one-out evaluation builds once and no user's
held-back data reaches their own scores.

Size: the model is dense over its artists (an n x n float32 matrix), so it keeps at most
`max_artists`, the most-listened ones; others get no collaborative score.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recommendations.engine.arrays import FloatArray, IntArray, nonzero_at
from recommendations.engine.credits import artist_evidence, followed, shares_of

Float64Array = npt.NDArray[np.float64]

# EASE's λ: lower than EVAL.md's reference (200), as the Last.fm evaluation prefers on each
# half of its users, through the service and at artist level alike (bench/README.md,
# "Recommendations").
EASE_L2 = 100.0
MAX_ARTISTS = 5000
# A contribution this small is rounding, not evidence: with a listener's own row left out
# (`excluding`, a rank-one update of the float32 inverse), a pair of artists only they liked
# together keeps ~1e-9 where the exact weight is 0, and normalised against nothing larger it
# would read as the strongest evidence. Real weights are co-listeners over EASE_L2 and more.
NEGLIGIBLE = 1e-6


@dataclass(frozen=True, eq=False)
class CollaborativeModel:
    """`rows` (users x model artists, 0/1) are kept for `excluding`; `artists` maps a model
    column to a catalog artist position and `column_of` back (-1: not in the model). `matrix`
    is P = (XᵀX + λI)⁻¹ for EASE, the Gram matrix XᵀX for kNN."""

    kind: str
    user_ids: IntArray
    rows: sp.csr_matrix
    artists: IntArray
    column_of: IntArray
    matrix: FloatArray
    # Per catalog song, how many users' signals on it are net positive (the popularity prior's
    # listener part), and each user's songs (0/1) to take one out of it.
    song_listeners: FloatArray
    song_rows: sp.csr_matrix
    left_out: FloatArray | None = None
    left_out_songs: FloatArray | None = None
    # What is the same for every listener of this model (the popularity prior), computed on
    # first use; not carried over by `excluding`, whose model counts listeners differently.
    memo: dict = field(init=False, repr=False, default_factory=dict)

    def excluding(self, user_id: int) -> CollaborativeModel:
        """The model as if `user_id` had not been in the data it was built from."""
        found = np.flatnonzero(self.user_ids == user_id)
        if len(found) == 0:
            return self
        row = np.asarray(self.rows[found[0]].toarray(), dtype=np.float32).ravel()
        songs = np.asarray(self.song_rows[found[0]].toarray(), dtype=np.float32).ravel()
        return replace(self, left_out=row, left_out_songs=songs)

    def listeners(self) -> FloatArray:
        """Per catalog song, its listeners (net positive signals), the left-out user's not counted."""
        if self.left_out_songs is None:
            return self.song_listeners
        return self.song_listeners - self.left_out_songs


def build_collaborative(
    *,
    user_ids: IntArray,
    user_songs: sp.csr_matrix,
    song_artists: sp.csr_matrix,
    kind: str = "ease",
    l2: float = EASE_L2,
    max_artists: int = MAX_ARTISTS,
) -> CollaborativeModel:
    """The model of `user_songs` (users x catalog songs, signed interest; row i is
    `user_ids[i]`'s), learnt per artist of `song_artists` (songs x artists)."""
    if kind not in ("ease", "knn"):
        raise ValueError(f"unknown collaborative model {kind!r}: ease or knn")
    song_rows = (user_songs > 0).astype(np.float32).tocsr()
    evidence = artist_evidence(song_rows, shares_of(song_artists))
    evidence.data = followed(evidence.data).astype(np.float32)
    evidence.eliminate_zeros()
    positive = evidence.tocsc()
    listeners = np.diff(positive.indptr)
    listened = np.flatnonzero(listeners > 0)
    artists = listened[np.argsort(-listeners[listened], kind="stable")[:max_artists]]
    artists.sort()
    column_of = np.full(positive.shape[1], -1, np.int64)
    column_of[artists] = np.arange(len(artists))
    rows = positive[:, artists].tocsr()
    gram = np.asarray((rows.T @ rows).toarray(), dtype=np.float64)
    if kind == "ease":
        gram[np.diag_indices_from(gram)] += l2
        matrix = np.linalg.inv(gram).astype(np.float32)
    else:
        matrix = gram.astype(np.float32)
    return CollaborativeModel(
        kind=kind,
        user_ids=np.asarray(user_ids, np.int64),
        rows=rows,
        artists=artists.astype(np.int64),
        column_of=column_of,
        matrix=matrix,
        song_listeners=np.asarray(song_rows.sum(axis=0), dtype=np.float32).ravel(),
        song_rows=song_rows,
    )


@dataclass(frozen=True)
class _Query:
    columns: IntArray  # model columns the listener has interest in
    weights: FloatArray  # their interest


def _query(model: CollaborativeModel, listened: FloatArray) -> _Query:
    """The listener's artists in the model, each weighing its `artist_evidence` (-1..1), the
    rule the model's rows were made by: a much-played artist counts as one, like a liked one,
    and an artist met once as a guest as a share of one."""
    known = nonzero_at(listened)
    columns = model.column_of[known]
    inside = columns >= 0
    return _Query(columns=columns[inside], weights=listened[known[inside]].astype(np.float32))


def _ease_parts(model: CollaborativeModel, query: _Query) -> tuple[Float64Array, Float64Array]:
    """Rows of P for the query's columns and diag(P), with the left-out row taken out:
    (M - xxᵀ)⁻¹ = P + (Px)(Px)ᵀ / (1 - xᵀPx)."""
    rows = model.matrix[query.columns].astype(np.float64)
    diagonal = np.diagonal(model.matrix).astype(np.float64)
    x = model.left_out
    if x is not None and x.any():
        support = np.flatnonzero(x)
        # P is symmetric: summing rows reads memory in order, unlike columns.
        u = model.matrix[support].astype(np.float64).sum(axis=0)
        denominator = 1.0 - u[support].sum()
        rows = rows + np.outer(u[query.columns], u) / denominator
        diagonal = diagonal + u * u / denominator
    return rows, diagonal


def _knn_parts(model: CollaborativeModel, query: _Query) -> tuple[Float64Array, Float64Array]:
    """Rows of the cosine similarity for the query's columns (self-similarity 0)."""
    rows = model.matrix[query.columns].astype(np.float64)
    diagonal = np.diagonal(model.matrix).astype(np.float64)
    x = model.left_out
    if x is not None and x.any():
        rows = rows - np.outer(x[query.columns], x)
        diagonal = diagonal - x.astype(np.float64) ** 2
    norms = np.sqrt(np.maximum(diagonal, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        cosine = rows / norms[query.columns][:, None] / norms[None, :]
    cosine = np.nan_to_num(cosine, nan=0.0, posinf=0.0, neginf=0.0)
    cosine[np.arange(len(query.columns)), query.columns] = 0.0
    return cosine, diagonal


def _contributions(model: CollaborativeModel, query: _Query) -> FloatArray:
    """contributions[k, j]: how much the query's k-th artist adds to model artist j."""
    if model.kind == "ease":
        rows, diagonal = _ease_parts(model, query)
        with np.errstate(divide="ignore", invalid="ignore"):
            weights = -rows / diagonal[None, :]
        weights = np.nan_to_num(weights, nan=0.0, posinf=0.0, neginf=0.0)
        # B = I - P/diag(P) has a zero diagonal: an artist does not explain itself.
        weights[np.arange(len(query.columns)), query.columns] = 0.0
    else:
        weights, _ = _knn_parts(model, query)
    return (query.weights[:, None] * weights).astype(np.float32)


def collaborative_scores(model: CollaborativeModel, listened: FloatArray) -> tuple[FloatArray, IntArray]:
    """Every catalog artist's score for a listener whose `artist_evidence` per catalog artist
    is `listened` (negatives push the artists co-liked with them down), 0 outside the model
    and for the artists the listener knows (`followed`); and for each artist, the
    listener's liked artist that adds most to it (-1 when none adds anything), for a reason's
    wording."""
    scores = np.zeros(len(model.column_of), np.float32)
    sources = np.full(len(model.column_of), -1, np.int64)
    query = _query(model, listened)
    if len(query.columns) == 0:
        return scores, sources
    contributions = _contributions(model, query)
    contributions[np.abs(contributions) < NEGLIGIBLE] = 0.0
    scores[model.artists] = contributions.sum(axis=0)
    # What this signal finds is artists new to the listener; those they already like are the
    # artist-affinity signal's to rank.
    scores[followed(listened)] = 0.0
    # A reason names an artist the listener likes: a skipped artist's negative evidence times a
    # negative weight adds to a score too, but "listeners who like X" would be false of it.
    liked = np.where((query.weights > 0)[:, None], contributions, -np.inf)
    best = np.argmax(liked, axis=0)
    strongest = liked[best, np.arange(liked.shape[1])]
    sources[model.artists] = np.where(strongest > 0, model.artists[query.columns[best]], -1)
    return scores, sources
