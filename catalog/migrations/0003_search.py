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
# The word list's SQL comes from `_search_sql`, which 0007 uses for artist names too.
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from catalog.migrations._search_sql import PostgresOnlySQL, word_list_sql

TITLE_WORDS_SQL, TITLE_WORDS_REVERSE_SQL = word_list_sql(
    table="catalog_song", column="title", words="catalog_searchword", count="ndoc", prefix="catalog_song_words"
)

FORWARD_SQL = [
    # Titles: trigram index for substring / typo search, and a C-collation btree on the
    # lowercased title (then id, so that the many songs sharing a title stay in index
    # order) that serves exact and prefix matches in the order results are listed.
    "CREATE INDEX catalog_song_title_trgm ON catalog_song USING gin (title gin_trgm_ops)",
    'CREATE INDEX catalog_song_title_lower_prefix ON catalog_song ((lower(title) COLLATE "C"), id)',
    "CREATE INDEX catalog_artist_name_trgm ON catalog_artist USING gin (name gin_trgm_ops)",
    'CREATE INDEX catalog_artist_name_lower_prefix ON catalog_artist ((lower(name) COLLATE "C"))',
    *TITLE_WORDS_SQL,
]

REVERSE_SQL = [
    *TITLE_WORDS_REVERSE_SQL,
    "DROP INDEX IF EXISTS catalog_artist_name_lower_prefix",
    "DROP INDEX IF EXISTS catalog_artist_name_trgm",
    "DROP INDEX IF EXISTS catalog_song_title_lower_prefix",
    "DROP INDEX IF EXISTS catalog_song_title_trgm",
]


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]
    operations = [
        # A no-op on SQLite: Django's CreateExtension checks the vendor itself.
        TrigramExtension(),
        PostgresOnlySQL(sql=FORWARD_SQL, reverse_sql=REVERSE_SQL),
    ]
