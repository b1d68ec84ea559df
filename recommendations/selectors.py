"""Reads that turn the database into the engine's arrays: the catalog, every listener's
signals (for the collaborative model), and one listener's evidence (for their list)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from django.db.models import Q

from analytics.selectors import ACTION_WEIGHTS, user_song_signals
from catalog.selectors.arrays import (
    artist_name_rows,
    genre_name_rows,
    rating_table,
    song_credit_table,
    song_feature_table,
    song_genre_table,
    song_recording_table,
)
from recommendations.engine import FEATURES, CatalogArrays, Listener
from recommendations.models import Feedback, FeedbackKind, Generation
from users.selectors import BlockSet

# A rating's interest, in the units of analytics' action weights (a like is 3, a skip -2):
# 4-5 stars count as positives, 1-2 as negatives, 3 as nothing.
RATING_INTEREST: dict[int, float] = {1: -4.0, 2: -2.0, 3: 0.0, 4: 2.0, 5: 4.0}
# Feedback on a recommended song, in the same units: "more like this" counts as a like,
# "not for me" as a skip.
FEEDBACK_INTEREST: dict[str, float] = {
    FeedbackKind.MORE_LIKE_THIS: ACTION_WEIGHTS["like"],
    FeedbackKind.NOT_FOR_ME: ACTION_WEIGHTS["skip"],
}
# The popularity prior: catalog popularity, nudged by the Bayesian rating score.
PRIOR_POPULARITY_SHARE = 0.8


@dataclass(frozen=True, eq=False)
class CatalogIndex:
    """Database ids and names to the arrays' positions."""

    song_ids: npt.NDArray[np.int64]  # sorted: a song's position is its rank
    artist_ids: npt.NDArray[np.int64]  # sorted, likewise
    artist_by_key: dict[str, int]
    genre_by_name: dict[str, int]
    genre_ids: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))  # sorted

    def song_positions(self, ids: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Positions of the `ids` in the catalog; -1 for ids it does not hold."""
        return _positions(self.song_ids, np.asarray(ids, np.int64))


def _positions(sorted_ids: npt.NDArray[np.int64], ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    at = np.searchsorted(sorted_ids, ids)
    at = np.minimum(at, max(len(sorted_ids) - 1, 0))
    found = (len(sorted_ids) > 0) & (sorted_ids[at] == ids) if len(sorted_ids) else np.zeros(len(ids), bool)
    return np.where(found, at, -1).astype(np.int64)


def _membership(
    pairs: npt.NDArray[np.int64],
    songs: CatalogIndex,
    item_ids: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float32] | None = None,
) -> sp.csr_matrix:
    """(song id, item id) pairs as a songs x items 0/1 matrix."""
    pairs = pairs.reshape(-1, 2)
    song_at = songs.song_positions(pairs[:, 0])
    item_at = _positions(item_ids, pairs[:, 1])
    keep = (song_at >= 0) & (item_at >= 0)
    shape = (len(songs.song_ids), len(item_ids))
    values = np.ones(len(pairs), np.float32) if weights is None else weights
    matrix = sp.csr_matrix((values[keep], (song_at[keep], item_at[keep])), shape=shape)
    matrix.sum_duplicates()
    matrix.data = np.minimum(matrix.data, 1.0)  # a repeated pair counts once
    return matrix


def _features(
    table: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Ids, features (a missing value: the catalog's mean of that feature) and the prior, from
    `song_feature_table` (a null read as NaN)."""
    ids = table[:, 0].astype(np.int64)
    popularity = np.nan_to_num(table[:, 1], nan=0.0) / 100.0
    rating = (np.nan_to_num(table[:, 2], nan=3.0) - 1.0) / 4.0
    prior = PRIOR_POPULARITY_SHARE * popularity + (1 - PRIOR_POPULARITY_SHARE) * rating
    features = table[:, 3:]
    present = ~np.isnan(features)
    means = np.divide(
        np.nansum(features, axis=0),
        present.sum(axis=0),
        out=np.zeros(len(FEATURES)),
        where=present.any(axis=0),
    )
    features = np.where(np.isnan(features), np.nan_to_num(means)[None, :], features)
    return ids, features.astype(np.float32), prior.astype(np.float32)


def catalog_arrays() -> tuple[CatalogArrays, CatalogIndex]:
    """The whole catalog as the engine's arrays, and the index from ids and names into them."""
    table = song_feature_table(FEATURES)
    # Songs from outside sources may have no audio features (all null together).
    has_features = ~np.isnan(table[:, 3])
    ids, features, prior = _features(table)
    artists = list(artist_name_rows())
    artist_ids = np.array([a[0] for a in artists], np.int64)
    genres = genre_name_rows()
    genre_ids = np.array([g[0] for g in genres], np.int64)
    index = CatalogIndex(
        song_ids=ids,
        artist_ids=artist_ids,
        artist_by_key={key: at for at, (_, _, key) in enumerate(artists)},
        genre_by_name={name: at for at, (_, name) in enumerate(genres)},
        genre_ids=genre_ids,
    )
    credits = song_credit_table()
    main = np.full(len(ids), -1, np.int64)
    firsts = credits[credits[:, 2] == 0, :2]
    song_at, artist_at = index.song_positions(firsts[:, 0]), _positions(artist_ids, firsts[:, 1])
    ok = (song_at >= 0) & (artist_at >= 0)
    main[song_at[ok]] = artist_at[ok]
    recordings = song_recording_table()
    recording = np.arange(len(ids), dtype=np.int64)  # a song read after the table: its own
    at = index.song_positions(recordings[:, 0])
    recording[at[at >= 0]] = recordings[at >= 0, 1] + len(ids)
    catalog = CatalogArrays(
        song_ids=ids,
        recording=np.unique(recording, return_inverse=True)[1].astype(np.int64).ravel(),
        features=features,
        prior=prior,
        has_features=has_features,
        song_artists=_membership(credits[:, :2], index, artist_ids),
        song_genres=_membership(song_genre_table(), index, genre_ids),
        main_artist=main,
        artist_names=tuple(name for _, name, _ in artists),
        genre_names=tuple(name for _, name in genres),
    )
    return catalog, index


@dataclass(frozen=True)
class Interest:
    """Signed interest per (user, song), activity and ratings summed, ordered by user then song."""

    user_ids: npt.NDArray[np.int64]
    song_ids: npt.NDArray[np.int64]
    interest: npt.NDArray[np.float32]


def _feedback_rows(user_id: int | None) -> npt.NDArray[np.int64]:
    rows = Feedback.objects.order_by()
    if user_id is not None:
        rows = rows.filter(user_id=user_id)
    kinds = {kind: at for at, kind in enumerate(FEEDBACK_INTEREST)}
    return np.array(
        [(u, s, kinds[k]) for u, s, k in rows.values_list("user_id", "song_id", "kind")], np.int64
    ).reshape(-1, 3)


def feedback_kind(*, user_id: int, song_id: int) -> str | None:
    """What `user_id` last said of `song_id` (a FeedbackKind), or None."""
    return Feedback.objects.filter(user_id=user_id, song_id=song_id).values_list("kind", flat=True).first()


def interest_rows(*, user_id: int | None = None) -> Interest:
    """Every user's (or `user_id`'s) signed interest in every song they acted on, rated or
    gave feedback on."""
    activity = user_song_signals(user_id=user_id)
    ratings = rating_table(user_id=user_id)
    rating_interest = np.array([RATING_INTEREST[int(s)] for s in ratings[:, 2]], np.float64)
    feedback = _feedback_rows(user_id)
    feedback_interest = np.array(list(FEEDBACK_INTEREST.values()), np.float64)[feedback[:, 2]]
    users = np.concatenate([activity.user_ids, ratings[:, 0], feedback[:, 0]])
    songs = np.concatenate([activity.song_ids, ratings[:, 1], feedback[:, 1]])
    values = np.concatenate([activity.score, rating_interest, feedback_interest])
    pairs, where = np.unique(np.stack([users, songs], axis=1), axis=0, return_inverse=True)
    summed = np.zeros(len(pairs), np.float64)
    np.add.at(summed, where.ravel(), values)
    return Interest(user_ids=pairs[:, 0], song_ids=pairs[:, 1], interest=summed.astype(np.float32))


def user_song_matrix(
    catalog: CatalogArrays, index: CatalogIndex
) -> tuple[npt.NDArray[np.int64], sp.csr_matrix]:
    """Every user with any signal (their ids) and their signed interest per catalog song."""
    rows = interest_rows()
    users, user_at = np.unique(rows.user_ids, return_inverse=True)
    song_at = index.song_positions(rows.song_ids)
    keep = song_at >= 0
    user_songs = sp.csr_matrix(
        (rows.interest[keep], (user_at.ravel()[keep], song_at[keep])), shape=(len(users), catalog.size)
    )
    return users, user_songs


def listener_for(
    *,
    user_id: int,
    index: CatalogIndex,
    genres: list[int],
    artists: list[int],
    seed_songs: list[int],
    moods: tuple[str, ...],
    blocks: BlockSet | None = None,
    asked: bool = False,
) -> Listener:
    """`user_id`'s evidence; `genres`, `artists` and `seed_songs` are positions already
    resolved by the caller (profile and seeds); `blocks` what they blocked (ids). `asked`:
    they are a request's seeds, which stand for the listener's taste in that list (their
    signals then only leave out what they know)."""
    rows = interest_rows(user_id=user_id)
    at = index.song_positions(rows.song_ids)
    known = at >= 0
    blocked = blocked_positions(index, blocks or BlockSet())
    taste = np.zeros(len(at), bool) if asked else known
    return Listener(
        song_index=at[taste],
        interest=rows.interest[taste],
        asked=asked,
        # Everything the user rated, skipped, played, liked or shared: a list is for discovery.
        exclude=np.concatenate([at[known], blocked.songs]),
        genres=np.array(genres, np.int64),
        artists=np.array(artists, np.int64),
        seed_songs=np.array(seed_songs, np.int64),
        moods=moods,
        blocked_artists=blocked.artists,
        blocked_genres=blocked.genres,
        user_id=user_id,
    )


@dataclass(frozen=True)
class Blocked:
    """A listener's blocks as positions in the catalog's arrays (those the arrays hold)."""

    songs: npt.NDArray[np.int64]
    artists: npt.NDArray[np.int64]
    genres: npt.NDArray[np.int64]


def blocked_positions(index: CatalogIndex, blocks: BlockSet) -> Blocked:
    def found(sorted_ids: npt.NDArray[np.int64], ids: frozenset[int]) -> npt.NDArray[np.int64]:
        positions = _positions(sorted_ids, np.array(sorted(ids), np.int64))
        return positions[positions >= 0]

    return Blocked(
        songs=found(index.song_ids, blocks.song_ids),
        artists=found(index.artist_ids, blocks.artist_ids),
        genres=found(index.genre_ids, blocks.genre_ids),
    )


def generation_of(*, task_id: uuid.UUID, user_id: int) -> Generation | None:
    """The generation `task_id`, when `user_id` asked for it: the staff member who asked for
    a listener's list, else the listener themself. Nobody else, staff included."""
    asked = Q(asked_by_id=user_id) | Q(asked_by__isnull=True, user_id=user_id)
    return Generation.objects.filter(asked, task_id=task_id).first()


__all__ = [
    "Blocked",
    "CatalogIndex",
    "blocked_positions",
    "feedback_kind",
    "generation_of",
    "catalog_arrays",
    "interest_rows",
    "listener_for",
    "user_song_matrix",
]
