# Search structures on PostgreSQL: pg_trgm, trigram and prefix indexes on song titles and
# artist names, and `catalog_searchword`, the distinct words of all titles with how often
# each occurs (occurrences, not songs: counting songs would need a per-song DISTINCT, a
# sort that doubles the cost of a bulk load). Typos are corrected against that small table
# (its own trigram index) before titles are searched, which keeps typo tolerance cheap at a
# million songs.
#
# The word table is kept right by statement-level triggers with transition tables, so every
# write path (bulk loads, the admin, factories, raw SQL) maintains it with one set-based
# statement per write statement. JIT is off in them: compiling costs more than it saves.
# Nothing here is tracked in Django's model state, and every operation is a no-op on
# SQLite, which searches by plain substring matching instead.
#
# GIN rather than GiST for the title index: measured at 1M songs (bench/README.md, "Search").
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# Word boundaries: anything that is not a letter or a digit, in any script. The same rule
# is applied to queries in catalog/selectors/search.py.
WORD_SPLIT = "[^[:alnum:]]+"

FORWARD_SQL = [
    # Titles: trigram index for substring / typo search, and a C-collation btree on the
    # lowercased title (then id, so that the many songs sharing a title stay in index
    # order) that serves exact and prefix matches in the order results are listed.
    "CREATE INDEX catalog_song_title_trgm ON catalog_song USING gin (title gin_trgm_ops)",
    'CREATE INDEX catalog_song_title_lower_prefix ON catalog_song ((lower(title) COLLATE "C"), id)',
    "CREATE INDEX catalog_artist_name_trgm ON catalog_artist USING gin (name gin_trgm_ops)",
    'CREATE INDEX catalog_artist_name_lower_prefix ON catalog_artist ((lower(name) COLLATE "C"))',
    # C collation: its primary key then also serves prefix matches (`word LIKE 'abc%'`).
    """
    CREATE TABLE catalog_searchword (
        word text COLLATE "C" PRIMARY KEY,
        ndoc integer NOT NULL
    )
    """,
    "CREATE INDEX catalog_searchword_word_trgm ON catalog_searchword USING gin (word gin_trgm_ops)",
    # Usually empty: finds the words whose last occurrence went away, without a scan.
    "CREATE INDEX catalog_searchword_unused ON catalog_searchword (word) WHERE ndoc <= 0",
    # Each trigger adds the per-word change of one statement in one upsert, in word order,
    # so that two concurrent writers lock shared words in the same order (no deadlock).
    f"""
    CREATE OR REPLACE FUNCTION catalog_song_words_insert() RETURNS trigger
    LANGUAGE plpgsql SET jit = off AS $$
    BEGIN
        INSERT INTO catalog_searchword AS sw (word, ndoc)
        SELECT w, count(*)
        FROM new_rows r, regexp_split_to_table(lower(r.title), '{WORD_SPLIT}') AS w
        WHERE w <> ''
        GROUP BY w ORDER BY w
        ON CONFLICT (word) DO UPDATE SET ndoc = sw.ndoc + EXCLUDED.ndoc;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION catalog_song_words_delete() RETURNS trigger
    LANGUAGE plpgsql SET jit = off AS $$
    BEGIN
        INSERT INTO catalog_searchword AS sw (word, ndoc)
        SELECT w, -count(*)
        FROM old_rows r, regexp_split_to_table(lower(r.title), '{WORD_SPLIT}') AS w
        WHERE w <> ''
        GROUP BY w ORDER BY w
        ON CONFLICT (word) DO UPDATE SET ndoc = sw.ndoc + EXCLUDED.ndoc;
        DELETE FROM catalog_searchword WHERE ndoc <= 0;
        RETURN NULL;
    END $$
    """,
    # Most updates (rating aggregates) leave titles alone: they cost one join of the
    # transition tables and nothing more.
    f"""
    CREATE OR REPLACE FUNCTION catalog_song_words_update() RETURNS trigger
    LANGUAGE plpgsql SET jit = off AS $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.title IS DISTINCT FROM n.title
        ) THEN
            RETURN NULL;
        END IF;
        WITH changed AS (
            SELECT o.title AS old_title, n.title AS new_title
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.title IS DISTINCT FROM n.title
        ), signed AS (
            SELECT w, -1 AS n
            FROM changed c, regexp_split_to_table(lower(c.old_title), '{WORD_SPLIT}') AS w
            WHERE w <> ''
            UNION ALL
            SELECT w, 1 AS n
            FROM changed c, regexp_split_to_table(lower(c.new_title), '{WORD_SPLIT}') AS w
            WHERE w <> ''
        )
        INSERT INTO catalog_searchword AS sw (word, ndoc)
        SELECT w, sum(n) FROM signed GROUP BY w HAVING sum(n) <> 0 ORDER BY w
        ON CONFLICT (word) DO UPDATE SET ndoc = sw.ndoc + EXCLUDED.ndoc;
        DELETE FROM catalog_searchword WHERE ndoc <= 0;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION catalog_song_words_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE catalog_searchword;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER catalog_song_words_insert AFTER INSERT ON catalog_song
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_song_words_insert()
    """,
    """
    CREATE TRIGGER catalog_song_words_delete AFTER DELETE ON catalog_song
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_song_words_delete()
    """,
    """
    CREATE TRIGGER catalog_song_words_update AFTER UPDATE ON catalog_song
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_song_words_update()
    """,
    """
    CREATE TRIGGER catalog_song_words_truncate AFTER TRUNCATE ON catalog_song
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_song_words_truncate()
    """,
    # Songs that already exist when the migration runs.
    f"""
    INSERT INTO catalog_searchword (word, ndoc)
    SELECT w, count(*)
    FROM catalog_song s, regexp_split_to_table(lower(s.title), '{WORD_SPLIT}') AS w
    WHERE w <> ''
    GROUP BY w
    """,
]

REVERSE_SQL = [
    "DROP TRIGGER IF EXISTS catalog_song_words_truncate ON catalog_song",
    "DROP TRIGGER IF EXISTS catalog_song_words_update ON catalog_song",
    "DROP TRIGGER IF EXISTS catalog_song_words_delete ON catalog_song",
    "DROP TRIGGER IF EXISTS catalog_song_words_insert ON catalog_song",
    "DROP FUNCTION IF EXISTS catalog_song_words_truncate()",
    "DROP FUNCTION IF EXISTS catalog_song_words_update()",
    "DROP FUNCTION IF EXISTS catalog_song_words_delete()",
    "DROP FUNCTION IF EXISTS catalog_song_words_insert()",
    "DROP TABLE IF EXISTS catalog_searchword",
    "DROP INDEX IF EXISTS catalog_artist_name_lower_prefix",
    "DROP INDEX IF EXISTS catalog_artist_name_trgm",
    "DROP INDEX IF EXISTS catalog_song_title_lower_prefix",
    "DROP INDEX IF EXISTS catalog_song_title_trgm",
]


class PostgresOnlySQL(migrations.RunSQL):
    """Raw SQL that only PostgreSQL runs: SQLite has neither pg_trgm nor these triggers."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]
    operations = [
        # A no-op on SQLite: Django's CreateExtension checks the vendor itself.
        TrigramExtension(),
        PostgresOnlySQL(sql=FORWARD_SQL, reverse_sql=REVERSE_SQL),
    ]
