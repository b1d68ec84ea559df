# A search's titles starting with the query come most popular first (catalog/selectors/
# search_ranking.py, `RankedSongSearch._prefix_ids`): for each prefix the planner either
# sorts the prefix's range of this index or walks the popularity index until the page is
# full, and chooses by how many titles it expects in the range. With the default histogram
# of 100 buckets a common prefix's range (a few thousand of a million titles) lies inside
# one bucket and was estimated several times too small, so the planner read and sorted it
# where the walk cost a tenth (bench/README.md, "Titles starting with the query, most
# popular first"). 500 buckets: ANALYZE of a million songs takes ~1 s more.
from django.db import migrations

from catalog.migrations._search_sql import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0019_word_lists_folded"),
    ]

    operations = [
        PostgresOnlySQL(
            [
                "ALTER INDEX catalog_song_title_lower_prefix ALTER COLUMN 1 SET STATISTICS 500",
                "ANALYZE catalog_song",
            ],
            ["ALTER INDEX catalog_song_title_lower_prefix ALTER COLUMN 1 SET STATISTICS -1"],
        ),
    ]
