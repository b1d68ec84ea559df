"""A list's reasons are true of its listener: a listener who only passed on songs (skips, low
ratings) is never told what they like. And of the song: in a catalog without popularity
figures, no song is said to be popular."""

from __future__ import annotations

from analytics.models import Action
from catalog.ratings.services import rating_submit
from recommendations.engine.reasons import NOTHING_ADDED
from recommendations.model import build_model, model_forget
from recommendations.services import recommend
from tests.factories import ArtistFactory, RatingFactory, UserFactory
from tests.recommendations.builders import listened, song_by


def _reasons(make_auth_client, user) -> set[str]:
    body = make_auth_client(user).get(f"/api/recommendations/user/{user.pk}/", {"limit": 9}).json()
    return {reason for item in body["results"] for reason in item["reasons"]}


def test_a_listener_who_only_skipped_an_artist_is_not_told_they_like_it(make_auth_client, world):
    skipper = UserFactory(profile__favorite_genres=[], profile__moods=[])
    listened(skipper, *[(song, Action.SKIP) for song in world["Alpha"]])

    reasons = _reasons(make_auth_client, skipper)

    assert not any("Alpha" in reason for reason in reasons), reasons
    assert "sounds like the songs you like" not in reasons
    assert "sounds unlike the songs you passed on" in reasons


def test_a_listener_with_likes_and_low_ratings_is_told_what_they_like(make_auth_client, world):
    fan = UserFactory(profile__favorite_genres=[], profile__moods=[])
    listened(fan, (world["Alpha"][0], Action.LIKE))
    RatingFactory(user=fan, song=world["Gamma"][0], score=1)

    reasons = _reasons(make_auth_client, fan)

    assert "liked by listeners who like Alpha" in reasons
    assert "sounds unlike the songs you passed on" not in reasons


def test_without_popularity_figures_no_song_is_said_to_be_popular(make_auth_client, db):
    for _ in range(4):
        song_by(ArtistFactory(), popularity=None)
    newcomer = UserFactory(profile__favorite_genres=[], profile__moods=[])

    body = make_auth_client(newcomer).get(f"/api/recommendations/user/{newcomer.pk}/").json()

    assert len(body["results"]) == 4
    assert all(item["reasons"] == [NOTHING_ADDED] for item in body["results"]), body["results"]


def _collaborative_reasons(user, seed: str) -> set[str]:
    build_model()
    items = recommend(user_id=user.pk, seed_artists=[seed], limit=6)
    return {reason for item in items for reason in item["reasons"] if reason.startswith("liked by listeners")}


def test_a_listener_alone_in_the_model_is_not_shown_their_own_history_as_other_listeners_taste(db):
    alpha, beta = ArtistFactory(name="Alpha"), ArtistFactory(name="Beta")
    songs = {artist.name: [song_by(artist, popularity=50) for _ in range(3)] for artist in (alpha, beta)}
    solo = UserFactory(profile__favorite_genres=[], profile__moods=[])
    listened(solo, (songs["Alpha"][0], Action.LIKE), (songs["Beta"][0], Action.LIKE))

    assert _collaborative_reasons(solo, "Alpha") == set()

    # Another listener with the same taste: now other listeners do like Beta with Alpha.
    listened(UserFactory(), (songs["Alpha"][0], Action.LIKE), (songs["Beta"][0], Action.LIKE))
    model_forget()
    assert _collaborative_reasons(solo, "Alpha") == {"liked by listeners who like Alpha"}


def test_one_rated_song_does_not_make_the_unrated_ones_popular(
    make_auth_client, db, django_capture_on_commit_callbacks
):
    songs = [song_by(ArtistFactory(), popularity=None) for _ in range(4)]
    with django_capture_on_commit_callbacks(execute=True):  # the song's aggregates recomputed
        rating_submit(user_id=UserFactory().pk, song_id=songs[0].pk, score=4)
    newcomer = UserFactory(profile__favorite_genres=[], profile__moods=[])

    body = make_auth_client(newcomer).get(f"/api/recommendations/user/{newcomer.pk}/").json()

    reasons = {item["song"]["id"]: item["reasons"] for item in body["results"]}
    assert reasons.pop(songs[0].pk) == ["popular in the catalog"]
    assert all(said == [NOTHING_ADDED] for said in reasons.values()), reasons
