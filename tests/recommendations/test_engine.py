"""The engine alone, on small arrays: what a list may and must contain, what each signal does,
and the collaborative model (the ranking's shortcuts: test_engine_ranking.py)."""

from __future__ import annotations

import numpy as np
import pytest

from recommendations.engine import (
    ARTIST_CAP,
    BLEND,
    FEATURES,
    MOOD_TARGETS,
    Weights,
    build_collaborative,
    recommend,
)
from recommendations.engine.collaborative import collaborative_scores
from recommendations.engine.moods import MOOD_REASON_FIT, mood_fit
from recommendations.engine.reasons import NOTHING_ADDED
from recommendations.engine.similar import similar_songs
from tests.recommendations.builders import catalog_of, listener_of, user_songs
from users.moods import MOODS

# 6 artists x 5 songs: song s is by artist s // 5.
ARTISTS = [s // 5 for s in range(30)]
# Listeners of artists 0 and 1 also listen to 2; listeners of 3 to 4 and 5 (each user's row:
# the first song of each of their artists).
BACKGROUND = [[0, 5, 10]] * 6 + [[0, 10]] * 3 + [[15, 20, 25]] * 5 + [[5]]


CATALOG = catalog_of(artists=ARTISTS)


def _model(kind: str = "ease"):
    return build_collaborative(
        user_ids=np.arange(len(BACKGROUND)),
        user_songs=user_songs(BACKGROUND, 30),
        song_artists=CATALOG.song_artists,
        kind=kind,
    )


def _songs(items) -> list[int]:
    return [item.song for item in items]


def test_the_mood_table_covers_exactly_the_profile_vocabulary():
    assert set(MOOD_TARGETS) == set(MOODS)
    for targets in MOOD_TARGETS.values():
        assert set(targets) <= set(FEATURES)
        assert all(low < high for low, high in targets.values())


@pytest.mark.parametrize("kind", ["ease", "knn"])
def test_listeners_who_like_the_same_artists_lead_the_list_and_say_so(kind):
    catalog = catalog_of(artists=ARTISTS)
    # Likes artist 0's first song; song 25 (artist 5) is the most popular left at the end.
    listener = listener_of(liked={0: 3.0})

    items = recommend(catalog=catalog, listener=listener, model=_model(kind), limit=4, weights=BLEND)

    top_artists = {ARTISTS[s] for s in _songs(items[:2])}
    assert 2 in top_artists
    by_two = next(item for item in items if ARTISTS[item.song] == 2)
    assert "liked by listeners who like Artist 0" in by_two.reasons


def test_a_skipped_artist_is_never_named_as_one_the_listener_likes():
    # Listeners of artist 1 split between artists 0 and 2: EASE weighs 0 against 2, so
    # skipping 0 adds to 2's score, and that is no reason to say the listener likes 0.
    background = [[0, 5]] * 6 + [[5, 10]] * 6 + [[15, 20]] * 3
    model = build_collaborative(
        user_ids=np.arange(len(background)),
        user_songs=user_songs(background, 30),
        song_artists=CATALOG.song_artists,
    )
    skipped, both = np.zeros(6, np.float32), np.zeros(6, np.float32)
    skipped[0] = -1.0
    both[[0, 3]] = [-1.0, 1.0]

    scores, sources = collaborative_scores(model, skipped)
    assert scores[2] > 0 and sources[2] == -1
    assert 0 not in collaborative_scores(model, both)[1]


def test_never_an_excluded_song_never_a_song_twice_and_a_reason_on_every_item():
    catalog = catalog_of(artists=ARTISTS)
    excluded = [0, 1, 10, 11, 12, 25]
    listener = listener_of(liked={0: 3.0, 1: 1.0, 10: -2.0}, exclude=excluded, genres=[0], moods=["happy"])

    items = recommend(catalog=catalog, listener=listener, model=_model(), limit=30, artist_cap=5)

    songs = _songs(items)
    assert not set(songs) & set(excluded)
    assert len(songs) == len(set(songs)) == 30 - len(excluded)
    assert all(item.reasons and all(isinstance(r, str) and r for r in item.reasons) for item in items)
    assert [item.score for item in items] == sorted((item.score for item in items), reverse=True)


def test_an_artist_appears_at_most_artist_cap_times():
    catalog = catalog_of(artists=ARTISTS)

    items = recommend(catalog=catalog, listener=listener_of(liked={0: 3.0}), model=_model(), limit=12)

    per_artist = np.bincount([ARTISTS[s] for s in _songs(items)])
    assert per_artist.max() == ARTIST_CAP
    assert len(items) == 12


def test_a_skip_pushes_the_skipped_artists_songs_down():
    catalog = catalog_of(artists=ARTISTS)
    weights = Weights(collaborative=1.0, artist=0.5, popularity=0.2)
    liked = {0: 3.0, 5: 3.0}  # artists 0 and 1

    def artist_two(extra: dict[int, float]) -> tuple[int, float]:
        """(rank, score) of artist 2's first song in the list."""
        listener = listener_of(liked={**liked, **extra})
        items = recommend(catalog=catalog, listener=listener, model=_model(), limit=20, weights=weights)
        return next((i, item.score) for i, item in enumerate(items) if ARTISTS[item.song] == 2)

    skipped, unskipped = artist_two({10: -2.0}), artist_two({})
    assert skipped[1] < unskipped[1] - 0.3
    assert skipped[0] >= unskipped[0]


@pytest.mark.parametrize(
    ("mood", "feature", "higher"), [("energetic", "energy", True), ("calm", "energy", False)]
)
def test_a_mood_moves_the_list_toward_its_features(mood, feature, higher):
    catalog = catalog_of(artists=list(range(200)), seed=3)
    column = catalog.features[:, FEATURES.index(feature)]

    items = recommend(catalog=catalog, listener=listener_of(moods=[mood]), model=None, limit=20)

    mean = float(np.mean(column[_songs(items)]))
    assert (mean > column.mean() + 0.2) if higher else (mean < column.mean() - 0.2)
    # Said to be in the mood exactly when it fits it nearly whole, else in part.
    fits = mood_fit(catalog.features, mood)
    whole = [f"{mood}, like your '{mood}' mood" in item.reasons for item in items]
    assert whole == [bool(fits[item.song] >= MOOD_REASON_FIT) for item in items]
    assert any(whole) and not all(whole)
    in_part = [item for item, said in zip(items, whole, strict=True) if not said]
    assert all(f"in part like your '{mood}' mood" in item.reasons for item in in_part)


def test_with_nothing_known_the_list_is_the_most_popular_songs():
    catalog = catalog_of(artists=list(range(10)), prior=[0.1, 0.9, 0.5, 0.3, 0.7, 0.2, 0.0, 0.4, 0.6, 0.8])

    items = recommend(catalog=catalog, listener=listener_of(), model=None, limit=3)

    assert _songs(items) == [1, 9, 4]
    assert all(item.reasons == ("popular in the catalog",) for item in items)


@pytest.mark.parametrize(
    ("prior", "popular"),
    [
        ([0.1] * 5, []),  # no figure tells one song from another: none is popular
        ([1.0, 0.0, 0.0, 0.0, 0.0], [0]),  # the others are the least popular
    ],
)
def test_only_a_song_more_popular_than_others_is_said_to_be_popular(prior, popular):
    catalog = catalog_of(artists=list(range(5)), prior=prior)

    items = recommend(catalog=catalog, listener=listener_of(), model=None, limit=5)

    said = [item.song for item in items if item.reasons == ("popular in the catalog",)]
    assert said == popular
    assert all(item.reasons == (NOTHING_ADDED,) for item in items if item.song not in popular)


def test_a_list_holds_a_recording_once_and_none_the_listener_knows_under_another_id():
    """Songs 1 and 9 are one recording, 4 and 5 another; the listener rated 7, whose other id
    is 8. By popularity alone: 1 9 4 5 8 2 7 3 0 6."""
    catalog = catalog_of(
        artists=list(range(10)),
        prior=[0.1, 0.9, 0.5, 0.3, 0.7, 0.65, 0.0, 0.4, 0.6, 0.8],
        recording=[0, 1, 2, 3, 4, 4, 6, 7, 7, 1],
    )

    items = recommend(catalog=catalog, listener=listener_of(exclude=[7]), model=None, limit=8)

    assert _songs(items) == [1, 4, 2, 3, 0, 6]


def test_similar_songs_are_never_the_song_under_another_id_nor_one_recording_twice():
    features = np.zeros((6, len(FEATURES)), np.float32)
    features[:, 0] = [0.0, 0.0, 0.1, 0.1, 0.2, 0.9]  # 0 and 1 alike, then 2 and 3, then 4
    catalog = catalog_of(artists=list(range(6)), features=features, recording=[0, 0, 2, 2, 4, 5])

    assert [song for song, _ in similar_songs(catalog, 0, 3)] == [2, 4, 5]


def test_a_profile_alone_gives_a_personal_list():
    catalog = catalog_of(artists=ARTISTS, genres=[s % 3 for s in range(30)])

    items = recommend(catalog=catalog, listener=listener_of(genres=[2], artists=[4]), model=_model(), limit=5)

    assert all(ARTISTS[s] in (3, 4, 5) or s % 3 == 2 for s in _songs(items))
    assert any("genre 2, a genre you like" in item.reasons for item in items)
    assert any("by Artist 4, an artist you like" in item.reasons for item in items)


def test_with_a_mood_the_liked_genre_and_artist_are_named_beside_it():
    """The mood weighs far more than a liked genre or artist, yet among songs that fit the
    mood alike those decide the list: an item of the liked genre or by the liked artist says
    so, after the mood. Genre 2, liked a quarter as much as genre 1, is not named."""
    catalog = catalog_of(artists=list(range(20)) * 10, genres=[s % 4 for s in range(200)], seed=3)
    listener = listener_of(genres=[1, 1, 1, 1, 2], artists=[7], moods=["calm"])

    items = recommend(catalog=catalog, listener=listener, model=None, limit=60)

    fits = mood_fit(catalog.features, "calm")
    assert all(
        item.reasons[0] == "calm, like your 'calm' mood"
        for item in items
        if fits[item.song] >= MOOD_REASON_FIT
    )
    in_genre = [item for item in items if item.song % 4 == 1]
    by_artist = [item for item in items if item.song % 20 == 7]
    assert in_genre and by_artist
    assert all("genre 1, a genre you like" in item.reasons for item in in_genre)
    assert all("by Artist 7, an artist you like" in item.reasons for item in by_artist)
    assert not any("genre 1, a genre you like" in item.reasons for item in items if item.song % 4 != 1)
    faint = [item for item in items if item.song % 4 == 2]
    assert faint and not any("genre 2, a genre you like" in item.reasons for item in faint)


def test_a_seed_song_is_not_recommended_back():
    catalog = catalog_of(artists=ARTISTS)

    items = recommend(
        catalog=catalog, listener=listener_of(seed_songs=[0]), model=_model(), limit=29, artist_cap=5
    )

    assert 0 not in _songs(items)


def test_a_list_steered_by_seeds_says_what_was_asked_for_by_name_and_what_by_a_song():
    """Seed genre 2 named; seed song 0 (artist 0, genre 0): "asked for" only for what was
    named, "like the songs you asked for" for what a seed song brought."""
    catalog = catalog_of(artists=ARTISTS, genres=[s % 3 for s in range(30)])
    weights = Weights(artist=1.0, genre=1.0)
    listener = listener_of(seed_songs=[0], genres=[2], asked=True)

    items = recommend(
        catalog=catalog, listener=listener, model=None, limit=30, weights=weights, artist_cap=30
    )

    reasons = {reason for item in items for reason in item.reasons}
    assert "genre 2, a genre you asked for" in reasons
    assert "genre 0, like the songs you asked for" in reasons
    assert "by Artist 0, like the songs you asked for" in reasons
    assert not any("you like" in reason for reason in reasons)


@pytest.mark.parametrize("kind", ["ease", "knn"])
def test_leaving_a_user_out_equals_a_model_built_without_them(kind):
    catalog = catalog_of(artists=ARTISTS)
    without = BACKGROUND[:7] + BACKGROUND[8:]
    rebuilt = build_collaborative(
        user_ids=np.arange(len(without)),
        user_songs=user_songs(without, 30),
        song_artists=CATALOG.song_artists,
        kind=kind,
    )
    listener = listener_of(liked={0: 3.0, 15: 1.0, 20: -2.0})
    # Popularity too: its listener counts must not count the left-out user either.
    weights = Weights(collaborative=1.0, popularity=0.3)

    left_out = recommend(
        catalog=catalog, listener=listener, model=_model(kind).excluding(7), limit=10, weights=weights
    )
    expected = recommend(catalog=catalog, listener=listener, model=rebuilt, limit=10, weights=weights)

    assert _songs(left_out) == _songs(expected)
    assert [item.score for item in left_out] == pytest.approx([item.score for item in expected], abs=1e-4)


def test_an_unknown_collaborative_kind_is_refused():
    with pytest.raises(ValueError, match="unknown collaborative model"):
        build_collaborative(
            user_ids=np.arange(1),
            user_songs=user_songs([[0]], 30),
            song_artists=CATALOG.song_artists,
            kind="bpr",
        )


def test_with_seeds_a_mood_orders_what_they_bring_rather_than_outweighing_them():
    """A request naming an artist and a mood: the artist's songs lead, the mood orders the
    rest. At the blend's mood weight (twelve times a seed artist's) other artists' songs that
    fit the mood came first (on the real catalog, `Coldplay` with `calm` listed none of
    Coldplay's songs)."""
    catalog = catalog_of(artists=list(range(20)) * 10, seed=3)
    listener = listener_of(artists=[7], moods=["energetic"], asked=True)

    items = recommend(catalog=catalog, listener=listener, model=None, limit=10)

    assert [item.song % 20 for item in items[:2]] == [7, 7]
    assert "by Artist 7, an artist you asked for" in items[0].reasons
