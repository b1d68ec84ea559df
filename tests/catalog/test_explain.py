"""The SQL the API emits is served by indexes at scale: `search=` and `title=` by the
trigram index, and every other catalog read (filters, popularity order, artists, genres)
without reading a whole table. (Similar songs are the recommendation engine's, over the
catalog's arrays a process reads once: bench/similar.py.)

100k songs, 10k artists and 100 genres are inserted in a few statements, the search
structures refreshed and the tables analyzed; then every query the API runs for a request
is captured and EXPLAINed. The planner chooses by the tables' real sizes: no planner
setting is forced.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Song
from catalog.services.search_index import search_index_refresh

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SONGS = 100_000

ARTISTS = 50_000
GENRES = 100

INSERT_SQL = """
INSERT INTO catalog_song (
    spotify_id, title, danceability, energy, key, loudness, mode, acousticness,
    instrumentalness, liveness, valence, tempo, duration_ms, time_signature,
    num_bars, num_sections, num_segments, popularity, explicit, speechiness
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
    100, 8, 500,
    CASE WHEN i %% 10 = 0 THEN NULL ELSE (i * 13) %% 101 END,
    CASE WHEN i %% 10 = 0 THEN NULL ELSE i %% 12 = 0 END,
    CASE WHEN i %% 10 = 0 THEN NULL ELSE ((i * 17) %% 100) / 100.0 END
FROM generate_series(1, %s) AS i
"""
# Artists credited on two songs each (a second artist on every fifth song), enough of them
# for the planner to weigh their indexes as at scale; each song in one genre, every third
# in a second one.
RELATED_SQL = [
    """INSERT INTO catalog_artist (name, name_key)
       SELECT 'Artist ' || md5(i::text), 'artist ' || md5(i::text)
       FROM generate_series(1, %(artists)s) AS i""",
    "INSERT INTO catalog_genre (name) SELECT 'genre ' || i FROM generate_series(1, %(genres)s) AS i",
    # Statistics for the joins below: an earlier test's ANALYZE of a handful of rows would
    # otherwise have the planner join 100k songs to 50k names by scanning the names.
    "ANALYZE catalog_song, catalog_artist, catalog_genre",
    """INSERT INTO catalog_songartist (song_id, artist_id, position)
       SELECT s.id, a.id, 0 FROM catalog_song s
       JOIN catalog_artist a ON a.name = 'Artist ' || md5((1 + s.id %% %(artists)s)::text)""",
    """INSERT INTO catalog_songartist (song_id, artist_id, position)
       SELECT s.id, a.id, 1 FROM catalog_song s
       JOIN catalog_artist a ON a.name = 'Artist ' || md5((1 + (s.id * 7 + 3) %% %(artists)s)::text)
       WHERE s.id %% 5 = 0 AND (s.id * 7 + 3) %% %(artists)s <> s.id %% %(artists)s""",
    """INSERT INTO catalog_song_genres (song_id, genre_id)
       SELECT s.id, g.id FROM catalog_song s
       JOIN catalog_genre g ON g.name = 'genre ' || (1 + s.id %% %(genres)s)""",
    """INSERT INTO catalog_song_genres (song_id, genre_id)
       SELECT s.id, g.id FROM catalog_song s
       JOIN catalog_genre g ON g.name = 'genre ' || (1 + (s.id / 3) %% %(genres)s)
       WHERE s.id %% 3 = 0 AND (s.id / 3) %% %(genres)s <> s.id %% %(genres)s""",
    # Two genres whose songs sit at one end of an order the API serves from an index: the
    # little-known songs (the least popular end) and the songs loaded last (the highest ids).
    "INSERT INTO catalog_genre (name) VALUES ('quiet'), ('late')",
    """INSERT INTO catalog_song_genres (song_id, genre_id)
       SELECT s.id, g.id FROM catalog_song s, catalog_genre g
       WHERE (g.name = 'quiet' AND s.popularity <= 1) OR (g.name = 'late' AND s.id > (
           SELECT max(id) - 2000 FROM catalog_song))""",
    # What autovacuum does soon after a bulk insert: statistics, and the trigram indexes'
    # pending entries merged (until then the planner rightly finds them costly to search).
    "VACUUM (ANALYZE)",
]


@pytest.fixture(scope="module")
def big_catalog(django_db_setup, django_db_blocker):
    """Inserted and committed once for the module (it takes seconds), removed afterwards."""
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute(INSERT_SQL, [SONGS])
            for sql in RELATED_SQL:
                cursor.execute(sql, {"artists": ARTISTS, "genres": GENRES})
        search_index_refresh()
        yield SONGS
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE catalog_song, catalog_artist, catalog_genre CASCADE")


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


# ---------------------------------------------------------------------------------------
# The rest of the catalog's reads
# ---------------------------------------------------------------------------------------
# Tables that grow with the catalog (the genres, a hundred rows, may be read whole).
LARGE_TABLES = (
    "catalog_song",
    "catalog_artist",
    "catalog_songartist",
    "catalog_song_genres",
    "catalog_rating",
)
# A statement reading more than this share of one of them reads it whole, in effect. (A
# page or a bounded count of a filter that a twelfth of the songs pass reads ~15% of them:
# 1,001 matches.)
MAX_SHARE_READ = 0.2


def analyze(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql.replace("%", "%%"), [])
        plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def rows_read(node: dict) -> dict[str, int]:
    """Rows each large table's scans handed on or threw away, over all their loops."""
    totals: dict[str, int] = {}
    if node.get("Relation Name") in LARGE_TABLES:
        touched = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
        touched += node.get("Rows Removed by Index Recheck", 0)
        totals[node["Relation Name"]] = touched * node["Actual Loops"]
    for child in node.get("Plans", []):
        for table, count in rows_read(child).items():
            totals[table] = totals.get(table, 0) + count
    return totals


def table_sizes() -> dict[str, int]:
    with connection.cursor() as cursor:
        return {
            table: cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in LARGE_TABLES
        }


def plans_of(
    api_client, path: str, params: dict | None = None, *, max_share: float = MAX_SHARE_READ
) -> tuple[list[str], object]:
    """The plan (text) of every query a request runs, and its response; asserts that none
    of them read more than `max_share` of a large table (executed, not estimated)."""
    with CaptureQueriesContext(connection) as captured:
        response = api_client.get(path, params or {})
    assert response.status_code == 200, response.content
    statements = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    ]
    sizes = table_sizes()
    for sql in statements:
        read = rows_read(analyze(sql))
        assert all(count <= max_share * max(sizes[t], 1) for t, count in read.items()), (
            f"{read} of {sizes}\n{sql}\n{explain(sql)}"
        )
    return [explain(sql) for sql in statements], response


@pytest.mark.parametrize(
    "params",
    [
        {"genre": "Genre 7"},
        {"genre": "genre 7", "ordering": "-popularity"},
        {"artist": "__artist__"},
        {"min_popularity": "99"},
        {"ordering": "-popularity"},
        {"ordering": "-popularity", "explicit": "true"},
        {"ordering": "-rating_score"},
        {"genre": "quiet", "ordering": "-popularity"},
        {"genre": "quiet", "ordering": "-rating_score"},
        {"genre": "late"},
        {"genre": "late", "ordering": "-popularity", "min_popularity": "1"},
        # A common word searched within a genre, in another order than relevance: the
        # genre's songs are read first (see search_postgres.candidates).
        {"genre": "late", "search": "love", "ordering": "-popularity"},
        {"genre": "quiet", "search": "sky", "ordering": "title"},
    ],
)
def test_song_filters_and_popularity_order_never_read_a_whole_table(api_client, big_catalog, params):
    if params.get("artist") == "__artist__":
        params = {"artist": connection.cursor().execute("SELECT min(id) FROM catalog_artist").fetchone()[0]}

    plans, response = plans_of(api_client, "/api/songs/", params)

    assert response.json()["results"]


def test_most_popular_first_is_read_from_the_popularity_index(api_client, big_catalog):
    plans, response = plans_of(api_client, "/api/songs/", {"ordering": "-popularity"})

    assert [s["popularity"] for s in response.json()["results"]] == [100] * 20
    assert any("catalog_song_popularity_desc" in plan for plan in plans)


@pytest.mark.parametrize("ordering", ["title", "-title"])
def test_titles_in_order_are_read_from_the_title_index(api_client, big_catalog, ordering):
    plans, response = plans_of(api_client, "/api/songs/", {"ordering": ordering, "page": 3})

    listed = [s["title"].lower() for s in response.json()["results"]]
    assert listed == sorted(listed, reverse=ordering.startswith("-"))
    assert any("catalog_song_title_lower_prefix" in plan for plan in plans)


@pytest.mark.parametrize("ordering", ["title", "-title"])
def test_a_common_words_matches_in_title_order_are_walked_from_the_title_index(
    api_client, big_catalog, ordering
):
    """`sky` ends a fifth of the titles, spread along the title order: its first page by
    title is found among the first few hundred titles of the title index, rather than by
    sorting its 20,000 matches (the bounded count reads ~5,000)."""
    plans, response = plans_of(
        api_client, "/api/songs/", {"search": "sky", "ordering": ordering}, max_share=0.1
    )
    listed = [s["title"].lower() for s in response.json()["results"]]
    assert len(listed) == 20 and all("sky" in title for title in listed)
    assert listed == sorted(listed, reverse=ordering.startswith("-"))
    assert any("catalog_song_title_lower_prefix" in plan for plan in plans)


@pytest.mark.parametrize("page", [1, 800])
def test_common_matches_that_sort_together_or_a_deep_page_are_sorted_not_walked_far(
    api_client, big_catalog, page
):
    """`love` starts a sixth of the titles, which all sort together after `Dance`, `Fire`
    and `Heart`: the first titles of the index hold none, and its first page is its matches
    sorted (16,667). So is page 800, which ends at the 16,000th match: walking the index
    that far would read most titles (plans_of refuses a fifth of the table)."""
    plans, response = plans_of(
        api_client, "/api/songs/", {"search": "love", "ordering": "title", "page": page}
    )
    listed = [s["title"].lower() for s in response.json()["results"]]
    assert len(listed) == 20 and all("love" in title for title in listed)
    assert listed == sorted(listed)


def test_best_rated_first_is_read_from_the_rating_score_index(api_client, big_catalog):
    plans, response = plans_of(api_client, "/api/songs/", {"ordering": "-rating_score"})

    assert response.json()["results"]
    assert any("song_rating_score_desc" in plan for plan in plans)


def test_exact_spotify_id_lookup_uses_the_unique_index(api_client, big_catalog):
    plans, response = plans_of(api_client, "/api/songs/", {"spotify_id": "gen77"})

    assert [s["spotify_id"] for s in response.json()["results"]] == ["gen77"]
    assert any("catalog_song_spotify_id_key" in plan for plan in plans)


# md5('1') starts with c4ca4238a0b9: one artist's name contains it; the last is a typo of
# that whole word, which no name contains.
@pytest.mark.parametrize(
    "params",
    [{}, {"genre": "genre 3"}, {"search": "c4ca4238a0b9"}, {"search": "c4ca4238a0b923820dcc509a6f75849x"}],
)
def test_artist_lists_never_read_a_whole_table(api_client, big_catalog, params):
    plans, response = plans_of(api_client, "/api/artists/", params)

    assert response.json()["results"]
    if "search" in params:
        assert response.json()["results"][0]["name"] == "Artist c4ca4238a0b923820dcc509a6f75849b"
    if not params:
        assert any("artist_name_id_idx" in plan for plan in plans)


def test_artist_detail_song_detail_and_genres_read_only_their_rows(api_client, big_catalog):
    artist = connection.cursor().execute("SELECT min(id) FROM catalog_artist").fetchone()[0]
    song = connection.cursor().execute("SELECT min(id) FROM catalog_song").fetchone()[0]

    artist_plans, artist_response = plans_of(api_client, f"/api/artists/{artist}/")
    plans_of(api_client, f"/api/songs/{song}/")

    assert artist_response.json()["song_count"] >= 2
    assert artist_response.json()["genres"]
    assert any("catalog_songartist_artist_id" in plan for plan in artist_plans)


# Names of artists analyzed, then deleted: the planner expects ~1,500 names holding their
# word (3% of the names) where one is left. (Fewer, and the bounded scan of names in table
# order does not tempt the planner at this size; many more, and it reads every name even
# planned for all of them.)
STALE_NAMES = 2000


def test_song_search_by_an_artists_name_reads_the_names_through_their_index(api_client, big_catalog):
    """The names holding a search's terms are looked up through the names' trigram index
    whatever LIMIT bounds them. The planner expects some 1,500 names holding "kaspar"
    here (statistics from before most of them went), where one is left: a scan of the
    names in table order, meant to stop at the LIMIT, would read every name."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO catalog_artist (name, name_key)"
            " SELECT 'Kaspar ' || i, 'kaspar ' || i FROM generate_series(1, %s) AS i",
            [STALE_NAMES],
        )
        cursor.execute("ANALYZE catalog_artist")
        cursor.execute("DELETE FROM catalog_artist WHERE name LIKE 'Kaspar %%' AND name <> 'Kaspar 1'")
        cursor.execute(
            "INSERT INTO catalog_songartist (song_id, artist_id, position)"
            " SELECT (SELECT min(id) FROM catalog_song), id, 5 FROM catalog_artist WHERE name = 'Kaspar 1'"
        )

    plans, response = plans_of(api_client, "/api/songs/", {"search": "kaspar"})

    assert "Kaspar 1" in [artist["name"] for artist in response.json()["results"][0]["artists"]]


@pytest.mark.parametrize(
    ("index", "column"), [("catalog_song_title_lower_prefix", 1), ("catalog_song_popularity_title", 2)]
)
def test_the_title_key_keeps_a_finer_histogram(index, column):
    """The planner chooses between sorting a prefix's range and walking the songs most
    popular first by its estimate of the range (migrations 0020, 0021): the default
    histogram underestimated a common prefix several times over at a million titles. Both
    indexes hold the title's key, and the planner may read its statistics from either."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attstattarget FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " WHERE c.relname = %s AND a.attnum = %s",
            [index, column],
        )
        assert cursor.fetchone()[0] == 500


def test_a_common_prefix_most_popular_first_reads_only_the_songs_it_lists(api_client, big_catalog):
    """`nig` starts a sixth of the titles ("Night ..."), whose rows lie in no popularity
    order: walking the songs most popular first tests each title in the index (migration
    0021) and reads only the rows of the page, where testing each row read thousands."""
    with CaptureQueriesContext(connection) as captured:
        response = api_client.get("/api/songs/", {"search": "nig"})
    titles = [s["title"] for s in response.json()["results"]]
    assert len(titles) == 20 and all(t.startswith("Night ") for t in titles)
    tiers = [q["sql"] for q in captured.captured_queries if "ARRAY(SELECT e.id" in q["sql"]]
    assert tiers
    for sql in tiers:
        assert rows_read(analyze(sql)).get("catalog_song", 0) <= 100, explain(sql)
