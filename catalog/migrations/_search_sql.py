"""What the search migrations (0003_search, 0007_artist_words) share: the SQL of a word list
(the distinct words of one text column with how often each occurs, kept exact by
statement-level triggers on the column's table) and an operation only PostgreSQL runs.
Not a migration itself: Django's loader skips modules whose name starts with an underscore.
The migrations that use it must keep producing the SQL they produced when they were
applied: change it only by adding parameters whose defaults keep the old behaviour."""

from django.db import migrations

# Word boundaries: anything that is not a letter or a digit, in any script. The same rule
# is applied to queries (catalog/selectors/search_text.py).
WORD_SPLIT = "[^[:alnum:]]+"
_EVENTS = ("truncate", "update", "delete", "insert")


def word_list_sql(
    *, table: str, column: str, words: str, count: str, prefix: str
) -> tuple[list[str], list[str]]:
    """(forward, reverse) SQL of the word list `words` (word, `count`) of `table`.`column`,
    with triggers and their functions named `prefix`_insert/_delete/_update/_truncate."""
    # Removes the words whose last occurrence went away.
    prune = f"\n        DELETE FROM {words} WHERE {count} <= 0;"
    forward = [
        # C collation: its primary key then also serves prefix matches (`word LIKE 'abc%'`).
        f"""
    CREATE TABLE {words} (
        word text COLLATE "C" PRIMARY KEY,
        {count} integer NOT NULL
    )
    """,
        f"CREATE INDEX {words}_word_trgm ON {words} USING gin (word gin_trgm_ops)",
        # Usually empty: finds the words whose last occurrence went away, without a scan.
        f"CREATE INDEX {words}_unused ON {words} (word) WHERE {count} <= 0",
        # Each trigger adds the per-word change of one statement in one upsert, in word order,
        # so that two concurrent writers lock shared words in the same order (no deadlock).
        _function(prefix, "insert", _words_of("new_rows", column, "count(*)", words, count)),
        _function(prefix, "delete", _words_of("old_rows", column, "-count(*)", words, count) + prune),
        # Most updates leave the column alone (rating aggregates, for songs): they cost one
        # join of the transition tables and nothing more.
        f"""
    CREATE OR REPLACE FUNCTION {prefix}_update() RETURNS trigger
    LANGUAGE plpgsql SET jit = off AS $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.{column} IS DISTINCT FROM n.{column}
        ) THEN
            RETURN NULL;
        END IF;
        WITH changed AS (
            SELECT o.{column} AS old_text, n.{column} AS new_text
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.{column} IS DISTINCT FROM n.{column}
        ), signed AS (
            SELECT w, -1 AS n
            FROM changed c, regexp_split_to_table(lower(c.old_text), '{WORD_SPLIT}') AS w
            WHERE w <> ''
            UNION ALL
            SELECT w, 1 AS n
            FROM changed c, regexp_split_to_table(lower(c.new_text), '{WORD_SPLIT}') AS w
            WHERE w <> ''
        )
        INSERT INTO {words} AS sw (word, {count})
        SELECT w, sum(n) FROM signed GROUP BY w HAVING sum(n) <> 0 ORDER BY w
        ON CONFLICT (word) DO UPDATE SET {count} = sw.{count} + EXCLUDED.{count};{prune}
        RETURN NULL;
    END $$
    """,
        f"""
    CREATE OR REPLACE FUNCTION {prefix}_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE {words};
        RETURN NULL;
    END $$
    """,
        f"""
    CREATE TRIGGER {prefix}_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_insert()
    """,
        f"""
    CREATE TRIGGER {prefix}_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_delete()
    """,
        f"""
    CREATE TRIGGER {prefix}_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_update()
    """,
        f"""
    CREATE TRIGGER {prefix}_truncate AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_truncate()
    """,
        # Rows that already exist when the migration runs.
        word_list_rebuild_sql(table=table, column=column, words=words, count=count),
    ]
    reverse = [
        *(
            f"DROP TRIGGER IF EXISTS {prefix}_{event} ON {table}"
            for event in ("truncate", "update", "delete", "insert")
        ),
        *(
            f"DROP FUNCTION IF EXISTS {prefix}_{event}()"
            for event in ("truncate", "update", "delete", "insert")
        ),
        f"DROP TABLE IF EXISTS {words}",
    ]
    return forward, reverse


def _words_of(rows: str, column: str, amount: str, words: str, count: str) -> str:
    """The upsert adding `amount` per word of `column` in the transition table `rows`."""
    return f"""INSERT INTO {words} AS sw (word, {count})
        SELECT w, {amount}
        FROM {rows} r, regexp_split_to_table(lower(r.{column}), '{WORD_SPLIT}') AS w
        WHERE w <> ''
        GROUP BY w ORDER BY w
        ON CONFLICT (word) DO UPDATE SET {count} = sw.{count} + EXCLUDED.{count};"""


def _function(prefix: str, event: str, body: str) -> str:
    return f"""
    CREATE OR REPLACE FUNCTION {prefix}_{event}() RETURNS trigger
    LANGUAGE plpgsql SET jit = off AS $$
    BEGIN
        {body}
        RETURN NULL;
    END $$
    """


def word_list_rebuild_sql(*, table: str, column: str, words: str, count: str) -> str:
    """The statement that fills an empty word list from the rows of `table`."""
    return f"""
    INSERT INTO {words} (word, {count})
    SELECT w, count(*)
    FROM {table} s, regexp_split_to_table(lower(s.{column}), '{WORD_SPLIT}') AS w
    WHERE w <> ''
    GROUP BY w
    """


class PostgresOnlySQL(migrations.RunSQL):
    """Raw SQL that only PostgreSQL runs: SQLite has neither pg_trgm nor these triggers."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
