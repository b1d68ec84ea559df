"""New songs from Spotify searches on a user's favourite artists and genres: stored without
audio features, searchable, found by artist and genre, left out by feature filters."""

from __future__ import annotations

import pytest
import responses

from catalog.models import AUDIO_FEATURE_FIELDS, Song, SongGenre, SongSource
from recommendations.spotify.client import spotify_client
from recommendations.spotify.discover import user_discover
from tests.factories import ProfileFactory, SongFactory, UserFactory
from tests.recommendations.spotify_builders import (
    API,
    SEARCH_URL,
    add_token,
    search_page,
    spotify_on,
    track_object,
)

pytestmark = pytest.mark.django_db

HORSES = ("0OdUWJ0sBjDrqHygGUXeCF", "Band of Horses")
OTHER = ("7Ln80lUS6He07XvHI8qqHH", "Arctic Monkeys")
FUNERAL = track_object("3n3Ppam7vgaVa1iaRUc9Lp", "The Funeral", artists=[HORSES], popularity=None)
NO_ONE = track_object("4iV5W9uYEdYUVa79Axb7Rh", "No One Is Ever Going to Want Me", artists=[HORSES])
# Spotify's search is fuzzy: a search on an artist also brings others' tracks.
ELSEWHERE = track_object("2takcwOaAZWiXQijPHIx7B", "Do I Wanna Know?", artists=[OTHER])
FOLK = track_object("5ghIJDpPoe3CfHMGu71E6T", "Skinny Love", artists=[("4LEiUm1SRbFMgfqnQTwUbQ", "Bon Iver")])


def listener(artists=("Band of Horses",), genres=("Indie Folk",)):
    user = UserFactory(profile=None)
    ProfileFactory(user=user, favorite_artists=list(artists), favorite_genres=list(genres))
    return user


def mock_spotify(mock: responses.RequestsMock) -> None:
    add_token(mock)
    mock.add(
        responses.GET,
        SEARCH_URL,
        json=search_page([FUNERAL, ELSEWHERE, NO_ONE]),
        match=[
            responses.matchers.query_param_matcher(
                {"q": 'artist:"Band of Horses"', "limit": "10", "offset": "0", "type": "track"}
            )
        ],
    )
    mock.add(
        responses.GET,
        f"{API}/artists/{HORSES[0]}",
        json={"id": HORSES[0], "name": HORSES[1], "genres": ["indie folk", "chamber pop"], "type": "artist"},
    )
    mock.add(
        responses.GET,
        SEARCH_URL,
        json=search_page([FOLK, None]),
        match=[
            responses.matchers.query_param_matcher(
                {"q": 'genre:"Indie Folk"', "limit": "10", "offset": "0", "type": "track"}
            )
        ],
    )


def discover(user):
    return user_discover(user_id=user.pk, client=spotify_client())


def test_songs_found_on_favourite_artists_and_genres_enter_the_catalog(settings):
    spotify_on(settings)
    user = listener()
    with responses.RequestsMock() as mock:
        mock_spotify(mock)
        result = discover(user)
    assert result.searches == 2
    found = {song.spotify_id: song for song in Song.objects.filter(pk__in=result.created)}
    assert set(found) == {FUNERAL["id"], NO_ONE["id"], FOLK["id"]}, "not the other artist's track"
    funeral = found[FUNERAL["id"]]
    assert funeral.source == SongSource.SPOTIFY
    assert all(getattr(funeral, field) is None for field in AUDIO_FEATURE_FIELDS)
    assert (funeral.title, funeral.album, funeral.duration_ms) == (
        "The Funeral",
        "Everything All the Time",
        210_373,
    )
    assert funeral.popularity is None, "left out by Spotify for development apps"
    assert [c.artist.name for c in funeral.credits.all()] == ["Band of Horses"]
    assert sorted(funeral.genres.values_list("name", flat=True)) == ["chamber pop", "indie folk"]
    assert list(found[FOLK["id"]].genres.values_list("name", flat=True)) == ["indie folk"]


def test_a_second_run_adds_and_changes_nothing(settings):
    spotify_on(settings)
    user = listener()
    with responses.RequestsMock() as mock:
        mock_spotify(mock)
        first = discover(user)
    before = (list(Song.objects.values()), list(SongGenre.objects.values()))
    # Searches are cached; a later run after the cache expired asks again, with the same answers.
    from django.core.cache import cache

    cache.clear()
    with responses.RequestsMock() as mock:
        mock_spotify(mock)
        second = discover(user)
    assert second.created == [] and sorted(second.existing) == sorted(first.created)
    assert (list(Song.objects.values()), list(SongGenre.objects.values())) == before


def test_a_song_already_in_the_catalog_keeps_its_features_and_source(settings):
    spotify_on(settings)
    song = SongFactory(spotify_id=FOLK["id"], album=None, energy=0.3)
    user = listener(artists=())
    with responses.RequestsMock() as mock:
        add_token(mock)
        mock.add(responses.GET, SEARCH_URL, json=search_page([FOLK]))
        result = discover(user)
    song.refresh_from_db()
    assert result.existing == [song.pk] and result.created == []
    assert (song.source, song.energy, song.album) == (SongSource.FILE, 0.3, "Everything All the Time")


def test_an_unknown_user_or_an_empty_profile_asks_nothing(settings):
    spotify_on(settings)
    empty = listener(artists=(), genres=())
    with responses.RequestsMock() as mock:
        assert discover(empty).searches == 0
        assert user_discover(user_id=10**9, client=spotify_client()).searches == 0
        assert len(mock.calls) == 0


def test_searches_are_bounded_per_run(settings):
    spotify_on(settings)
    user = listener(artists=[f"Artist {i}" for i in range(8)], genres=[f"genre {i}" for i in range(8)])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        add_token(mock)
        mock.add(responses.GET, SEARCH_URL, json=search_page([]))
        assert discover(user).searches == 10
        assert len(mock.calls) == 11


def test_discovered_songs_through_the_api(settings, api_client):
    spotify_on(settings)
    with responses.RequestsMock() as mock:
        mock_spotify(mock)
        discover(listener())
    funeral = Song.objects.get(spotify_id=FUNERAL["id"])
    with_features = SongFactory(title="The Funeral March", energy=0.5)
    artist_id = funeral.credits.get().artist_id

    detail = api_client.get(f"/api/songs/{funeral.pk}/").json()
    assert (
        detail["energy"] is None
        and detail["tempo"] is None
        and detail["artists"][0]["name"] == "Band of Horses"
    )

    def ids(**params):
        response = api_client.get("/api/songs/", params)
        assert response.status_code == 200, response.content
        return [song["id"] for song in response.json()["results"]]

    assert funeral.pk in ids(search="funeral")
    assert funeral.pk in ids(search="band of horses")
    assert set(ids(artist=artist_id)) == set(
        Song.objects.filter(credits__artist_id=artist_id).values_list("id", flat=True)
    )
    assert funeral.pk in ids(genre="chamber pop")
    assert ids(title="funeral", min_energy=0) == [with_features.pk]
    assert ids(title="funeral", max_tempo=1000) == [with_features.pk]
    assert ids(title="funeral", ordering="energy") == [with_features.pk, funeral.pk]
    assert ids(title="funeral", ordering="-energy") == [with_features.pk, funeral.pk]
    assert api_client.get(f"/api/songs/{funeral.pk}/similar/").json() == {"results": []}
    similar = api_client.get(f"/api/songs/{with_features.pk}/similar/").json()["results"]
    assert funeral.pk not in [item["song"]["id"] for item in similar]
