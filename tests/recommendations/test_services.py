"""`recommend` through the database (SQLite, or PostgreSQL with DATABASE_URL): what the
listener did, rated and said in their profile shapes the list; exclusions and refusals."""

from __future__ import annotations

import pytest

from analytics.models import Action
from catalog.models import AUDIO_FEATURE_FIELDS
from recommendations.engine.signals import MIN_LISTENERS
from recommendations.model import build_model
from recommendations.services import RecommendationInputError, recommend, request_check
from tests.factories import ArtistFactory, RatingFactory, SongArtistFactory, SongFactory, UserFactory
from tests.recommendations.builders import listened, song_by


def _titles(items):
    return [item["song"].title for item in items]


def test_a_listener_gets_what_others_with_their_taste_like_never_what_they_rated_or_skipped(world):
    listener = UserFactory()
    listened(listener, (world["Alpha"][0], Action.PLAY), (world["Alpha"][1], Action.SKIP))
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


def test_one_listeners_song_is_not_popular_until_enough_listeners_play_it(db):
    """A song of catalog popularity 0 that one other listener played is not listed to a new
    listener as popular above the catalog's most popular songs; once MIN_LISTENERS
    listeners play it, the service's own listening lifts it."""
    popular = [song_by(ArtistFactory(), popularity=100) for _ in range(3)]
    obscure = song_by(ArtistFactory(), popularity=0)
    newcomer = UserFactory(profile__favorite_genres=[], profile__moods=[])
    listened(UserFactory(), (obscure, Action.PLAY))
    build_model()

    alone = recommend(user_id=newcomer.pk, limit=3)

    for _ in range(MIN_LISTENERS - 1):
        listened(UserFactory(), (obscure, Action.PLAY))
    build_model()
    agreed = recommend(user_id=newcomer.pk, limit=3)

    assert {item["song"].pk for item in alone} == {song.pk for song in popular}
    assert agreed[0]["song"].pk == obscure.pk
    assert agreed[0]["reasons"] == ["popular in the catalog"]


def test_moods_and_seeds_shape_the_list(db):
    artist = ArtistFactory(name="Quiet")
    calm = song_by(artist, popularity=10, energy=0.1, acousticness=0.9, tempo=80.0)
    song_by(ArtistFactory(), popularity=90, energy=0.95, acousticness=0.05, tempo=170.0)
    listener = UserFactory(profile__favorite_genres=[], profile__moods=[])

    items = recommend(user_id=listener.pk, limit=1, moods=["calm"])
    seeded = recommend(user_id=listener.pk, limit=1, seed_artists=["QUIET"])

    assert items[0]["song"].pk == calm.pk
    assert "calm, like your 'calm' mood" in items[0]["reasons"]
    assert seeded[0]["song"].pk == calm.pk


def test_seeds_steer_the_list_of_a_listener_with_a_history(world):
    """A listener whose signals all point at Alpha and Beta (rock): seeds stand for them in
    the list they steer, which still leaves out what the listener knows."""
    listener = UserFactory(
        profile__favorite_genres=["rock"], profile__favorite_artists=["Alpha"], profile__moods=[]
    )
    listened(listener, (world["Alpha"][0], Action.LIKE), (world["Gamma"][0], Action.PLAY))
    jazz = {song.pk for name in ("Gamma", "Delta") for song in world[name]}

    plain = recommend(user_id=listener.pk, limit=4)
    by_genre = recommend(user_id=listener.pk, limit=4, seed_genres=["jazz"])
    by_artist = recommend(user_id=listener.pk, limit=4, seed_artists=["Delta"])

    assert plain[0]["song"].pk in {song.pk for song in world["Beta"]}
    assert len(by_genre) == 4
    assert {item["song"].pk for item in by_genre} <= jazz - {world["Gamma"][0].pk}
    assert all("jazz, a genre you asked for" in item["reasons"] for item in by_genre)
    # Delta's songs, and those of the artists Delta's listeners like (Gamma).
    assert {item["song"].pk for item in by_artist} <= jazz - {world["Gamma"][0].pk}
    assert all(
        {"by Delta, an artist you asked for", "liked by listeners who like Delta"} & set(item["reasons"])
        for item in by_artist
    )
    assert any("by Delta, an artist you asked for" in item["reasons"] for item in by_artist)


def test_a_seed_artist_leads_the_list_where_other_listeners_point_elsewhere(world):
    """Every listener who liked Delta also liked Gamma, so the collaborative signal (the
    blend's heaviest) points from Delta to Gamma: the seed artist's songs still come first,
    as many as the artist cap allows, then the rest."""
    listener = UserFactory(profile__favorite_genres=[], profile__moods=[])
    build_model()

    items = recommend(user_id=listener.pk, limit=4, seed_artists=["Delta"])

    artists = [item["song"].artist_credits[0]["name"] for item in items]
    assert artists == ["Delta", "Delta", "Gamma", "Gamma"]
    assert all(item["reasons"][0] == "by Delta, an artist you asked for" for item in items[:2])
    assert "liked by listeners who like Delta" in items[2]["reasons"]


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        # In the profile's words, listing the allowed moods.
        ({"moods": ["grumpy"]}, "moods", "Unknown mood\\(s\\): grumpy. Allowed moods: happy, sad"),
        ({"seed_songs": [987654]}, "seed_songs", "Unknown song"),
        ({"seed_artists": ["Nobody"]}, "seed_artists", "Unknown artist"),
        ({"seed_genres": ["polka"]}, "seed_genres", "Unknown genre"),
        ({"limit": 0}, "limit", "limit"),
        ({"limit": 101}, "limit", "limit"),
    ],
)
@pytest.mark.parametrize("check", ["recommend", "request_check"])
def test_unknown_seeds_moods_and_bad_limits_are_refused(world, arguments, field, message, check):
    """The model's refusal (`recommend`) and the database's, before a request is queued
    (`request_check`), are the same."""
    listener = UserFactory()

    with pytest.raises(RecommendationInputError, match=message) as refused:
        if check == "recommend":
            recommend(user_id=listener.pk, **{"limit": 5, **arguments})
        else:
            request_check(**{"limit": 5, **arguments})

    assert refused.value.field == field


def test_known_seeds_pass_the_check_whatever_their_case(world):
    request_check(
        limit=5, seed_artists=["ALPHA", " beta "], seed_genres=["Rock"], seed_songs=[world["Alpha"][0].pk]
    )


def test_a_song_without_audio_features_comes_by_its_artist_never_by_a_mood(db):
    """Songs brought from Spotify have no features: no sound or mood can put them in a list,
    their artist still can."""
    artist = ArtistFactory(name="Outside")
    featureless = SongFactory(**dict.fromkeys(AUDIO_FEATURE_FIELDS), speechiness=None, popularity=100)
    SongArtistFactory(song=featureless, artist=artist, position=0)
    calm = song_by(ArtistFactory(), popularity=0, energy=0.1, acousticness=0.9, tempo=80.0)
    listener = UserFactory(profile__favorite_genres=[], profile__moods=[])

    by_mood = recommend(user_id=listener.pk, limit=1, moods=["calm"])
    by_artist = recommend(user_id=listener.pk, limit=1, seed_artists=["Outside"])

    assert by_mood[0]["song"].pk == calm.pk
    assert by_artist[0]["song"].pk == featureless.pk
    assert "by Outside, an artist you asked for" in by_artist[0]["reasons"]


def test_listening_kept_out_of_taste_shapes_no_list_and_no_model(world):
    """A party's plays: stored, but neither the listener's list nor the model learns from
    them; let back in, they count again."""
    from analytics.models import Activity
    from analytics.services.exclusions import Selection, activity_exclude

    listener = UserFactory(profile__favorite_genres=[], profile__moods=[])
    listened(listener, (world["Alpha"][0], Action.PLAY), (world["Alpha"][1], Action.PLAY))
    party = Selection(ids=list(Activity.objects.filter(user=listener).values_list("id", flat=True)))
    cold = recommend(user_id=UserFactory(profile__favorite_genres=[], profile__moods=[]).pk, limit=6)

    activity_exclude(user_id=listener.pk, selection=party)
    build_model()

    kept_out = recommend(user_id=listener.pk, limit=6)
    assert [item["song"].pk for item in kept_out] == [item["song"].pk for item in cold]
    assert not any("Alpha" in reason for item in kept_out for reason in item["reasons"])

    activity_exclude(user_id=listener.pk, selection=party, excluded=False)
    build_model()

    counted = recommend(user_id=listener.pk, limit=6)
    assert "liked by listeners who like Alpha" in counted[0]["reasons"]


def test_an_artist_named_without_its_accents_is_that_artist(db):
    """Seeds and profile artists name an artist as the artist search finds it: `beyonce`
    is Beyoncé, in the check before queueing and in the list alike."""
    beyonce = song_by(ArtistFactory(name="Beyoncé"), popularity=1)
    motley = song_by(ArtistFactory(name="Mötley Crüe"), popularity=2)
    song_by(ArtistFactory(), popularity=99)
    fan = UserFactory(
        profile__favorite_genres=[], profile__favorite_artists=["motley crue"], profile__moods=[]
    )

    request_check(limit=1, seed_artists=["BEYONCE"])
    stranger = UserFactory(profile__favorite_genres=[], profile__favorite_artists=[], profile__moods=[])
    seeded = recommend(user_id=stranger.pk, limit=1, seed_artists=["beyonce"])
    liked = recommend(user_id=fan.pk, limit=1)

    assert seeded[0]["song"].pk == beyonce.pk
    assert liked[0]["song"].pk == motley.pk
    assert "by Mötley Crüe, an artist you like" in liked[0]["reasons"]
