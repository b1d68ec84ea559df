# `catalog_songfileload`: one row per load_music run. On PostgreSQL, the sequence
# `catalog_song_generation` moves on with every statement that writes the songs table
# (a statement-level trigger: one nextval() per statement, whatever its row count), so a
# load can tell that nothing has written the songs since the load it recorded.
from django.db import migrations, models

from catalog.migrations._search_sql import PostgresOnlySQL

GENERATION_SQL = [
    "CREATE SEQUENCE catalog_song_generation",
    """
    CREATE FUNCTION catalog_song_generation_next() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM nextval('catalog_song_generation');
        RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER catalog_song_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON catalog_song"
    " FOR EACH STATEMENT EXECUTE FUNCTION catalog_song_generation_next()",
]
GENERATION_REVERSE_SQL = [
    "DROP TRIGGER catalog_song_generation ON catalog_song",
    "DROP FUNCTION catalog_song_generation_next()",
    "DROP SEQUENCE catalog_song_generation",
]


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_artist_words")]

    operations = [
        migrations.CreateModel(
            name="SongFileLoad",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("content_hash", models.CharField(max_length=64)),
                ("songs", models.PositiveIntegerField()),
                ("created", models.PositiveIntegerField()),
                ("updated", models.PositiveIntegerField()),
                ("songs_generation", models.BigIntegerField(blank=True, null=True)),
                ("loaded_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"ordering": ["-id"]},
        ),
        PostgresOnlySQL(sql=GENERATION_SQL, reverse_sql=GENERATION_REVERSE_SQL),
    ]
