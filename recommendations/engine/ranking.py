"""The blend of the signals and the re-rank for diversity (the reasons: `reasons`).

Blend: a song's score is the weighted sum of its normalised signals (`Weights`; BLEND is the
default, its figures in bench/README.md, "Recommendations"). Each signal is 0 where it has
no evidence, so a listener with only a profile is ranked by genres, artists and moods, and
one with nothing by popularity; the popularity prior also orders songs the other signals
tie on (an artist's songs share their collaborative score).

Re-rank: songs are taken best first, skipping any in `Listener.exclude` and any whose
credited artists already have `artist_cap` songs in the list; so a list of n songs names at
least n / artist_cap artists. The list never holds a song twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from recommendations.engine.arrays import (
    SOUND_APPROXIMATION,
    CatalogArrays,
    FloatArray,
    IntArray,
    Listener,
    sound_similarity,
)
from recommendations.engine.collaborative import CollaborativeModel
from recommendations.engine.reasons import reasons_for
from recommendations.engine.signals import (
    SIGNALS,
    Evidence,
    content_at,
    evidence,
    none,
    songs_blocked,
)


@dataclass(frozen=True)
class Weights:
    collaborative: float = 1.0
    artist: float = 0.0
    genre: float = 0.0
    content: float = 0.0
    mood: float = 0.0
    popularity: float = 0.0

    def of(self, signal: str) -> float:
        return float(getattr(self, signal))


# The default blend; every weight is justified by bench/reco_eval.py's ablations.
BLEND = Weights(collaborative=1.0, artist=0.05, genre=0.05, content=0.05, mood=0.6, popularity=0.05)
# With seeds (`Listener.asked`), a mood orders what the seeds bring rather than outweighing
# them: its weight is the seed signals' own (at BLEND's it gave a calm list without a song of
# the seed artist's for `seed_artists=Coldplay, moods=calm`).
STEERED_MOOD = 0.05
# With seeds, the artist signal outweighs all the others together (at BLEND collaborative
# 1.0, genre, content and popularity 0.05 each, the mood at STEERED_MOOD: 1.2 at most), so
# that the named artists' songs lead the list (within ARTIST_CAP) and the rest follows in
# the blend's order: at BLEND's 0.05, as soon as other listeners liked the seed artist the
# collaborative signal put the artists those listeners also like first. A named artist's
# value is 1, less beside seed songs (whose artists count more): hence the margin.
STEERED_ARTIST = 3.0
# A tie-break only: orders songs the weighted signals leave equal, most popular first.
TIE_BREAK = 1e-4
ARTIST_CAP = 2
# Candidates read past `limit` before the re-rank, for excluded and capped songs.
CANDIDATE_FACTOR = 20
# Above this many songs within the content signal's reach, it is computed over the catalog
# at once (approximately) rather than exactly song by song.
CONTENT_EXACT_MAX = 50_000
# How many of the highest base scores (tie-break and popularity) are kept per model, to find
# a list's cut among them and the listener's signals instead of the whole catalog.
POOL_TOP = 2_000
# How many times the list's length are scored with content first, to bound the list's cut.
FLOOR_SAMPLE = 4


@dataclass(frozen=True)
class Recommendation:
    song: int  # position in the catalog arrays
    score: float
    reasons: tuple[str, ...]


def _base(catalog: CatalogArrays, found: Evidence, weights: Weights) -> FloatArray:
    """The tie-break and the popularity prior, the same for every listener of a model: kept."""
    key = ("base", weights)
    if key not in found.memo:
        popularity = found.scores["popularity"]
        found.memo[key] = (TIE_BREAK * catalog.prior + weights.popularity * popularity).astype(np.float32)
    return found.memo[key].copy()


def _base_top(found: Evidence, weights: Weights) -> tuple[IntArray, float]:
    """The POOL_TOP songs of highest base score and the lowest of their scores: kept."""
    key = ("base-top", weights)
    if key not in found.memo:
        base = found.memo[("base", weights)]
        k = min(POOL_TOP, len(base))
        top = np.argpartition(-base, k - 1)[:k]
        found.memo[key] = (top, float(base[top].min()))
    return found.memo[key]


def _base_order(found: Evidence, weights: Weights) -> tuple[IntArray, FloatArray]:
    """Every song by base score, highest first, and those scores: kept."""
    key = ("base-order", weights)
    if key not in found.memo:
        base = found.memo[("base", weights)]
        order = np.argsort(-base, kind="stable")
        found.memo[key] = (order, base[order])
    return found.memo[key]


def _genre_base_order(
    catalog: CatalogArrays, found: Evidence, weights: Weights
) -> tuple[IntArray, FloatArray]:
    """Each genre's songs by base score, highest first (rows of `catalog.genre_songs`), and
    those scores: kept."""
    key = ("genre-base-order", weights)
    if key not in found.memo:
        base = found.memo[("base", weights)]
        genre_songs = catalog.genre_songs
        rows = np.repeat(np.arange(genre_songs.shape[0]), np.diff(genre_songs.indptr))
        songs = genre_songs.indices[np.lexsort((-base[genre_songs.indices], rows))].astype(np.int64)
        found.memo[key] = (songs, base[songs])
    return found.memo[key]


def _within_genre_reach(
    catalog: CatalogArrays,
    found: Evidence,
    weights: Weights,
    total: FloatArray,
    least: float,
    marked: npt.NDArray[np.bool_],
) -> IntArray:
    """The songs of the listener's liked genres whose total is at least `least`, but those
    already `marked` (marking the ones it reads), for a listener without a mood: outside the
    other signals' supports, a song's total is its base score plus its genre's, so in a genre
    of value v only its songs of base score at least `least - genre weight x v` can pass, the
    first ones of the genre in base order."""
    values = found.genre_values
    if not weights.genre or found.scores["genre"] is none(catalog):
        return np.zeros(0, np.int64)
    songs, bases = _genre_base_order(catalog, found, weights)
    indptr = catalog.genre_songs.indptr
    parts = [np.zeros(0, np.int64)]
    for genre in np.flatnonzero(values > 0).tolist():
        start, stop = indptr[genre], indptr[genre + 1]
        needed = least - weights.genre * float(values[genre])
        part = songs[start : start + np.searchsorted(-bases[start:stop], -needed, side="right")]
        part = part[~marked[part]]
        marked[part] = True
        parts.append(part)
    reached = np.concatenate(parts)
    return reached[total[reached] >= least]


def _content_weight(found: Evidence, weights: Weights) -> float:
    """What the content signal can add to a song's total: nothing without a taste in sound."""
    return weights.content if found.taste is not None else 0.0


def _within_reach(
    catalog: CatalogArrays, found: Evidence, weights: Weights, total: FloatArray, count: int
) -> IntArray:
    """The songs that can be among the best `count` once the content signal is added: every
    song whose total, plus the most content can add, reaches a floor for the list's cut.

    The floor: the count-th best total with content of the SAMPLE x count best without it
    (any `count` songs' worst is at most the list's cut). Without a mood, a song's total is
    its base score unless a signal reaches it: the songs within reach are found among the
    supports, the songs of the liked genres first in base order (`_within_genre_reach`)
    and, in base order, the rest."""
    least = -_content_weight(found, weights) * (1 + SOUND_APPROXIMATION)
    if not weights.mood or found.scores["mood"] is none(catalog):
        top, floor = _base_top(found, weights)
        marked = np.zeros(len(total), bool)
        marked[top] = True
        for signal, support in found.supports.items():
            if weights.of(signal):
                marked[support] = True
        pool = np.flatnonzero(marked)
        if len(pool) >= count:
            least += _content_floor(catalog, found, weights, total, pool, count)
            reachable = pool[total[pool] >= least]
            by_genre = _within_genre_reach(catalog, found, weights, total, least, marked)
            reachable = np.concatenate([reachable, by_genre])
            if floor >= least:
                order, bases = _base_order(found, weights)
                above = order[: np.searchsorted(-bases, -least, side="right")]
                extra = above[~marked[above]]
                reachable = np.concatenate([reachable, extra[np.isfinite(total[extra])]])
            return reachable
    least += _content_floor(catalog, found, weights, total, None, count)
    return np.flatnonzero(total >= least)


def _content_floor(
    catalog: CatalogArrays,
    found: Evidence,
    weights: Weights,
    total: FloatArray,
    among: IntArray | None,
    count: int,
) -> float:
    """At most the count-th best total with content (see `_within_reach`)."""
    scores = total if among is None else total[among]
    sample = min(len(scores), count * FLOOR_SAMPLE)
    best = np.argpartition(-scores, sample - 1)[:sample]
    songs = best if among is None else among[best]
    lifted = total[songs] + _content_weight(found, weights) * content_at(catalog, found, songs)
    return float(-np.partition(-lifted, count - 1)[count - 1])


@dataclass(frozen=True)
class Blended:
    total: FloatArray  # every song's score; -inf for the excluded
    # The songs the best `count` are among, when known (content was added to these only).
    candidates: IntArray | None


def blend(
    catalog: CatalogArrays, found: Evidence, weights: Weights, count: int, exclude: IntArray
) -> Blended:
    """Every song's weighted sum of its signals, the excluded at -inf; exact for the best
    `count` songs, which are among the candidates (`_within_reach`): no other song can pass
    them. The content signal (0..1) is added to the candidates only."""
    total = _base(catalog, found, weights)
    for signal in SIGNALS:
        weight = weights.of(signal)
        support = found.supports.get(signal)
        if signal in ("popularity", "content") or not weight or (support is not None and len(support) == 0):
            continue
        if support is None:
            if found.scores[signal] is not none(catalog):
                total += weight * found.scores[signal]
        else:  # zero elsewhere: add where it is not
            total[support] += weight * found.on_support[signal]
    total[exclude] = -np.inf
    reachable = _within_reach(catalog, found, weights, total, min(count, len(total)))
    content = _content_weight(found, weights)
    if not content:
        return Blended(total=total, candidates=reachable)
    assert found.taste is not None  # content adds nothing without a taste
    if len(reachable) > CONTENT_EXACT_MAX:
        # Most of the catalog is within reach (a listener whose other signals are faint): one
        # pass over the catalog, within SOUND_APPROXIMATION, and no candidates to sort apart.
        total += content * sound_similarity(catalog, found.taste)
        return Blended(total=total, candidates=None)
    total[reachable] += content * content_at(catalog, found, reachable)
    return Blended(total=total, candidates=reachable)


def _ranked(scores: FloatArray, count: int, among: IntArray | None = None) -> IntArray:
    """The `count` best songs by score (ties by position, also at the cut), best first; -inf
    ones left out. `among`: the songs they are known to be among. Only the songs at or above
    the count-th best score are sorted (a partition finds it): `among` can hold tens of
    thousands of songs."""
    values = scores if among is None else scores[among]
    count = min(count, len(values))
    if count == 0:
        return np.zeros(0, np.int64)
    cut = -np.partition(-values, count - 1)[count - 1] if count < len(values) else -np.inf
    top = np.flatnonzero(values >= cut)
    if among is not None:
        top = among[top]
    top = top[np.isfinite(scores[top])]
    return top[np.lexsort((top, -scores[top]))][:count]


def within_artist_cap(artists: Sequence[int], taken: dict[int, int], cap: int) -> bool:
    """Whether a song by `artists` may join a list holding `taken[a]` songs by each artist a,
    at most `cap` each (every artist of the song counts); if it may, counts it in `taken`."""
    if any(taken.get(a, 0) >= cap for a in artists):
        return False
    for a in artists:
        taken[a] = taken.get(a, 0) + 1
    return True


def rerank(catalog: CatalogArrays, blended: Blended, limit: int, artist_cap: int) -> IntArray:
    """The best `limit` songs, none of an artist already `artist_cap` times in the list, no
    song twice (nor two ids of one recording). The best limit x CANDIDATE_FACTOR songs are
    read first; only when the caps leave the list short is the whole catalog ranked (without
    the content signal outside the candidates: a rare list, ranked a little less finely)."""
    scores = blended.total.copy()
    chosen: list[int] = []
    per_artist: dict[int, int] = {}
    indptr, indices = catalog.song_artists.indptr, catalog.song_artists.indices
    for count, among in ((limit * CANDIDATE_FACTOR, blended.candidates), (len(scores), None)):
        for song in _ranked(scores, count, among):
            if not np.isfinite(scores[song]):
                continue  # another id of a recording the list holds
            artists = indices[indptr[song] : indptr[song + 1]].tolist()
            if not within_artist_cap(artists, per_artist, artist_cap):
                continue
            chosen.append(int(song))
            scores[catalog.same_songs(np.array([song]))] = -np.inf
            if len(chosen) == limit:
                return np.asarray(chosen, np.int64)
    return np.asarray(chosen, np.int64)


def excluded(catalog: CatalogArrays, listener: Listener) -> IntArray:
    """The songs a list may not hold: the listener's history, their seeds (where they start
    from, not something to hand back), every other id of those songs' recordings, and what
    they blocked."""
    blocked = songs_blocked(
        catalog, listener.seed_songs[:0], listener.blocked_artists, listener.blocked_genres
    )
    known = catalog.same_songs(np.concatenate([listener.exclude, listener.seed_songs]).astype(np.int64))
    return np.concatenate([known, blocked]).astype(np.int64)


def steered(weights: Weights, listener: Listener) -> Weights:
    """The weights a listener's list is blended with: with seeds (`Listener.asked`), the seed
    artists lead and a mood orders what the seeds bring (STEERED_ARTIST, STEERED_MOOD)."""
    if not listener.asked:
        return weights
    return replace(weights, artist=max(weights.artist, STEERED_ARTIST), mood=min(weights.mood, STEERED_MOOD))


def recommend(
    *,
    catalog: CatalogArrays,
    listener: Listener,
    model: CollaborativeModel | None,
    limit: int,
    weights: Weights = BLEND,
    artist_cap: int = ARTIST_CAP,
) -> list[Recommendation]:
    """At most `limit` songs for `listener`, best first, each with its score and reasons."""
    if limit < 1 or catalog.size == 0:
        return []
    found = evidence(catalog, listener, model)
    weights = steered(weights, listener)
    blended = blend(catalog, found, weights, limit * CANDIDATE_FACTOR, excluded(catalog, listener))
    total = blended.total
    chosen = rerank(catalog, blended, limit, artist_cap)
    return [
        Recommendation(
            song=int(song),
            score=round(float(total[song]), 6),
            reasons=reasons_for(catalog, found, listener, weights, int(song)),
        )
        for song in chosen
    ]
