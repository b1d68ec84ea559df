# The genre links become a model of the project's own (`SongGenre`, on the table Django made
# for `Song.genres`, taken over as it is), so that their indexes can be the ones the reads
# need: the index on song goes (the unique (song, genre) leads with it), and the index on
# genre carries the song, so that a genre's songs are read from the index alone.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0016_song_rating_score_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SongGenre",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "song",
                            models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="catalog.song"),
                        ),
                        (
                            "genre",
                            models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="catalog.genre"),
                        ),
                    ],
                    options={"db_table": "catalog_song_genres", "unique_together": {("song", "genre")}},
                ),
                migrations.AlterField(
                    model_name="song",
                    name="genres",
                    field=models.ManyToManyField(
                        blank=True, related_name="songs", through="catalog.SongGenre", to="catalog.genre"
                    ),
                ),
            ],
        ),
        migrations.AlterField(
            model_name="songgenre",
            name="song",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, to="catalog.song"
            ),
        ),
        migrations.AlterField(
            model_name="songgenre",
            name="genre",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, to="catalog.genre"
            ),
        ),
        migrations.AddIndex(
            model_name="songgenre",
            index=models.Index(fields=["genre", "song"], name="songgenre_genre_song"),
        ),
    ]
