"""A listener's blocks through HTTP: set, list, lift, only by their owner; refusals change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import ArtistFactory, SongFactory, UserFactory
from users.models import Block

pytestmark = pytest.mark.django_db


def url(user) -> str:
    return f"/api/users/{user.pk}/blocks/"


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def client(make_auth_client, owner):
    return make_auth_client(owner)


def test_an_artist_a_song_and_a_genre_are_blocked_listed_and_lifted(client, owner):
    artist = ArtistFactory(name="Loud Band")
    song = SongFactory(title="Too Loud", genres=["metal"])
    until = (timezone.now() + dt.timedelta(days=3)).isoformat()

    made = [
        client.post(url(owner), {"artist": artist.pk}, format="json"),
        client.post(url(owner), {"song": song.pk, "until": until}, format="json"),
        client.post(url(owner), {"genre": "  METAL "}, format="json"),
    ]

    assert [r.status_code for r in made] == [201, 201, 201]
    assert made[0].json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "kind": "artist",
        "target": artist.pk,
        "name": "Loud Band",
        "until": None,
        "active": True,
        "created_at": "",
    }
    assert made[1].json()["until"] is not None
    listed = client.get(url(owner)).json()["results"]
    assert [(b["kind"], b["name"]) for b in listed] == [
        ("genre", "metal"),
        ("song", "Too Loud"),
        ("artist", "Loud Band"),
    ]

    assert client.delete(f"{url(owner)}{made[0].json()['id']}/").status_code == 204
    assert client.delete(f"{url(owner)}{made[0].json()['id']}/").status_code == 404
    assert client.get(url(owner)).json()["count"] == 2


def test_blocking_the_same_thing_again_replaces_its_end(client, owner):
    artist = ArtistFactory()
    client.post(
        url(owner),
        {"artist": artist.pk, "until": (timezone.now() + dt.timedelta(days=1)).isoformat()},
        format="json",
    )

    again = client.post(url(owner), {"artist": artist.pk}, format="json")

    assert again.status_code == 200
    assert again.json()["until"] is None
    assert Block.objects.get().until is None


def test_an_expired_block_is_listed_as_inactive(client, owner):
    block = Block.objects.create(
        user=owner, artist=ArtistFactory(), until=timezone.now() + dt.timedelta(minutes=1)
    )
    Block.objects.filter(pk=block.pk).update(until=timezone.now() - dt.timedelta(minutes=1))

    assert client.get(url(owner)).json()["results"][0]["active"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "non_field_errors"),
        ({"artist": 1, "genre": "pop"}, "non_field_errors"),
        ({"artist": 987654}, "artist"),
        ({"song": 987654}, "song"),
        ({"genre": "polka"}, "genre"),
        ({"artist": "x"}, "artist"),
        ({"genre": ["pop"]}, "genre"),
        ({"song": 1, "until": "tomorrow"}, "until"),
        ({"song": 1, "until": "2001-01-01T00:00:00Z"}, "until"),
        ({"song": 1, "until": "2999-01-01"}, "until"),
        ({"song": 1, "until": "2999-01-01T00:00:00"}, "until"),
        ({"song": "1"}, "song"),
        ({"artist": 1.0}, "artist"),
        ({"genre": 5}, "genre"),
    ],
)
def test_bad_blocks_are_refused_and_store_nothing(client, owner, body, field):
    SongFactory(id=1, genres=["pop"])
    ArtistFactory(id=1)

    response = client.post(url(owner), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Block.objects.exists()


def test_only_the_owner_sees_sets_or_lifts_their_blocks(make_auth_client, api_client, client, owner):
    block = client.post(url(owner), {"artist": ArtistFactory().pk}, format="json").json()
    stranger = make_auth_client(UserFactory())
    staff = make_auth_client(UserFactory(is_staff=True))

    for other in (stranger, staff):
        assert other.get(url(owner)).status_code == 404
        assert other.post(url(owner), {"artist": ArtistFactory().pk}, format="json").status_code == 404
        assert other.delete(f"{url(owner)}{block['id']}/").status_code == 404
    assert api_client.get(url(owner)).status_code == 401
    assert stranger.delete(f"/api/users/{stranger.user.pk}/blocks/{block['id']}/").status_code == 404
    assert Block.objects.count() == 1


def test_blocks_are_paginated_newest_first(client, owner):
    made = [client.post(url(owner), {"song": SongFactory().pk}, format="json").json()["id"] for _ in range(3)]

    first = client.get(url(owner), {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert first["count"] == 3 and first["previous"] is None
    assert [block["id"] for block in first["results"] + second["results"]] == made[::-1]
    assert second["next"] is None


def test_a_genre_is_blocked_by_its_words_as_the_filters_name_it(client, owner):
    SongFactory(genres=["hip-hop"])

    response = client.post(url(owner), {"genre": "Hip Hop"}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "hip-hop"
