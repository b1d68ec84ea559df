"""Index definitions that a migration must leave in place. Whether the planner uses them
for the API's queries, on a catalog large enough to matter, is tests/catalog/test_explain.py."""

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
