"""What listening to songs says about their artists: which artists a user follows (the
collaborative model's rows), how much each weighs in a listener's question to the model, and
which artists a listener knows (no discovery). One rule for the three, `artist_evidence`.

A song of several credited artists is not a song of each of them: a listener who plays "A
feat. G" among A's songs is listening to A, and G is a guest they met once. So a song's
credit is divided among its artists, and in proportion to what the listener's other songs
already give each: the guest on one song of an artist the listener plays gets little of it,
while two artists met only together share it evenly. An artist is followed once their
shares make a whole song, or all the catalog holds of them when that is less (an artist
whose only song is a duet is followed by those who play it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recommendations.engine.arrays import CatalogArrays, FloatArray, IntArray, Listener, row_entries

# From this `artist_evidence` on, an artist is followed (a whole song's worth; float sums of
# shares may fall just under it).
FOLLOWED = 1.0 - 1e-3


@dataclass(frozen=True, eq=False)
class CreditShares:
    """A catalog's credits: `song_artists` (songs x artists, 1 per credit), each song's number
    of credited artists, `even` (each credit 1 / its song's number), and what makes an
    artist's share whole: a song's worth, or all the catalog holds of them when that is less."""

    song_artists: sp.csr_matrix
    per_song: IntArray
    even: sp.csr_matrix
    whole: FloatArray


def shares_of(song_artists: sp.csr_matrix) -> CreditShares:
    song_artists = song_artists.tocsr()
    per_song = np.diff(song_artists.indptr).astype(np.int64)
    even = (sp.diags(1.0 / np.maximum(per_song, 1)) @ song_artists).tocsr()
    whole = np.clip(np.asarray(even.sum(axis=0), dtype=np.float64).ravel(), 1e-9, 1.0).astype(np.float32)
    return CreditShares(song_artists=song_artists, per_song=per_song, even=even, whole=whole)


def catalog_shares(catalog: CatalogArrays) -> CreditShares:
    """`shares_of` the catalog, kept with it (the same for every listener)."""
    if "credit-shares" not in catalog.memo:
        catalog.memo["credit-shares"] = shares_of(catalog.song_artists)
    return catalog.memo["credit-shares"]


def _shares(songs: sp.csr_matrix, credits: CreditShares) -> sp.csr_matrix:
    """rows x artists: each song of a row (rows x songs, 1 per song) divided among its
    artists in proportion to 1 + what the row's other songs give each evenly, summed."""
    songs = songs.tocsr()
    rows, of_song = songs.nonzero()
    count = credits.per_song[of_song]
    even = (songs @ credits.even).tocsr()
    even.sort_indices()
    # One entry per (row, song, credited artist).
    artist, pair = row_entries(credits.song_artists, of_song)
    row = rows[pair].astype(np.int64)
    # Each (row, artist)'s even share over all the row's songs, found by its sorted key.
    keys = np.repeat(np.arange(even.shape[0], dtype=np.int64), np.diff(even.indptr)) * even.shape[1]
    keys += even.indices
    at = np.searchsorted(keys, row * even.shape[1] + artist)
    prior = 1.0 + even.data[at] - 1.0 / count[pair]
    share = prior / np.bincount(pair, weights=prior, minlength=len(rows))[pair]
    return sp.csr_matrix((share, (row, artist)), shape=even.shape)


def artist_evidence(song_values: sp.csr_matrix, credits: CreditShares) -> sp.csr_matrix:
    """Per row of `song_values` (rows x songs: +1 a song liked or played, -1 one disliked),
    each artist's evidence in -1..1: their shares of the row's liked songs less those of its
    disliked ones, over what makes their share whole. `followed` from FOLLOWED on."""
    liked = (song_values > 0).astype(np.float32)
    disliked = (song_values < 0).astype(np.float32)
    values = (_shares(liked, credits) - _shares(disliked, credits)).tocsr()
    values.data = np.clip(values.data / credits.whole[values.indices], -1.0, 1.0).astype(np.float32)
    values.eliminate_zeros()
    return values


def followed(evidence: FloatArray) -> npt.NDArray[np.bool_]:
    """Where `artist_evidence` says followed: the collaborative model's rows, and the artists
    a listener knows (no discovery)."""
    return evidence >= FOLLOWED


def listened_artists(
    catalog: CatalogArrays, listener: Listener, acted: IntArray, interest: FloatArray
) -> FloatArray:
    """The listener's `artist_evidence` per artist, +1 for each artist the profile or the
    seeds name (clipped to -1..1): the collaborative model's question, and (`followed`) the
    artists the listener knows."""
    signs = sp.csr_matrix(
        (np.sign(interest).astype(np.float32), (np.zeros(len(acted), np.int64), acted)),
        shape=(1, catalog.size),
    )
    artists = artist_evidence(signs, catalog_shares(catalog)).toarray().ravel()
    np.add.at(artists, listener.artists, 1.0)
    return np.clip(artists, -1.0, 1.0).astype(np.float32)
