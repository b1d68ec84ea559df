"""Completing catalog songs from Spotify: `manage.py spotify_enrich` and the service under
it. Spotify is mocked at the HTTP layer."""

from __future__ import annotations

from io import StringIO

import pytest
import responses
from django.core.management import CommandError, call_command

from catalog.models import Artist, Song
from recommendations.spotify.client import spotify_client
from recommendations.spotify.enrich import songs_enrich
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory
from tests.recommendations.spotify_builders import (
    API,
    add_token,
    add_track,
    error_body,
    spotify_on,
    track_object,
)

pytestmark = pytest.mark.django_db

FUNERAL = track_object(
    "3n3Ppam7vgaVa1iaRUc9Lp",
    "The Funeral",
    artists=[("0OdUWJ0sBjDrqHygGUXeCF", "Band of Horses"), ("1vCWHaC5f2uS3yhpwWbIA6", "Avicii")],
    album="Everything All the Time",
    popularity=61,
    explicit=True,
)


def playlist_song(spotify_id: str, **fields) -> Song:
    """A song as the playlist format loads it: no album, popularity, explicit or artists."""
    return SongFactory(spotify_id=spotify_id, album=None, popularity=None, explicit=None, **fields)


def credits(song: Song) -> list[str]:
    return [credit.artist.name for credit in song.credits.order_by("position")]


def enrich(limit: int = 100):
    return songs_enrich(limit=limit, client=spotify_client())


def test_a_playlist_song_gets_album_ordered_artists_popularity_and_explicit(settings):
    spotify_on(settings)
    song = playlist_song(FUNERAL["id"], title="The Funeral")
    with responses.RequestsMock() as mock:
        add_token(mock)
        add_track(mock, FUNERAL)
        result = enrich()
    song.refresh_from_db()
    assert (result.checked, result.filled, result.unknown) == (1, 1, 0)
    assert (song.album, song.popularity, song.explicit) == ("Everything All the Time", 61, True)
    assert credits(song) == ["Band of Horses", "Avicii"]
    assert song.spotify_checked_at is not None
    assert song.danceability is not None, "a song file's features stay"


def test_artists_are_one_row_per_normalised_name(settings):
    spotify_on(settings)
    existing = ArtistFactory(name="band  OF horses")
    song = playlist_song(FUNERAL["id"])
    with responses.RequestsMock() as mock:
        add_token(mock)
        add_track(mock, FUNERAL)
        enrich()
    assert song.credits.get(position=0).artist_id == existing.pk
    assert Artist.objects.count() == 2


def test_what_the_catalog_has_is_never_overwritten(settings):
    spotify_on(settings)
    song = SongFactory(spotify_id=FUNERAL["id"], album=None, popularity=12, explicit=False)
    mine = SongArtistFactory(song=song, artist__name="Band Of Horses (live)")
    with responses.RequestsMock() as mock:
        add_token(mock)
        add_track(mock, FUNERAL)
        enrich()
    song.refresh_from_db()
    assert song.album == "Everything All the Time"
    assert (song.popularity, song.explicit) == (12, False)
    assert credits(song) == [mine.artist.name]


def test_a_second_run_asks_spotify_nothing(settings):
    spotify_on(settings)
    playlist_song(FUNERAL["id"])
    with responses.RequestsMock() as mock:
        add_token(mock)
        add_track(mock, FUNERAL)
        enrich()
    before = list(Song.objects.values())
    with responses.RequestsMock() as mock:
        assert enrich().checked == 0
        assert len(mock.calls) == 0
    assert list(Song.objects.values()) == before


def test_an_id_spotify_does_not_know_is_asked_about_once(settings):
    spotify_on(settings)
    song = playlist_song("0000000000000000000000")
    with responses.RequestsMock() as mock:
        add_token(mock)
        mock.add(
            responses.GET, f"{API}/tracks/{song.spotify_id}", status=404, json=error_body(404, "Not found")
        )
        result = enrich()
    assert (result.checked, result.filled, result.unknown) == (1, 0, 1)
    song.refresh_from_db()
    assert song.album is None and song.spotify_checked_at is not None
    with responses.RequestsMock():
        assert enrich().checked == 0


def test_songs_with_album_and_artists_are_not_looked_up(settings):
    spotify_on(settings)
    SongArtistFactory(song=SongFactory(album="Complete"))
    with responses.RequestsMock() as mock:
        assert enrich().checked == 0
        assert len(mock.calls) == 0


def test_limit_bounds_the_lookups_and_the_next_run_goes_on(settings):
    spotify_on(settings)
    tracks = [track_object(f"{i:022d}", f"Song {i}") for i in range(3)]
    for track in tracks:
        playlist_song(track["id"])
    with responses.RequestsMock() as mock:
        add_token(mock)
        for track in tracks:
            add_track(mock, track)
        assert enrich(limit=2).checked == 2
        assert enrich(limit=2).checked == 1
    assert Song.objects.filter(album__isnull=True).count() == 0


def test_a_rate_limit_part_way_keeps_the_songs_done(settings):
    spotify_on(settings)
    first, second = track_object("1" * 22, "First"), track_object("2" * 22, "Second")
    playlist_song(first["id"])
    playlist_song(second["id"])
    with responses.RequestsMock() as mock:
        add_token(mock)
        add_track(mock, first)
        mock.add(responses.GET, f"{API}/tracks/{second['id']}", status=429, headers={"Retry-After": "30"})
        with pytest.raises(CommandError, match="run again in 30 s"):
            call_command("spotify_enrich", stdout=StringIO())
    assert Song.objects.get(spotify_id=first["id"]).album == FUNERAL["album"]["name"]
    assert Song.objects.get(spotify_id=second["id"]).spotify_checked_at is None


def test_command_reports_what_it_did(settings):
    spotify_on(settings)
    playlist_song(FUNERAL["id"])
    out = StringIO()
    with responses.RequestsMock() as mock:
        add_token(mock)
        add_track(mock, FUNERAL)
        call_command("spotify_enrich", "--limit", "5", stdout=out)
    assert out.getvalue().strip() == "1 songs looked up: 1 completed, 0 unknown to Spotify."


def test_command_with_spotify_off_says_so_and_calls_nothing(settings):
    settings.SPOTIFY_CLIENT_ID = settings.SPOTIFY_CLIENT_SECRET = ""
    song = playlist_song(FUNERAL["id"])
    out = StringIO()
    with responses.RequestsMock() as mock:
        call_command("spotify_enrich", stdout=out)
        assert len(mock.calls) == 0
    assert "Spotify is off" in out.getvalue()
    song.refresh_from_db()
    assert song.spotify_checked_at is None


def test_command_refuses_a_limit_below_one(settings):
    spotify_on(settings)
    with pytest.raises(CommandError, match="--limit must be at least 1"):
        call_command("spotify_enrich", "--limit", "0")
