# A search's titles starting with the query come most popular first (catalog/selectors/
# search_ranking.py, `RankedSongSearch._prefix_ids`). For a common prefix the planner walks
# songs most popular first until the page is full. Through the popularity index alone, the
# walk reads each song's row to test its title: in order when a load has laid the rows out
# most popular first, a random page each where later loads, updates or a restore have
# scattered them (thousands for a common prefix). This index holds the title's key (the
# expression of `catalog_song_title_lower_prefix`) in popularity order, in the scan's own
# order, so the walk tests the title in the index and reads only the rows it lists
# (bench/README.md, "A common prefix walked in the index"). Its title column keeps the same
# finer histogram as the prefix index (migration 0020): the planner may read the
# expression's statistics from either index.
from django.db import migrations

from catalog.migrations._search_sql import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0020_title_prefix_statistics"),
    ]

    operations = [
        PostgresOnlySQL(
            [
                "CREATE INDEX catalog_song_popularity_title ON catalog_song"
                ' (popularity DESC NULLS LAST, (lower(title) COLLATE "C"), id)',
                "ALTER INDEX catalog_song_popularity_title ALTER COLUMN 2 SET STATISTICS 500",
                "ANALYZE catalog_song",
            ],
            ["DROP INDEX IF EXISTS catalog_song_popularity_title"],
        ),
    ]
