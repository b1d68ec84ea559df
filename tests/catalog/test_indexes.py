"""Index definitions that a migration must leave in place. Whether the planner uses them
for the API's queries, on a catalog large enough to matter, is tests/catalog/test_explain.py."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def song_indexes(table: str = "catalog_song") -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


def test_spotify_id_has_its_unique_index_and_no_pattern_index():
    definitions = list(song_indexes().values())
    assert any("UNIQUE" in d and "(spotify_id)" in d for d in definitions)
    assert not any("varchar_pattern_ops" in d for d in definitions)


def test_artist_name_key_has_its_unique_index_and_no_pattern_index():
    definitions = list(song_indexes("catalog_artist").values())
    assert any("UNIQUE" in d and "(name_key)" in d for d in definitions)
    assert not any("text_pattern_ops" in d for d in definitions)


def test_genre_links_are_indexed_by_song_then_genre_and_by_genre_then_song_only():
    # Migration 0017: the unique (song, genre) serves lookups by song; the genre's index
    # carries the song, so a genre's songs are read from it alone.
    columns = sorted(d[d.index("(") :] for d in song_indexes("catalog_song_genres").values())
    assert columns == ["(genre_id, song_id)", "(id)", "(song_id, genre_id)"]
