"""`recommend` through the database (SQLite, or PostgreSQL with DATABASE_URL): what the
listener did, rated and said in their profile shapes the list; exclusions and refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from analytics.models import Action
from analytics.services import EventIn, activity_record
from catalog.models import AUDIO_FEATURE_FIELDS
from recommendations.services import RecommendationInputError, build_model, model_forget, recommend
from tests.factories import ArtistFactory, RatingFactory, SongArtistFactory, SongFactory, UserFactory


@pytest.fixture(autouse=True)
def _no_model_between_tests():
    """The model lives in the process: each test builds its own from its own rows."""
    model_forget()
    yield
    model_forget()


def _song(artist, *, popularity: int, genres=("pop",), **features):
    song = SongFactory(popularity=popularity, genres=list(genres), **features)
    SongArtistFactory(song=song, artist=artist, position=0)
    return song


def _events(user, *pairs):
    now = timezone.now()
    activity_record(
        user_id=user.pk,
        events=[
            EventIn(song_id=song.pk, action=action, occurred_at=now - dt.timedelta(minutes=i))
            for i, (song, action) in enumerate(pairs)
        ],
    )


@pytest.fixture
def world(db):
    """Artists "Alpha", "Beta", "Gamma", "Delta", three songs each (popularity falling);
    eight listeners who like Alpha and Beta, four who like Gamma and Delta."""
    artists = {name: ArtistFactory(name=name) for name in ("Alpha", "Beta", "Gamma", "Delta")}
    songs = {
        name: [
            _song(artist, popularity=90 - 10 * i, genres=("rock" if name in ("Alpha", "Beta") else "jazz",))
            for i in range(3)
        ]
        for name, artist in artists.items()
    }
    for pair, count in ((("Alpha", "Beta"), 8), (("Gamma", "Delta"), 4)):
        for _ in range(count):
            _events(UserFactory(), *[(songs[name][0], Action.LIKE) for name in pair])
    return songs


def _titles(items):
    return [item["song"].title for item in items]


def test_a_listener_gets_what_others_with_their_taste_like_never_what_they_rated_or_skipped(world):
    listener = UserFactory()
    _events(listener, (world["Alpha"][0], Action.PLAY), (world["Alpha"][1], Action.SKIP))
    RatingFactory(user=listener, song=world["Alpha"][2], score=5)
    build_model()

    items = recommend(user_id=listener.pk, limit=6)

    ids = [item["song"].pk for item in items]
    assert not {s.pk for s in world["Alpha"]} & set(ids)
    assert len(ids) == len(set(ids))
    assert items[0]["song"].artist_credits[0]["name"] == "Beta"
    assert "liked by listeners who like Alpha" in items[0]["reasons"]
    assert all(item["reasons"] for item in items)
    assert [item["score"] for item in items] == sorted((item["score"] for item in items), reverse=True)


def test_a_low_rating_pushes_that_artists_listeners_taste_down(world):
    listener = UserFactory()
    RatingFactory(user=listener, song=world["Gamma"][0], score=5)
    RatingFactory(user=listener, song=world["Alpha"][0], score=1)

    items = recommend(user_id=listener.pk, limit=4)

    artists = [item["song"].artist_credits[0]["name"] for item in items]
    assert artists[0] == "Delta"
    assert artists.index("Beta") > artists.index("Delta") if "Beta" in artists else True
    assert "Alpha" not in artists[:2]


def test_a_new_listener_with_only_a_profile_gets_their_genres_and_artists(world):
    listener = UserFactory(
        profile__favorite_genres=["Jazz"], profile__favorite_artists=["gamma"], profile__moods=[]
    )

    items = recommend(user_id=listener.pk, limit=4)

    assert {item["song"].artist_credits[0]["name"] for item in items} <= {"Gamma", "Delta"}
    assert any("by Gamma, an artist you like" in item["reasons"] for item in items)


def test_with_nothing_known_the_most_popular_songs_come_first(world):
    listener = UserFactory(profile__favorite_genres=[], profile__moods=[])

    items = recommend(user_id=listener.pk, limit=3)

    assert [item["song"].popularity for item in items] == [90, 90, 90]
    assert all(item["reasons"] == ["popular in the catalog"] for item in items)


def test_moods_and_seeds_shape_the_list(db):
    artist = ArtistFactory(name="Quiet")
    calm = _song(artist, popularity=10, energy=0.1, acousticness=0.9, tempo=80.0)
    _song(ArtistFactory(), popularity=90, energy=0.95, acousticness=0.05, tempo=170.0)
    listener = UserFactory(profile__favorite_genres=[], profile__moods=[])

    items = recommend(user_id=listener.pk, limit=1, moods=["calm"])
    seeded = recommend(user_id=listener.pk, limit=1, seed_artists=["QUIET"])

    assert items[0]["song"].pk == calm.pk
    assert "calm, like your 'calm' mood" in items[0]["reasons"]
    assert seeded[0]["song"].pk == calm.pk


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"moods": ["grumpy"]}, "Unknown mood"),
        ({"seed_songs": [987654]}, "Unknown seed song"),
        ({"seed_artists": ["Nobody"]}, "Unknown artist"),
        ({"seed_genres": ["polka"]}, "Unknown genre"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
    ],
)
def test_unknown_seeds_moods_and_bad_limits_are_refused(world, arguments, message):
    listener = UserFactory()

    with pytest.raises(RecommendationInputError, match=message):
        recommend(user_id=listener.pk, **{"limit": 5, **arguments})


def test_a_song_without_audio_features_comes_by_its_artist_never_by_a_mood(db):
    """Songs brought from Spotify have no features: no sound or mood can put them in a list,
    their artist still can."""
    artist = ArtistFactory(name="Outside")
    featureless = SongFactory(**dict.fromkeys(AUDIO_FEATURE_FIELDS), speechiness=None, popularity=100)
    SongArtistFactory(song=featureless, artist=artist, position=0)
    calm = _song(ArtistFactory(), popularity=0, energy=0.1, acousticness=0.9, tempo=80.0)
    listener = UserFactory(profile__favorite_genres=[], profile__moods=[])

    by_mood = recommend(user_id=listener.pk, limit=1, moods=["calm"])
    by_artist = recommend(user_id=listener.pk, limit=1, seed_artists=["Outside"])

    assert by_mood[0]["song"].pk == calm.pk
    assert by_artist[0]["song"].pk == featureless.pk
    assert "by Outside, an artist you like" in by_artist[0]["reasons"]
