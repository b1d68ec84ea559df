# The reconcile job compares the ratings with the songs that claim to have some: a partial
# index of those songs keeps that comparison independent of the catalog's size. Raw SQL,
# because the model does not declare this index (it serves the job, not the ORM).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_search")]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS catalog_song_rated_idx "
                "ON catalog_song (id) WHERE total_ratings > 0"
            ),
            reverse_sql="DROP INDEX IF EXISTS catalog_song_rated_idx",
        ),
    ]
