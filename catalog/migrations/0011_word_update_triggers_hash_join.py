# The update triggers of the search word lists (0003, 0007) join the statement's old and new
# rows on id. Transition tables have no statistics, so the planner guessed a nested loop:
# an UPDATE of 200,000 songs compared every old row with every new one (minutes). With
# nested loops off inside these two functions the join is hashed, whatever the row count.
from django.db import migrations

from catalog.migrations._search_sql import PostgresOnlySQL

FUNCTIONS = ("catalog_song_words_update()", "catalog_artist_words_update()")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0010_read_indexes")]
    operations = [
        PostgresOnlySQL(
            sql=[f"ALTER FUNCTION {function} SET enable_nestloop = off" for function in FUNCTIONS],
            reverse_sql=[f"ALTER FUNCTION {function} RESET enable_nestloop" for function in FUNCTIONS],
        )
    ]
