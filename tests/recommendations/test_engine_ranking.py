"""The ranking's shortcuts checked against doing it all: the list is the exact best of the
whole blend, the best songs are taken by score then position, a song scores as its best artist
or genre (its worst when it has no liked one), and the liked genres' reach finds every song over
a line."""

from __future__ import annotations

import numpy as np
import pytest

from recommendations.engine import Weights, build_collaborative, recommend
from tests.recommendations.builders import catalog_of, listener_of, user_songs


@pytest.mark.parametrize(
    ("content", "moods", "pool_top", "with_model", "limit", "artist", "genre"),
    [
        (2.0, ["calm"], 2000, True, 25, 0.2, 0.2),
        (0.05, [], 50, False, 20, 0.2, 0.0),
        (0.05, [], 3, False, 20, 0.02, 0.0),
        (0.3, [], 100, True, 25, 0.2, 0.2),
        # The liked genres' songs lead, reached through their genres only.
        (0.05, [], 3, False, 20, 0.02, 0.3),
        # No content: the candidates are bounded all the same.
        (0.0, [], 3, False, 20, 0.02, 0.3),
        (0.0, [], 3, False, 20, 0.02, 0.0),
        (0.0, ["calm"], 50, True, 25, 0.2, 0.2),
    ],
)
def test_the_list_is_the_exact_best_of_the_whole_blend(
    content, moods, pool_top, with_model, limit, artist, genre, monkeypatch
):
    """Content is added only to the songs it could lift into the list, found among the
    listener's signals, their genres' songs of the highest base scores and the highest base
    scores when no other song can matter: the list must be the same as from every signal
    computed for every song."""
    from recommendations.engine import ranking

    monkeypatch.setattr(ranking, "POOL_TOP", pool_top)
    # The cut at the list's own length: every song within reach of it matters.
    monkeypatch.setattr(ranking, "CANDIDATE_FACTOR", 1)
    from recommendations.engine.ranking import TIE_BREAK
    from recommendations.engine.signals import SIGNALS, content_at, evidence

    rng = np.random.default_rng(7)
    size = 3000
    artists = list(rng.integers(0, 300, size))
    catalog = catalog_of(
        artists=artists, genres=list(rng.integers(0, 12, size)), prior=list(rng.random(size))
    )
    rows = [list(rng.choice(size, 15, replace=False)) for _ in range(200)]
    model = (
        build_collaborative(
            user_ids=np.arange(200), user_songs=user_songs(rows, size), song_artists=catalog.song_artists
        )
        if with_model
        else None
    )
    liked = {
        int(s): float(w)
        for s, w in zip(rng.choice(size, 12, replace=False), rng.uniform(-2, 4, 12), strict=True)
    }
    listener = listener_of(liked=liked, genres=[3] if genre else [], moods=moods)
    weights = Weights(
        collaborative=0.5, artist=artist, genre=genre, content=content, mood=0.3, popularity=0.1
    )

    items = recommend(
        catalog=catalog, listener=listener, model=model, limit=limit, weights=weights, artist_cap=size
    )

    found = evidence(catalog, listener, model)
    exact = TIE_BREAK * catalog.prior + sum(
        weights.of(signal)
        * (content_at(catalog, found, np.arange(size)) if signal == "content" else found.dense(signal, size))
        for signal in SIGNALS
    )
    exact[list(liked)] = -np.inf
    best = sorted(range(size), key=lambda song: (-exact[song], song))[:limit]
    assert [item.song for item in items] == best
    np.testing.assert_allclose([item.score for item in items], exact[best], rtol=1e-4)


@pytest.mark.parametrize("among", [False, True])
def test_the_best_songs_are_taken_by_score_then_position_also_at_the_cut(among):
    """`_ranked`, which partitions before it sorts: the same songs, in the same order, as
    sorting every song, with many ties (at the cut too) and excluded (-inf) songs."""
    from recommendations.engine.ranking import _ranked

    rng = np.random.default_rng(5)
    scores = rng.integers(0, 6, 500).astype(np.float32)
    scores[rng.choice(500, 100, replace=False)] = -np.inf
    # The songs the best are known to be among, in no particular order.
    subset = rng.permutation(500)[:300] if among else None
    songs = range(500) if subset is None else subset.tolist()
    for count in (1, 7, 50, 250, 400, 600):
        expected = sorted((s for s in songs if np.isfinite(scores[s])), key=lambda s: (-scores[s], s))
        assert _ranked(scores, count, subset).tolist() == expected[:count]


def test_a_song_takes_its_best_item_or_its_worst_when_it_has_no_liked_one():
    from recommendations.engine.signals import best_per_song

    # Song s credits artists[s] first, then its guests.
    catalog = catalog_of(artists=[0, 2, 0, 4, 3, 1], guests={0: [1], 1: [3], 2: [3], 4: [2], 5: [0]})
    values = np.array([0.5, 1.0, -0.3, -0.8, 0.0], np.float32)
    scores = best_per_song(catalog, catalog.artist_songs, values)
    np.testing.assert_allclose(scores, [1.0, -0.8, 0.5, 0.0, -0.8, 1.0])


def test_a_songs_genre_score_is_its_best_genres_value_when_a_genre_without_songs_leads():
    """What `_within_genre_reach` relies on: the listener's genre values are on the songs'
    scale, even when a genre without songs holds the largest interest."""
    from recommendations.engine.signals import best_item, evidence

    # Genre 2 has no songs.
    catalog = catalog_of(artists=list(range(6)), genres=[0, 0, 1, 1, 3, 3])
    listener = listener_of(liked={0: 1.0, 2: -0.5}, genres=[2])
    found = evidence(catalog, listener, None)
    scores = found.scores["genre"]
    assert scores.max() == pytest.approx(1.0)
    for song in range(catalog.size):
        genre = best_item(catalog.song_genres, found.genre_values, song)
        expected = found.genre_values[genre] if genre >= 0 else 0.0
        assert scores[song] == pytest.approx(expected)


def test_the_liked_genres_songs_over_a_total_are_found_in_base_order():
    """`_within_genre_reach`: outside the other signals' supports, every song of a liked genre
    whose total is at least the line, once, and no other."""
    from recommendations.engine.ranking import _within_genre_reach, blend, excluded
    from recommendations.engine.signals import evidence

    rng = np.random.default_rng(3)
    size = 3000
    catalog = catalog_of(
        artists=list(rng.integers(0, 300, size)),
        genres=list(rng.integers(0, 12, size)),
        prior=list(rng.random(size)),
        # A third of the songs in a second genre (or twice in the same: one tag).
        more_genres={int(s): [int(rng.integers(0, 12))] for s in rng.choice(size, 1000, replace=False)},
    )
    liked = {
        int(s): float(w)
        for s, w in zip(rng.choice(size, 12, replace=False), rng.uniform(-2, 4, 12), strict=True)
    }
    listener = listener_of(liked=liked, genres=[3])
    weights = Weights(collaborative=0.5, artist=0.02, genre=0.3, content=0.0, mood=0.3, popularity=0.1)
    found = evidence(catalog, listener, None)
    total = blend(catalog, found, weights, 20, excluded(catalog, listener)).total
    by_others = np.zeros(size, bool)
    by_others[found.supports["artist"]] = True
    for line in (0.1, 0.2, 0.3, 0.35):
        reached = _within_genre_reach(catalog, found, weights, total, line, by_others.copy())
        assert (total[reached] >= line).all()
        assert len(set(reached.tolist())) == len(reached)
        assert not by_others[reached].any()
        expected = np.flatnonzero((total >= line) & (found.scores["genre"] > 0) & ~by_others)
        assert set(expected) <= set(reached.tolist())
        assert len(expected) > 0
