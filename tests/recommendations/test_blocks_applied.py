"""Blocks applied everywhere a listener is shown songs: their recommendations (the cached
list made stale at once), similar songs and trends; an expired block applies no more."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from analytics.models import Action
from tests.factories import ArtistFactory, SongArtistFactory, UserFactory
from tests.recommendations.builders import listened, song_by
from users.models import Block


@pytest.fixture
def listener(world):
    user = UserFactory(profile__favorite_genres=[], profile__moods=[])
    listened(user, (world["Alpha"][0], Action.LIKE))
    return user


def _artists_of(body) -> set[str]:
    return {artist["name"] for item in body["results"] for artist in item["song"]["artists"]}


def _block(client, user, body, capture):
    with capture(execute=True):
        response = client.post(f"/api/users/{user.pk}/blocks/", body, format="json")
    assert response.status_code == 201
    return response.json()


def test_a_blocked_artist_leaves_the_list_at_once_featured_credits_included(
    make_auth_client, listener, world, django_capture_on_commit_callbacks
):
    # A song by Gamma featuring Beta: blocking Beta blocks it too.
    featuring = song_by(ArtistFactory(name="Gamma Two"), popularity=99, genres=("jazz",))
    SongArtistFactory(song=featuring, artist=world["Beta"][0].credits.get().artist, position=1)
    client = make_auth_client(listener)
    url = f"/api/recommendations/user/{listener.pk}/"
    before = client.get(url, {"limit": 12}).json()
    assert "Beta" in _artists_of(before)

    _block(
        client,
        listener,
        {"artist": world["Beta"][0].credits.get().artist_id},
        django_capture_on_commit_callbacks,
    )
    after = client.get(url, {"limit": 12}).json()

    assert "Beta" not in _artists_of(after)
    assert featuring.pk not in {item["song"]["id"] for item in after["results"]}


def test_a_blocked_song_and_genre_leave_the_list(
    make_auth_client, listener, world, django_capture_on_commit_callbacks
):
    client = make_auth_client(listener)
    url = f"/api/recommendations/user/{listener.pk}/"
    first = client.get(url, {"limit": 3}).json()["results"][0]["song"]["id"]

    _block(client, listener, {"song": first}, django_capture_on_commit_callbacks)
    _block(client, listener, {"genre": "jazz"}, django_capture_on_commit_callbacks)
    after = client.get(url, {"limit": 12}).json()

    ids = {item["song"]["id"] for item in after["results"]}
    assert first not in ids
    assert not {song.pk for name in ("Gamma", "Delta") for song in world[name]} & ids
    assert after["results"]


def test_an_expired_block_applies_no_more(
    make_auth_client, listener, world, django_capture_on_commit_callbacks
):
    client = make_auth_client(listener)
    beta = world["Beta"][0].credits.get().artist_id
    until = (timezone.now() + dt.timedelta(minutes=5)).isoformat()
    _block(client, listener, {"artist": beta, "until": until}, django_capture_on_commit_callbacks)
    assert "Beta" not in _artists_of(
        client.get(f"/api/recommendations/user/{listener.pk}/", {"limit": 12}).json()
    )

    Block.objects.update(until=timezone.now() - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):  # a new like: the list is recomputed
        client.post(
            "/api/analytics/activity/", {"song": world["Alpha"][1].pk, "action": "like"}, format="json"
        )

    assert "Beta" in _artists_of(
        client.get(f"/api/recommendations/user/{listener.pk}/", {"limit": 12}).json()
    )


def test_similar_songs_leave_out_what_the_viewer_blocked(make_auth_client, api_client, listener, world):
    seed = world["Alpha"][0]
    client = make_auth_client(listener)
    alpha = seed.credits.get().artist_id
    Block.objects.create(user=listener, artist_id=alpha)

    theirs = client.get(f"/api/songs/{seed.pk}/similar/", {"limit": 50}).json()["results"]
    anyones = api_client.get(f"/api/songs/{seed.pk}/similar/", {"limit": 50}).json()["results"]

    assert "Alpha" not in {a["name"] for item in theirs for a in item["song"]["artists"]}
    assert "Alpha" in {a["name"] for item in anyones for a in item["song"]["artists"]}


def test_trends_leave_out_what_the_viewer_blocked(make_auth_client, listener, world):
    from analytics.services.rollups import rollups_refresh

    rollups_refresh()
    client = make_auth_client(listener)
    beta = world["Beta"][0].credits.get().artist_id
    before = client.get("/api/analytics/trends/", {"window": "week"}).json()
    assert beta in {a["id"] for a in before["artists"]}
    assert world["Beta"][0].pk in {s["id"] for s in before["songs"]}

    Block.objects.create(user=listener, artist_id=beta)
    Block.objects.create(user=listener, genre=world["Gamma"][0].genres.get())
    after = client.get("/api/analytics/trends/", {"window": "week"}).json()
    other = make_auth_client(UserFactory()).get("/api/analytics/trends/", {"window": "week"}).json()

    assert beta not in {a["id"] for a in after["artists"]}
    assert world["Beta"][0].pk not in {s["id"] for s in after["songs"]}
    assert "jazz" not in {g["name"] for g in after["genres"]}
    assert world["Gamma"][0].pk not in {s["id"] for s in after["songs"]}
    assert other == before
