"""Discovery playlists: the weekly discovery (never played), the daily mix (favourites not
heard this week, new songs, a new draw each day), their exports, who sees them."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from analytics.models import Action
from analytics.services import EventIn, activity_record
from recommendations.models import Playlist
from recommendations.playlists import FAVOURITE_REASON, playlist_generate, playlists_refresh
from tests.factories import ArtistFactory, UserFactory
from tests.recommendations.builders import listened, song_by
from users.models import Block


def url(user, kind="weekly_discovery") -> str:
    return f"/api/recommendations/user/{user.pk}/playlists/{kind}/"


@pytest.fixture
def fan(world):
    user = UserFactory(profile__favorite_genres=[], profile__moods=[])
    listened(user, (world["Alpha"][0], Action.LIKE))
    return user


@pytest.fixture
def long_time_fan(db):
    """Liked forty songs of twenty artists two weeks ago, and two of them again yesterday."""
    user = UserFactory(profile__favorite_genres=[], profile__moods=[])
    bands = [ArtistFactory(name=f"Band {j}") for j in range(20)]
    songs = [song_by(bands[i // 2], popularity=50) for i in range(40)]
    weeks_ago = timezone.now() - dt.timedelta(days=14)
    events = [
        EventIn(song_id=s.pk, action=Action.LIKE, occurred_at=weeks_ago + dt.timedelta(minutes=i))
        for i, s in enumerate(songs)
    ]
    activity_record(user_id=user.pk, events=events)
    listened(user, (songs[0], Action.PLAY), (songs[1], Action.PLAY))
    return user, songs


def test_the_weekly_discovery_holds_only_songs_never_played_each_with_its_reasons(
    make_auth_client, fan, world
):
    body = make_auth_client(fan).get(url(fan)).json()

    ids = [item["song"]["id"] for item in body["items"]]
    assert body["kind"] == "weekly_discovery"
    assert ids and len(ids) == len(set(ids))
    assert world["Alpha"][0].pk not in ids
    assert all(item["reasons"] for item in body["items"])
    artists = [item["song"]["artists"][0]["name"] for item in body["items"]]
    assert max(artists.count(a) for a in artists) <= 2


def test_the_daily_mix_brings_back_favourites_not_heard_this_week_and_new_songs(long_time_fan):
    user, songs = long_time_fan

    mix = playlist_generate(user_id=user.pk, kind="daily_mix")

    favourites = [item["song"] for item in mix.items if item["reasons"] == [FAVOURITE_REASON]]
    assert len(favourites) >= 10
    assert songs[0].pk not in favourites and songs[1].pk not in favourites  # heard yesterday
    assert set(favourites) <= {s.pk for s in songs}
    assert len(mix.items) == len({item["song"] for item in mix.items})


def test_the_next_days_mix_repeats_less_than_half_of_today(long_time_fan):
    user, _ = long_time_fan
    today = timezone.now()

    first = {item["song"] for item in playlist_generate(user_id=user.pk, kind="daily_mix", now=today).items}
    second = {
        item["song"]
        for item in playlist_generate(
            user_id=user.pk, kind="daily_mix", now=today + dt.timedelta(days=1)
        ).items
    }

    assert len(first & second) < 0.5 * len(first)


def test_blocked_artists_stay_out_of_playlists(long_time_fan):
    user, songs = long_time_fan
    Block.objects.create(user=user, artist=songs[5].credits.get().artist)

    mix = playlist_generate(user_id=user.pk, kind="daily_mix")

    assert songs[5].pk not in {item["song"] for item in mix.items}
    assert songs[4].pk not in {item["song"] for item in mix.items}  # the same band


def test_playlists_export_as_jspf_and_xspf(make_auth_client, fan):
    client = make_auth_client(fan)
    shown = client.get(url(fan)).json()

    as_jspf = client.get(url(fan), {"format": "jspf"})
    as_xspf = client.get(url(fan), {"format": "xspf"})

    assert as_jspf["Content-Type"].startswith("application/jspf+json")
    playlist = as_jspf.json()["playlist"]
    assert playlist["title"] == "Weekly discovery"
    assert [t["title"] for t in playlist["track"]] == [i["song"]["title"] for i in shown["items"]]
    assert playlist["track"][0]["identifier"][0].startswith("https://open.spotify.com/track/")
    assert as_xspf["Content-Type"].startswith("application/xspf+xml")
    root = ElementTree.fromstring(as_xspf.content)
    ns = {"x": "http://xspf.org/ns/0/"}
    assert root.tag == "{http://xspf.org/ns/0/}playlist"
    assert [t.findtext("x:title", namespaces=ns) for t in root.iterfind("x:trackList/x:track", ns)] == [
        i["song"]["title"] for i in shown["items"]
    ]


def test_only_the_owner_sees_their_playlists(make_auth_client, api_client, fan):
    assert make_auth_client(UserFactory()).get(url(fan)).status_code == 404
    assert api_client.get(url(fan)).status_code == 401
    assert make_auth_client(fan).get(url(fan, "hourly_mix")).status_code == 404
    assert not Playlist.objects.exists()


def test_beat_makes_active_listeners_playlists_and_drops_expired_ones(long_time_fan):
    from analytics.services.rollups import rollups_refresh

    user, _ = long_time_fan
    rollups_refresh()
    stale = playlist_generate(user_id=UserFactory().pk, kind="weekly_discovery")
    Playlist.objects.filter(pk=stale.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    made = playlists_refresh()

    assert made == 2
    assert set(Playlist.objects.values_list("user_id", "kind")) == {
        (user.pk, "daily_mix"),
        (user.pk, "weekly_discovery"),
    }
