"""GET /api/recommendations/user/{id}/why-not/{song_id}/: why a song is not in the list, in words."""

from __future__ import annotations

import pytest

from analytics.models import Action
from catalog.models import Song
from recommendations.engine import FEATURES
from tests.factories import RatingFactory, SongArtistFactory, SongFactory, UserFactory
from tests.recommendations.builders import listened, song_by
from users.models import Block


@pytest.fixture
def listener(world):
    user = UserFactory(profile__favorite_genres=[], profile__moods=[])
    listened(user, (world["Alpha"][0], Action.LIKE), (world["Alpha"][1], Action.SKIP))
    RatingFactory(user=user, song=world["Alpha"][2], score=2)
    return user


@pytest.fixture
def fan(world):
    """Likes one Alpha song: listeners like them like Beta."""
    user = UserFactory(profile__favorite_genres=[], profile__moods=[])
    listened(user, (world["Alpha"][0], Action.LIKE))
    return user


def why(client, user, song, **params):
    return client.get(f"/api/recommendations/user/{user.pk}/why-not/{song.pk}/", params)


def test_history_and_blocks_are_named(make_auth_client, listener, world):
    client = make_auth_client(listener)
    Block.objects.create(user=listener, artist=world["Delta"][0].credits.get().artist)

    skipped = why(client, listener, world["Alpha"][1]).json()
    rated = why(client, listener, world["Alpha"][2]).json()
    blocked = why(client, listener, world["Delta"][1]).json()

    assert skipped["reasons"] == ["you skipped it"]
    assert rated["reasons"] == ["you rated it 2 stars"]
    assert blocked["reasons"] == ["you blocked Delta"]
    assert blocked["rank"] is None and blocked["in_list"] is False


@pytest.mark.parametrize(("score", "said"), [(1, "you rated it 1 star"), (5, "you rated it 5 stars")])
def test_a_rating_is_said_in_stars_one_star_singular(make_auth_client, fan, world, score, said):
    RatingFactory(user=fan, song=world["Gamma"][0], score=score)

    answer = why(make_auth_client(fan), fan, world["Gamma"][0]).json()

    assert answer["reasons"] == [said]


@pytest.mark.parametrize(
    ("kind", "said"),
    [("not_for_me", "you said it is not for you"), ("more_like_this", "you asked for more like it")],
)
def test_feedback_on_a_song_is_named_and_it_gets_no_rank(make_auth_client, fan, world, kind, said):
    client = make_auth_client(fan)
    song = world["Beta"][0]
    given = client.post(
        f"/api/recommendations/user/{fan.pk}/feedback/", {"song": song.pk, "feedback": kind}, format="json"
    )
    assert given.status_code == 201

    answer = why(client, fan, song).json()

    assert any(reason.startswith(said) for reason in answer["reasons"]), answer["reasons"]
    assert answer["rank"] is None and answer["score"] is None and answer["in_list"] is False


def test_a_song_in_the_list_says_where_and_one_below_the_cut_says_by_how_much(make_auth_client, fan, world):
    client = make_auth_client(fan)
    top = client.get(f"/api/recommendations/user/{fan.pk}/", {"limit": 2}).json()["results"]

    inside = why(client, fan, world["Beta"][0], limit=2).json()
    below = why(client, fan, world["Gamma"][2], limit=2).json()

    assert top[0]["song"]["id"] == world["Beta"][0].pk
    assert inside["in_list"] is True
    assert inside["reasons"] == ["it is in your list, at #1"]
    assert below["in_list"] is False
    assert below["rank"] > 2
    assert below["score"] < below["cut"]
    assert below["reasons"][0].startswith(f"ranked #{below['rank']}: scored")
    assert below["reasons"][1].startswith("it got most from ")


def test_every_song_of_the_list_is_ranked_where_the_list_has_it(make_auth_client, fan, world):
    """Beta's third song ranks above most of the list yet the artist cap keeps it out, and
    a song's recomputed score may differ from its blended one in the last digits: neither
    moves a listed song's rank away from its place."""
    client = make_auth_client(fan)
    listed = client.get(f"/api/recommendations/user/{fan.pk}/", {"limit": 6}).json()["results"]

    for place, item in enumerate(listed, start=1):
        answer = client.get(f"/api/recommendations/user/{fan.pk}/why-not/{item['song']['id']}/", {"limit": 6})
        body = answer.json()
        assert (body["in_list"], body["rank"]) == (True, place)
        assert body["reasons"] == [f"it is in your list, at #{place}"]


def test_after_a_steered_refresh_why_not_explains_the_list_get_serves(
    make_auth_client, fan, world, django_capture_on_commit_callbacks
):
    """`fan`'s own list leads with Beta; the refresh's, which GET then serves, with Delta, the
    artist asked for, in the order a calm mood gives: why-not ranks each song where it is."""
    client = make_auth_client(fan)
    with django_capture_on_commit_callbacks(execute=True):
        refreshed = client.post(
            f"/api/recommendations/user/{fan.pk}/refresh/",
            {"seed_artists": ["Delta"], "moods": ["calm"]},
            format="json",
        )
    assert refreshed.status_code == 202
    served = client.get(f"/api/recommendations/user/{fan.pk}/", {"limit": 6}).json()["results"]

    assert served[0]["song"]["artists"][0]["name"] == "Delta"
    for place, item in enumerate(served, start=1):
        body = client.get(f"/api/recommendations/user/{fan.pk}/why-not/{item['song']['id']}/", {"limit": 6})
        assert body.json()["reasons"] == [f"it is in your list, at #{place}"], item["song"]["id"]


def test_a_song_that_fits_none_of_the_moods_says_so(make_auth_client, world):
    user = UserFactory(profile__favorite_genres=[], profile__moods=["calm"])
    loud = world["Gamma"][2]
    loud.energy, loud.acousticness, loud.tempo = 0.99, 0.0, 190.0
    loud.save()

    answer = why(make_auth_client(user), user, loud, limit=1).json()

    assert "it does not fit your moods (calm)" in answer["reasons"]


def test_the_artist_cap_is_named(make_auth_client, fan, world):
    # Every song sounding alike: Beta's three songs come first, by popularity; the third is capped.
    Song.objects.update(**{**dict.fromkeys(FEATURES, 0.5), "loudness": -10.0, "tempo": 120.0})
    client = make_auth_client(fan)

    capped = why(client, fan, world["Beta"][2], limit=5).json()

    assert capped["in_list"] is False
    assert capped["rank"] <= 5
    assert capped["reasons"][0] == "its artist already has 2 songs in your list"


def test_the_same_song_under_another_id_is_named(make_auth_client, fan, world):
    """One recording under several ids: known to the listener under one of them, or already
    in the list under another."""

    def copy_of(song):
        copied = SongFactory(title=song.title, popularity=song.popularity, genres=["rock"])
        SongArtistFactory(song=copied, artist=song.credits.get().artist, position=0)
        return copied

    client = make_auth_client(fan)
    liked_copy = copy_of(world["Alpha"][0])
    listed_copy = copy_of(world["Beta"][0])
    listed = why(client, fan, world["Beta"][0]).json()

    assert listed["in_list"] is True
    assert why(client, fan, liked_copy).json()["reasons"] == [
        f"it is the same song as song {world['Alpha'][0].pk}, in your history"
    ]
    assert (
        why(client, fan, listed_copy)
        .json()["reasons"][0]
        .startswith(f"the same song is in your list as song {world['Beta'][0].pk}, at #")
    )


def test_only_the_owner_asks_and_unknown_songs_are_404(make_auth_client, api_client, listener, world):
    song = world["Beta"][0]
    assert (
        make_auth_client(UserFactory())
        .get(f"/api/recommendations/user/{listener.pk}/why-not/{song.pk}/")
        .status_code
        == 404
    )
    assert api_client.get(f"/api/recommendations/user/{listener.pk}/why-not/{song.pk}/").status_code == 401
    assert (
        make_auth_client(listener).get(f"/api/recommendations/user/{listener.pk}/why-not/987654/").status_code
        == 404
    )
    assert why(make_auth_client(listener), listener, song, limit=0).status_code == 400
    assert why(make_auth_client(listener), listener, song, limit="").status_code == 400


def test_a_song_kept_out_by_a_tie_is_not_blamed_on_the_artist_cap(make_auth_client, world):
    # A new listener: the popularity prior alone, in which Alpha's and Beta's first songs (90,
    # eight listeners each) tie; a list of one keeps the one the catalog holds first.
    user = UserFactory(profile__favorite_genres=[], profile__moods=[])

    tied = why(make_auth_client(user), user, world["Beta"][0], limit=1).json()

    assert (tied["in_list"], tied["rank"], tied["score"]) == (False, 1, tied["cut"])
    assert tied["reasons"][0] == (
        f"it scored {tied['score']:.4f}, as your list's last song did: of equal scores, "
        "the list keeps those first in the catalog"
    )


def test_the_artist_cap_is_named_for_a_song_ranked_past_the_list_by_capped_songs(
    make_auth_client, fan, world
):
    # A fourth Beta song: two Beta songs are listed, two capped, and the cap's second one is
    # ranked #4 of a list of 3 only because the first capped one is counted above it.
    fourth = song_by(world["Beta"][0].credits.get().artist, popularity=65, genres=("rock",))
    Song.objects.update(**{**dict.fromkeys(FEATURES, 0.5), "loudness": -10.0, "tempo": 120.0})

    capped = why(make_auth_client(fan), fan, fourth, limit=3).json()

    assert (capped["in_list"], capped["rank"]) == (False, 4)
    assert capped["score"] > capped["cut"]
    assert capped["reasons"][0] == "its artist already has 2 songs in your list"


def test_in_a_list_its_seeds_steer_what_a_song_got_is_named_as_asked_for(
    make_auth_client, world, django_capture_on_commit_callbacks
):
    newcomer = UserFactory(profile__favorite_genres=[], profile__moods=[])
    client = make_auth_client(newcomer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/api/recommendations/user/{newcomer.pk}/refresh/", {"seed_artists": ["Delta"]}, format="json"
        )

    answer = why(client, newcomer, world["Delta"][2], limit=1).json()

    assert answer["in_list"] is False
    assert "artists you asked for" in answer["reasons"][-1]
    assert "artists you like" not in answer["reasons"][-1]
