"""A large first load on PostgreSQL goes through TableSwap: the songs table afterwards is
the same table as before in every respect a later migration or query could see."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from catalog.loading import songs_from_rows
from catalog.models import Rating, Song
from catalog.services import loading
from catalog.services.loading import song_upsert_many
from catalog.services.table_swap import TableSwap
from tests.catalog.test_loading_files import song_row
from tests.catalog.test_loading_service import MIXED_TITLES, word_list
from tests.factories import SongFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TABLE = Song._meta.db_table


@pytest.fixture(autouse=True)
def every_load_is_large(monkeypatch):
    monkeypatch.setattr(loading, "INDEX_REBUILD_MIN_ROWS", 1)


@pytest.fixture
def swaps(monkeypatch):
    """The TableSwaps begun, to tell the swap path from the in-place one."""
    begun = []
    real_begin = TableSwap.begin.__func__

    def begin(cls, *args, **kwargs):
        swap = real_begin(cls, *args, **kwargs)
        begun.append(swap)
        return swap

    monkeypatch.setattr(TableSwap, "begin", classmethod(begin))
    return begun


def upsert(rows, **kwargs):
    return song_upsert_many(songs=songs_from_rows(rows), **kwargs)


def query(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def definition():
    """Everything about the songs table that the swap must carry over."""
    return {
        "columns": query(
            "SELECT attname, format_type(atttypid, atttypmod), attnotnull, attidentity, attcollation,"
            " pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a"
            " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            [TABLE],
        ),
        "indexes": query(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [TABLE]
        ),
        "constraints": query(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass OR confrelid = %s::regclass ORDER BY 1, 2",
            [TABLE, TABLE],
        ),
        "triggers": query(
            "SELECT tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger"
            " WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY 1",
            [TABLE],
        ),
        "sequence": query("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE]),
        "options": query(
            "SELECT reloptions, relpersistence, obj_description(oid, 'pg_class') FROM pg_class"
            " WHERE oid = %s::regclass",
            [TABLE],
        ),
        "leftovers": query("SELECT relname FROM pg_class WHERE relname LIKE %s", [f"{TABLE}_swap%"]),
    }


def test_a_large_first_load_swaps_in_a_table_defined_as_before(swaps):
    with connection.cursor() as cursor:
        # States the swap must carry over: a disabled trigger and a table comment.
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER catalog_song_words_update")
        cursor.execute(f"COMMENT ON TABLE {TABLE} IS 'songs'")
    before = definition()

    result = upsert([song_row(i, title=title) for i, title in enumerate(MIXED_TITLES)])

    assert len(swaps) == 1
    assert (result.created, result.updated) == (len(MIXED_TITLES), 0)
    assert definition() == before
    assert sorted(Song.objects.values_list("title", flat=True)) == sorted(MIXED_TITLES)
    assert ("bad", 2) in word_list() and ("romance", 2) in word_list()
    loading.search_index_refresh(rebuild=True)  # the database's own split of the titles
    assert ("bad", 2) in word_list() and ("romance", 2) in word_list()
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER catalog_song_words_update")
        cursor.execute(f"COMMENT ON TABLE {TABLE} IS NULL")


def test_after_the_swap_every_constraint_holds():
    upsert([song_row(i) for i in range(3)])
    song = Song.objects.get(spotify_id=song_row(0)["id"])

    # The unique spotify_id, the checks, and the foreign keys that reference songs.
    with pytest.raises(IntegrityError), transaction.atomic():
        SongFactory(spotify_id=song.spotify_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        Song.objects.filter(pk=song.pk).update(danceability=2)
    user = UserFactory()
    Rating.objects.create(user=user, song=song, score=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(user=UserFactory(), song_id=song.pk + 1_000, score=4)
    # The triggers: a new title's words reach the word list.
    SongFactory(title="Zyxwv")
    assert ("zyxwv", 1) in word_list()


def test_ids_go_on_from_where_the_table_was():
    SongFactory().delete()
    (last_id,) = query("SELECT last_value FROM pg_sequences WHERE sequencename = %s", [f"{TABLE}_id_seq"])[0]

    upsert([song_row(i) for i in range(3)])

    assert min(Song.objects.values_list("id", flat=True)) > last_id


def test_a_failed_load_leaves_the_table_as_it_was(monkeypatch, swaps):
    before = definition()

    real_build = TableSwap.build_indexes
    failures = [RuntimeError("index build failed")]

    def build_indexes(self):
        if failures:
            raise failures.pop()
        real_build(self)

    monkeypatch.setattr(TableSwap, "build_indexes", build_indexes)
    with pytest.raises(RuntimeError):
        upsert([song_row(i) for i in range(3)])

    assert len(swaps) == 1
    assert definition() == before
    assert Song.objects.count() == 0
    assert upsert([song_row(i) for i in range(3)]).created == 3  # and the next load works
    assert len(swaps) == 2


def test_inside_a_callers_transaction_the_load_stays_in_place(swaps):
    with transaction.atomic():
        assert upsert([song_row(i) for i in range(3)]).created == 3
    assert swaps == []
    assert Song.objects.count() == 3


def test_a_transaction_that_would_not_see_the_copys_songs_loads_in_place(swaps):
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    try:
        assert upsert([song_row(i, title=f"Song {i}") for i in range(3)]).created == 3
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED")
    assert swaps == []
    assert ("song", 3) in word_list()


@pytest.mark.parametrize(
    ("attach", "detach"),
    [
        (f"CREATE VIEW song_titles AS SELECT title FROM {TABLE}", "DROP VIEW song_titles"),
        (f"GRANT SELECT ON {TABLE} TO PUBLIC", f"REVOKE SELECT ON {TABLE} FROM PUBLIC"),
        (f"CREATE STATISTICS song_key_mode ON key, mode FROM {TABLE}", "DROP STATISTICS song_key_mode"),
    ],
    ids=["view", "grant", "extended-statistics"],
)
def test_a_table_with_something_a_swap_would_lose_is_loaded_in_place(swaps, attach, detach):
    with connection.cursor() as cursor:
        cursor.execute(attach)
    try:
        assert upsert([song_row(i) for i in range(3)]).created == 3
        assert swaps == []
    finally:
        with connection.cursor() as cursor:
            cursor.execute(detach)


def test_a_copy_left_by_a_crashed_load_is_dropped_by_the_next(swaps):
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE}_swap (LIKE {TABLE})")
    assert upsert([song_row(i) for i in range(3)]).created == 3
    assert len(swaps) == 1
    assert definition()["leftovers"] == []
