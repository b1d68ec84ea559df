# The real catalog: genres, album, popularity, explicit, speechiness, and artists told apart
# by a normalised name (`catalog.naming.name_key`). The num_* counts become optional (the
# Spotify tracks CSV has none). On PostgreSQL the songs' write sequence of 0008 also moves
# on with writes to the artists, the credits and the song genres, so that a re-load's "same
# file, nothing written since" shortcut sees any change to what a load writes.

import django.db.models.functions.datetime
from django.db import migrations, models

from catalog.migrations._search_sql import PostgresOnlySQL
from catalog.naming import name_key

_GENERATION_TABLES = ("catalog_artist", "catalog_songartist", "catalog_song_genres")
GENERATION_SQL = [
    f"CREATE TRIGGER catalog_song_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
    " FOR EACH STATEMENT EXECUTE FUNCTION catalog_song_generation_next()"
    for table in _GENERATION_TABLES
]
GENERATION_REVERSE_SQL = [f"DROP TRIGGER catalog_song_generation ON {table}" for table in _GENERATION_TABLES]


def fill_name_keys(apps, schema_editor):
    """Artists that already share a normalised name keep their rows; the later ones get
    their id appended to the key, so nothing is lost and the constraint holds."""
    Artist = apps.get_model("catalog", "Artist")
    seen = set()
    for artist in Artist.objects.order_by("id").iterator():
        key = name_key(artist.name)
        if key in seen:
            key = f"{key} #{artist.id}"
        seen.add(key)
        Artist.objects.filter(pk=artist.pk).update(name_key=key)


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0008_song_file_loads'),
    ]

    operations = [
        migrations.CreateModel(
            name='Genre',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.RemoveField(
            model_name='artist',
            name='genres',
        ),
        migrations.AddField(
            model_name='artist',
            name='name_key',
            field=models.TextField(editable=False, null=True, unique=True),
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='artist',
            name='name_key',
            field=models.TextField(editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name='song',
            name='title',
            field=models.CharField(max_length=1000),
        ),
        migrations.AddField(
            model_name='song',
            name='album',
            field=models.CharField(blank=True, max_length=500, null=True),
        ),
        migrations.AddField(
            model_name='song',
            name='explicit',
            field=models.BooleanField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='song',
            name='popularity',
            field=models.SmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='song',
            name='speechiness',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='artist',
            name='created_at',
            field=models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False),
        ),
        migrations.AlterField(
            model_name='artist',
            name='updated_at',
            field=models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False),
        ),
        migrations.AlterField(
            model_name='song',
            name='num_bars',
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='song',
            name='num_sections',
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='song',
            name='num_segments',
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='song',
            name='genres',
            field=models.ManyToManyField(blank=True, related_name='songs', to='catalog.genre'),
        ),
        migrations.AddConstraint(
            model_name='song',
            constraint=models.CheckConstraint(condition=models.Q(('popularity__gte', 0), ('popularity__lte', 100)), name='song_popularity_range'),
        ),
        migrations.AddConstraint(
            model_name='song',
            constraint=models.CheckConstraint(condition=models.Q(('speechiness__gte', 0), ('speechiness__lte', 1)), name='song_speechiness_range'),
        ),
        PostgresOnlySQL(sql=GENERATION_SQL, reverse_sql=GENERATION_REVERSE_SQL),
    ]
