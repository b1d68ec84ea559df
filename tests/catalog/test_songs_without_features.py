"""Songs without audio features (brought from Spotify, whose audio-features endpoint is
closed to new apps): the catalog stores them, shows them with null features, and a later
song file can still give them their features."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from catalog.models import AUDIO_FEATURE_FIELDS, Song, SongSource
from tests.catalog.builders import song_row, write_json
from tests.factories import SongFactory, UserFactory

pytestmark = pytest.mark.django_db

NO_FEATURES = dict.fromkeys(AUDIO_FEATURE_FIELDS)


def spotify_song(**fields) -> Song:
    return SongFactory(**{**NO_FEATURES, "speechiness": None, "source": SongSource.SPOTIFY, **fields})


def test_a_song_without_features_reads_as_nulls(api_client):
    song = spotify_song(title="Featureless")
    body = api_client.get(f"/api/songs/{song.pk}/").json()
    assert all(body[field] is None for field in AUDIO_FEATURE_FIELDS)
    assert body["duration_ms"] == song.duration_ms


def test_every_feature_filter_leaves_it_out(api_client):
    spotify_song(title="Featureless")
    with_features = SongFactory(title="Featured")
    for field in (
        "danceability",
        "energy",
        "loudness",
        "acousticness",
        "instrumentalness",
        "liveness",
        "valence",
        "tempo",
    ):
        results = api_client.get("/api/songs/", {f"min_{field}": -1000}).json()["results"]
        assert [song["id"] for song in results] == [with_features.pk], field
    for field in ("key", "mode", "time_signature"):
        value = getattr(with_features, field)
        results = api_client.get("/api/songs/", {field: value}).json()["results"]
        assert [song["id"] for song in results] == [with_features.pk], field


@pytest.mark.parametrize(
    "ordering", ["tempo", "-tempo", "energy", "-energy", "danceability", "-valence", "loudness"]
)
def test_feature_orderings_list_it_last(api_client, ordering):
    featureless = spotify_song()
    others = [SongFactory(), SongFactory()]
    results = api_client.get("/api/songs/", {"ordering": ordering}).json()["results"]
    assert [song["id"] for song in results][-1] == featureless.pk
    assert len(results) == len(others) + 1


def test_the_admin_shows_it(client):
    song = spotify_song(title="Featureless")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/catalog/song/").status_code == 200
    assert client.get(f"/admin/catalog/song/{song.pk}/change/").status_code == 200


def test_a_song_file_later_gives_it_its_features(tmp_path):
    song = spotify_song(spotify_id=f"{7:022d}", title="Song number 7")
    call_command("load_music", str(write_json(tmp_path / "songs.json", [song_row(7)])), verbosity=0)
    song.refresh_from_db()
    assert (song.energy, song.tempo, song.key) == (0.75, 120.5, 7)
    assert song.source == SongSource.SPOTIFY, "where it entered the catalog"


def test_songs_loaded_from_a_file_say_so(tmp_path):
    call_command("load_music", str(write_json(tmp_path / "songs.json", [song_row(1)])), verbosity=0)
    assert Song.objects.get().source == SongSource.FILE
