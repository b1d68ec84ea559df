"""song_upsert_many: the write side of load_music, on both databases."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.loading import songs_from_rows
from catalog.models import Song, SongFileLoad
from catalog.services import loading, loading_postgres
from tests.catalog.builders import song_row, upsert
from tests.factories import RatingFactory, SongFactory

pytestmark = pytest.mark.django_db


def stored(spotify_id: str) -> Song:
    return Song.objects.get(spotify_id=spotify_id)


def test_new_songs_are_inserted_with_every_value():
    rows = [song_row(i) for i in range(3)]
    result = upsert(rows)

    assert (result.total, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    song = stored(rows[1]["id"])
    assert song.title == "Song number 1"
    assert (song.key, song.mode, song.duration_ms, song.tempo) == (1, 1, 200_001, 120.5)
    assert (song.average_rating, song.total_ratings) == (0.0, 0)


def test_reloading_the_same_songs_changes_nothing():
    rows = [song_row(i) for i in range(3)]
    upsert(rows)
    before = {s.spotify_id: s.updated_at for s in Song.objects.all()}

    result = upsert(rows)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert {s.spotify_id: s.updated_at for s in Song.objects.all()} == before


def test_a_changed_value_updates_that_song_only():
    rows = [song_row(i) for i in range(3)]
    upsert(rows)
    untouched = stored(rows[0]["id"]).updated_at
    changed_before = stored(rows[2]["id"])

    rows[2] = song_row(2, title="Blank Space", tempo=96.0)
    result = upsert([*rows, song_row(3)])

    assert (result.created, result.updated, result.unchanged) == (1, 1, 2)
    changed = stored(rows[2]["id"])
    assert (changed.title, changed.tempo) == ("Blank Space", 96.0)
    assert changed.created_at == changed_before.created_at
    assert changed.updated_at >= changed_before.updated_at
    assert stored(rows[0]["id"]).updated_at == untouched
    assert Song.objects.count() == 4


def test_rating_aggregates_survive_reloads_changed_or_not():
    rows = [song_row(0), song_row(1)]
    upsert(rows)
    Song.objects.filter(spotify_id=rows[0]["id"]).update(
        average_rating=4.5, total_ratings=12, rating_score=3.9
    )
    Song.objects.filter(spotify_id=rows[1]["id"]).update(average_rating=2.0, total_ratings=3)

    result = upsert([rows[0], song_row(1, energy=0.1)])

    assert (result.updated, result.unchanged) == (1, 1)
    first, second = stored(rows[0]["id"]), stored(rows[1]["id"])
    assert (first.average_rating, first.total_ratings, first.rating_score) == (4.5, 12, 3.9)
    assert (second.average_rating, second.total_ratings, second.energy) == (2.0, 3, 0.1)


def test_songs_already_in_the_catalog_keep_their_ratings():
    song = SongFactory(spotify_id=song_row(0)["id"])
    rating = RatingFactory(song=song, score=5)

    result = upsert([song_row(0), song_row(1)])

    assert (result.created, result.updated) == (1, 1)
    rating.refresh_from_db()
    assert rating.song_id == song.id
    assert stored(song.spotify_id).id == song.id


def test_search_index_is_refreshed_once_inside_the_transaction_when_something_was_written(monkeypatch):
    calls = []
    monkeypatch.setattr(
        loading, "search_index_refresh", lambda **kwargs: calls.append(connection.in_atomic_block)
    )
    rows = [song_row(i) for i in range(3)]

    upsert(rows, batch_size=1)
    assert calls == [True]

    upsert(rows)
    assert calls == [True], "an unchanged file writes nothing and refreshes nothing"

    upsert([song_row(0, title="Believer")])
    assert calls == [True, True]


def test_progress_reports_every_song_in_batches():
    seen = []
    upsert([song_row(i) for i in range(7)], batch_size=3, on_progress=seen.append)
    assert seen == [3, 3, 1]


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError):
        upsert([song_row(0)], batch_size=0)


def test_an_empty_file_writes_nothing():
    result = upsert([])
    assert (result.total, result.created) == (0, 0)
    assert Song.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("preexisting", [False, True], ids=["empty-table", "non-empty-table"])
def test_a_crash_after_the_first_batch_leaves_nothing(preexisting):
    if preexisting:
        SongFactory(spotify_id=song_row(0)["id"], title="Old title")
    batches = []

    def crash_after_first_batch(n):
        batches.append(n)
        raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        upsert([song_row(i) for i in range(10)], batch_size=4, on_progress=crash_after_first_batch)

    assert batches == [4]
    assert list(Song.objects.values_list("title", flat=True)) == (["Old title"] if preexisting else [])


@pytest.mark.django_db(transaction=True)
def test_a_committed_load_is_visible_and_complete():
    upsert([song_row(i) for i in range(5)])
    assert Song.objects.count() == 5


@pytest.mark.postgres
def test_two_loads_in_one_transaction_reuse_the_staging_table():
    upsert([song_row(0)])
    upsert([song_row(0, title="Bad Romance"), song_row(1)])
    result = upsert([song_row(0, title="Bad Boy"), song_row(1)])
    assert (result.updated, result.unchanged) == (1, 1)
    assert stored(song_row(0)["id"]).title == "Bad Boy"


def word_list():
    with connection.cursor() as cursor:
        cursor.execute("SELECT word, ndoc FROM catalog_searchword ORDER BY word")
        return cursor.fetchall()


MIXED_TITLES = [
    "Bad Romance",
    "bad ROMANCE (Remix) - Live",
    "Café del Mar",
    "Ünïcode Ärger İstanbul",
    "日本語 タイトル",
    "Don't Stop Me Now!!",
    "mp3_track #42 / 2024-edit",
    "Straße & Maße",
]


@pytest.mark.postgres
def test_the_word_list_follows_a_load_exactly():
    upsert([song_row(i, title=title) for i, title in enumerate(MIXED_TITLES * 2)])
    loaded = word_list()
    assert ("bad", 4) in loaded and ("romance", 4) in loaded and ("42", 2) in loaded
    # Exactly what the database's own split of every title gives.
    loading.search_index_refresh(rebuild=True)
    assert word_list() == loaded
    upsert([song_row(0, title="Bad Boy"), song_row(100, title="Bad Boy")])
    assert ("boy", 2) in word_list()
    loading.search_index_refresh(rebuild=True)
    assert ("boy", 2) in word_list()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fails", [False, True], ids=["committed", "rolled-back"])
def test_a_reload_leaves_no_staging_table_behind(fails):
    upsert([song_row(0)])

    def crash(n):
        raise RuntimeError("worker killed")

    if fails:
        with pytest.raises(RuntimeError):
            upsert([song_row(0), song_row(1)], on_progress=crash)
    else:
        upsert([song_row(0, title="Believer"), song_row(1)])

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [loading_postgres._STAGING])
        assert cursor.fetchone() == (None,)
    assert Song.objects.count() == (1 if fails else 2)


# ------------------------------------------------------------------------------
# The record of loads, and re-loading a file the catalog already holds
# ------------------------------------------------------------------------------


def loads():
    return list(SongFileLoad.objects.order_by("id").values_list("songs", "created", "updated"))


@pytest.fixture
def compared(monkeypatch):
    """How many loads compared their songs with the catalog (PostgreSQL); a first load
    compares too."""
    calls = []
    real = loading_postgres._write_changes

    def write_changes(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(loading_postgres, "_write_changes", write_changes)
    return calls


def test_every_load_that_reaches_the_database_is_recorded():
    upsert([song_row(i) for i in range(3)])
    upsert([song_row(0, title="Bad Romance"), song_row(1), song_row(3)])
    assert loads() == [(3, 3, 0), (3, 1, 1)]


@pytest.mark.postgres
def test_reloading_the_last_file_with_nothing_written_since_compares_nothing(compared):
    rows = [song_row(i) for i in range(3)]
    upsert(rows)

    result = upsert(rows)
    upsert(rows)

    assert (result.total, result.created, result.updated, result.unchanged) == (3, 0, 0, 3)
    assert compared == [1]
    # Recorded as every load is (as on SQLite), and the next re-load still takes the shortcut.
    assert loads() == [(3, 3, 0), (3, 0, 0), (3, 0, 0)]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("write", "written_back"),
    [
        (lambda: Song.objects.filter(spotify_id=song_row(1)["id"]).update(title="Edited"), 1),
        (lambda: Song.objects.filter(spotify_id=song_row(1)["id"]).delete(), 1),
        (lambda: SongFactory(), 0),
    ],
    ids=["update", "delete", "insert"],
)
def test_any_write_to_the_songs_since_makes_the_reload_compare(compared, write, written_back):
    rows = [song_row(i) for i in range(3)]
    upsert(rows)
    write()

    result = upsert(rows)

    assert compared == [1, 1]
    assert result.created + result.updated == written_back
    assert stored(song_row(1)["id"]).title == rows[1]["title"]


@pytest.mark.postgres
def test_a_rating_aggregate_written_since_makes_the_reload_compare(compared):
    rows = [song_row(i) for i in range(3)]
    upsert(rows)
    song = stored(song_row(0)["id"])
    RatingFactory(song=song, score=5)
    Song.objects.filter(pk=song.pk).update(total_ratings=1, average_rating=5)

    assert upsert(rows).unchanged == 3
    assert compared == [1, 1]
    assert stored(song_row(0)["id"]).total_ratings == 1


@pytest.mark.postgres
def test_another_file_is_compared_even_with_nothing_written_since(compared):
    upsert([song_row(i) for i in range(3)])
    result = upsert([song_row(0), song_row(1, title="Changed"), song_row(2)])
    assert (compared, result.updated) == ([1, 1], 1)
    # and a file of the same songs in another order too: its hash differs
    assert upsert([song_row(2), song_row(1, title="Changed"), song_row(0)]).unchanged == 3
    assert compared == [1, 1, 1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failed_load_is_not_recorded():
    def crash(n):
        raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        upsert([song_row(i) for i in range(3)], on_progress=crash)
    assert loads() == []


@pytest.mark.postgres
def test_a_write_that_changes_no_row_still_makes_the_reload_compare(compared):
    # The README's remedy after writes made with triggers off.
    rows = [song_row(i) for i in range(3)]
    upsert(rows)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_song SET title = title WHERE false")
    upsert(rows)
    assert compared == [1, 1]


@pytest.mark.postgres
def test_a_large_update_of_titles_keeps_the_word_list_exact_with_a_hashed_join():
    upsert([song_row(i, title=f"Old words {i}") for i in range(3000)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, proconfig FROM pg_proc WHERE proname IN"
            " ('catalog_song_words_update', 'catalog_artist_words_update') ORDER BY proname"
        )
        assert [("enable_nestloop=off" in (config or [])) for _name, config in cursor.fetchall()] == [
            True,
            True,
        ]

    result = upsert([song_row(i, title=f"New words {i}") for i in range(3000)])

    assert result.updated == 3000
    assert ("new", 3000) in word_list() and ("old", 3000) not in word_list()
    loaded = word_list()
    loading.search_index_refresh(rebuild=True)
    assert word_list() == loaded


@pytest.mark.postgres
def test_a_reload_finds_genres_unchanged_whatever_the_collation_orders_them():
    """Python compares a song's genres in code-point order (`compared_keys`): under a
    collation that sorts `électro` before `funk`, the stored ones read as changed on every
    re-load unless the database orders them the same way."""
    with connection.cursor() as cursor:
        cursor.execute('ALTER TABLE catalog_genre ALTER COLUMN name TYPE varchar(100) COLLATE "en-US-x-icu"')
    rows = [song_row(0, genres=["funk", "électro"])]
    upsert(rows)
    upsert([song_row(1)])  # another load since: the re-load compares

    again = upsert(rows)

    assert (again.updated, again.unchanged) == (0, 1)


def test_two_files_whose_names_differ_only_in_how_they_split_hash_apart():
    """The shortcut for a file loaded last trusts its hash: `Alpha` and `Beta` must not hash
    as the one name `Alpha\\x1fBeta`."""
    two = songs_from_rows([song_row(0, artists=["Alpha", "Beta"])])
    one = songs_from_rows([song_row(0, artists=["Alpha\x1fBeta"])])

    assert two.content_hash() != one.content_hash()
    upsert([song_row(0, artists=["Alpha", "Beta"])])
    assert upsert([song_row(0, artists=["Alpha\x1fBeta"])]).updated == 1
