"""The SQL the API emits for `search=` and `title=` is served by the trigram index.

100k songs are inserted in one statement, the search structures refreshed and the tables
analyzed; then every query the API runs for a request is captured and EXPLAINed.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Song
from catalog.services.search_index import search_index_refresh

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SONGS = 100_000

INSERT_SQL = """
INSERT INTO catalog_song (
    spotify_id, title, danceability, energy, key, loudness, mode, acousticness,
    instrumentalness, liveness, valence, tempo, duration_ms, time_signature,
    num_bars, num_sections, num_segments
)
SELECT
    'gen' || i,
    CASE WHEN i %% 20000 = 0 THEN 'Believer ' || i
         ELSE initcap((ARRAY['love', 'night', 'dance', 'heart', 'summer', 'fire'])[1 + i %% 6])
              || ' ' || substr(md5(i::text), 1, 7)
              || ' ' || initcap((ARRAY['dream', 'sky', 'road', 'light', 'river'])[1 + i %% 5])
    END,
    (i %% 100) / 100.0, ((i * 7) %% 100) / 100.0, i %% 12, -(i %% 30), i %% 2, ((i * 3) %% 100) / 100.0,
    0, 0.1, ((i * 11) %% 100) / 100.0, 60 + i %% 140, 120000 + i %% 200000, 4,
    100, 8, 500
FROM generate_series(1, %s) AS i
"""


@pytest.fixture(scope="module")
def big_catalog(django_db_setup, django_db_blocker):
    """Inserted and committed once for the module (it takes seconds), removed afterwards."""
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute(INSERT_SQL, [SONGS])
        search_index_refresh()
        yield SONGS
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE catalog_song CASCADE")


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        # The captured SQL has its parameters inlined: no placeholder is left to fill.
        cursor.execute("EXPLAIN " + sql.replace("%", "%%"), [])
        return "\n".join(row[0] for row in cursor.fetchall())


def captured_song_queries(api_client, path: str, params: dict) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = api_client.get(path, params)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries if "catalog_song" in q["sql"]], response


def test_search_uses_the_trigram_index_and_never_scans_songs(api_client, big_catalog):
    assert Song.objects.count() == SONGS
    queries, response = captured_song_queries(api_client, "/api/songs/", {"search": "belever"})

    assert [s["title"] for s in response.json()["results"]][0].startswith("Believer")
    plans = {sql: explain(sql) for sql in queries}
    trigram = [sql for sql, plan in plans.items() if "catalog_song_title_trgm" in plan]
    assert trigram, "no query of the search used the trigram index on titles"
    for sql, plan in plans.items():
        assert "Seq Scan on catalog_song " not in plan + " ", f"{sql}\n{plan}"
        if "ILIKE" in sql and 'catalog_song"."title" ILIKE' in sql:
            assert "catalog_song_title_trgm" in plan, f"{sql}\n{plan}"


def test_title_filter_uses_the_trigram_index(api_client, big_catalog):
    fragment = "c4ca423"  # md5('1') starts with it: exactly one title contains it.
    queries, response = captured_song_queries(api_client, "/api/songs/", {"title": fragment.upper()})

    assert response.json()["count"] == 1
    filtered = [sql for sql in queries if "ILIKE" in sql]
    assert filtered
    for sql in filtered:
        plan = explain(sql)
        assert "catalog_song_title_trgm" in plan, f"{sql}\n{plan}"
        assert "Seq Scan on catalog_song " not in plan + " "


def test_short_search_uses_the_prefix_index(api_client, big_catalog):
    queries, response = captured_song_queries(api_client, "/api/songs/", {"search": "be"})

    assert response.json()["results"][0]["title"].startswith("Believer")
    for sql in queries:
        assert "Seq Scan on catalog_song " not in explain(sql) + " ", sql
    assert any("catalog_song_title_lower_prefix" in explain(sql) for sql in queries)


def test_djangos_icontains_would_not_use_the_index(big_catalog):
    """Why the API has its own lookup: `icontains` compiles to UPPER(...) LIKE UPPER(...)."""
    sql = str(Song.objects.filter(title__icontains="c4ca423").only("id").query)
    assert "UPPER(" in sql
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql.replace("%c4ca423%", "%s"), ["%C4CA423%"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "catalog_song_title_trgm" not in plan
