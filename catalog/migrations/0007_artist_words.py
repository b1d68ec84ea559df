# `catalog_artistword`: the distinct words of all artist names with how often each occurs
# in them, kept exact by statement-level triggers on `catalog_artist`, as `catalog_searchword`
# is for titles (0003). Search corrects typos against both lists, and asks this small table
# (trigram-indexed) whether a term is in any artist's name instead of matching the term
# against every name: at 100k artists that took 50-150 ms per search.
# PostgreSQL only; a no-op on SQLite.
from django.db import migrations

from catalog.migrations._search_sql import PostgresOnlySQL, word_list_sql

ARTIST_WORDS_SQL, ARTIST_WORDS_REVERSE_SQL = word_list_sql(
    table="catalog_artist", column="name", words="catalog_artistword", count="nnames", prefix="catalog_artist_words"
)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_spotify_id_c_collation")]
    operations = [PostgresOnlySQL(sql=ARTIST_WORDS_SQL, reverse_sql=ARTIST_WORDS_REVERSE_SQL)]
