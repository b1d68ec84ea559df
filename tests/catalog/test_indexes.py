"""Index definitions that a migration must leave in place. Whether the planner uses them
for the API's queries, on a catalog large enough to matter, is tests/catalog/test_explain.py."""

import importlib

import pytest
from django.db import connection

from catalog.selectors.similar import SIMILARITY_VECTOR_SQL

pytestmark = [pytest.mark.django_db]


def song_indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'catalog_song'")
        return dict(cursor.fetchall())


@pytest.mark.postgres
def test_spotify_id_has_its_unique_index_and_no_pattern_index():
    definitions = list(song_indexes().values())
    assert any("UNIQUE" in d and "(spotify_id)" in d for d in definitions)
    assert not any("varchar_pattern_ops" in d for d in definitions)


def test_the_similarity_index_is_built_on_the_selectors_expression():
    # The planner uses the index only for the expression it was built on.
    migration = importlib.import_module("catalog.migrations.0010_read_indexes")
    assert migration.SIMILARITY_VECTOR_SQL == SIMILARITY_VECTOR_SQL
