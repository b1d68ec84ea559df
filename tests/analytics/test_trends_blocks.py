"""GET /api/analytics/trends/ for a viewer with blocks: what they blocked is left out, and
`limit` items of each kind are still there whenever that many unblocked ones score, from
the cached snapshot or, when the snapshot runs short, ranked from the rollups."""

from __future__ import annotations

import json

import pytest

from analytics.models import Action
from analytics.platform_serializers import TrendsSerializer
from analytics.selectors import snapshots, trends
from analytics.selectors.trends import trends_compute
from analytics.services import EventIn, activity_record
from analytics.services.rollups import rollups_catch_up
from analytics.services.snapshots import snapshots_refresh
from catalog.models import Genre
from tests.analytics.builders import today_at
from tests.factories import ArtistFactory, GenreFactory, SongArtistFactory, SongFactory, UserFactory
from users.models import Block

URL = "/api/analytics/trends/"


def _songs(count: int, genre: str, *, plays: int) -> list:
    """`count` songs of `genre`, each by an artist of its own, the first played `plays` times,
    each next one once fewer: a strict ranking."""
    made = []
    listener = UserFactory()
    for position in range(count):
        song = SongFactory(title=f"{genre} {position}", genres=[genre])
        SongArtistFactory(song=song, artist=ArtistFactory(name=f"{genre} artist {position}"), position=0)
        events = [EventIn(song_id=song.id, action=Action.PLAY, occurred_at=today_at())] * (plays - position)
        activity_record(user_id=listener.id, events=events)
        made.append(song)
    return made


def _ids(items: list[dict]) -> list[int]:
    return [item["id"] for item in items]


def _not_again(**kwargs):
    raise AssertionError("trends ranked again although the snapshot had enough")


def test_a_block_on_the_top_genre_leaves_limit_songs_of_the_others(make_auth_client, monkeypatch):
    """Every one of the top 50 is pop. Cut to 50 first and filtered after, the list was
    empty; 60 rock songs score, so 50 are shown, from the snapshot job's snapshot alone."""
    pop = _songs(60, "pop", plays=200)
    rock = _songs(60, "rock", plays=100)
    rollups_catch_up()
    snapshots_refresh()
    monkeypatch.setattr(snapshots, "trends_ranked", _not_again)
    monkeypatch.setattr(snapshots, "trends_compute", _not_again)
    viewer = UserFactory()
    Block.objects.create(user=viewer, genre=Genre.objects.get(name="pop"))

    body = make_auth_client(viewer).get(URL, {"limit": 50}).json()

    assert _ids(body["songs"]) == [song.id for song in rock[:50]]
    assert [item["name"] for item in body["genres"]] == ["rock"]
    # Artists are hidden by artist blocks only: pop's artists still lead.
    assert len(body["artists"]) == 50
    assert body["artists"][0]["name"] == "pop artist 0"
    assert {song.id for song in pop}.isdisjoint(_ids(body["songs"]))


def test_without_blocks_the_snapshot_is_served_cut_to_limit(make_auth_client):
    songs = _songs(12, "pop", plays=20)
    rollups_catch_up()

    body = make_auth_client().get(URL, {"limit": 5}).json()

    assert _ids(body["songs"]) == [song.id for song in songs[:5]]


@pytest.fixture
def short_snapshot(monkeypatch):
    """Snapshots of 3 items of each kind, so that a few blocks exhaust one."""
    monkeypatch.setattr(snapshots, "SNAPSHOT_LIMIT", 3)


# A chunk of 2 reads the ranking in several chunks, the last one partly.
@pytest.mark.parametrize("chunk", [500, 2])
def test_when_blocks_exhaust_the_snapshot_the_lists_are_ranked_from_the_rollups(
    make_auth_client, short_snapshot, monkeypatch, chunk
):
    monkeypatch.setattr(trends, "CHUNK", chunk)
    songs = _songs(7, "pop", plays=20)
    for song, genre in zip(songs, ("g0", "g1", "g2", "g3", "g4", "g5", "g6"), strict=True):
        song.genres.set([GenreFactory(name=genre)])
    rollups_catch_up()
    # Everything that scores, as the API would answer it unblocked.
    everything = json.loads(json.dumps(TrendsSerializer(trends_compute(window="week", limit=50)).data))
    viewer = UserFactory()
    # Song 0 by a song block, song 1 by its artist's, song 2 by its genre's: the three the
    # snapshot holds.
    Block.objects.create(user=viewer, song=songs[0])
    Block.objects.create(user=viewer, artist=songs[1].credits.get().artist)
    Block.objects.create(user=viewer, genre=Genre.objects.get(name="g2"))

    body = make_auth_client(viewer).get(URL, {"limit": 3}).json()

    # The same items, scores and labels the snapshot would have had, less the blocked ones.
    assert body["songs"] == everything["songs"][3:6]
    assert [item["title"] for item in body["songs"]] == ["pop 3", "pop 4", "pop 5"]
    assert body["artists"] == [everything["artists"][i] for i in (0, 2, 3)]
    assert body["genres"] == [everything["genres"][i] for i in (0, 1, 3)]


def test_a_snapshot_shorter_than_its_limit_holds_everything_that_scores(make_auth_client, monkeypatch):
    songs = _songs(3, "pop", plays=20)
    rollups_catch_up()
    monkeypatch.setattr(snapshots, "trends_ranked", _not_again)
    viewer = UserFactory()
    Block.objects.create(user=viewer, song=songs[0])

    body = make_auth_client(viewer).get(URL, {"limit": 3}).json()

    assert _ids(body["songs"]) == [song.id for song in songs[1:]]


def test_a_snapshot_that_suffices_is_served_without_ranking_again(make_auth_client, monkeypatch):
    songs = _songs(8, "pop", plays=20)
    rollups_catch_up()
    monkeypatch.setattr(snapshots, "trends_ranked", _not_again)
    viewer = UserFactory()
    Block.objects.create(user=viewer, song=songs[0])
    Block.objects.create(user=viewer, artist=songs[1].credits.get().artist)

    body = make_auth_client(viewer).get(URL, {"limit": 5}).json()

    assert _ids(body["songs"]) == [song.id for song in songs[2:7]]
    assert len(body["artists"]) == 5


def test_a_blocked_featured_artist_hides_the_song(make_auth_client):
    songs = _songs(3, "pop", plays=20)
    featured = ArtistFactory(name="Featured")
    SongArtistFactory(song=songs[0], artist=featured, position=1)
    rollups_catch_up()
    viewer = UserFactory()
    Block.objects.create(user=viewer, artist=featured)

    body = make_auth_client(viewer).get(URL).json()

    assert _ids(body["songs"]) == [song.id for song in songs[1:]]
    assert "Featured" not in [item["name"] for item in body["artists"]]
