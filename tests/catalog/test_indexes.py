import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def song_indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'catalog_song'")
        return dict(cursor.fetchall())


def test_spotify_id_has_its_unique_index_and_no_pattern_index():
    definitions = list(song_indexes().values())
    assert any("UNIQUE" in d and "(spotify_id)" in d for d in definitions)
    assert not any("varchar_pattern_ops" in d for d in definitions)


def test_exact_spotify_id_lookup_uses_the_unique_index():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT id FROM catalog_song WHERE spotify_id = 'abc'")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "catalog_song_spotify_id_key" in plan
