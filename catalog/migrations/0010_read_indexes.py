# Indexes of the catalog's read side, each for a list that is ordered or looked up at scale:
# - artists by name, then id (the artist list's order);
# - songs by their neighbourhood (`catalog.similarity.neighbourhood_key_expression`), which
#   bounds the songs /api/songs/{id}/similar/ reads whatever the catalog's size; on
#   PostgreSQL it carries their features, so that those are read from the index alone;
# - on PostgreSQL, songs by popularity, most popular first and unknown popularity last,
#   then id (`ordering=-popularity`, the popularity range filters). SQLite cannot declare
#   NULLS LAST in an index (nor does the embedded default need one), hence raw SQL.

import django.db.models.expressions
import django.db.models.functions.comparison
import django.db.models.functions.math
from django.db import migrations, models

from catalog.migrations._search_sql import PostgresOnlySQL

POPULARITY_SQL = ["CREATE INDEX catalog_song_popularity_desc ON catalog_song (popularity DESC NULLS LAST, id)"]
POPULARITY_REVERSE_SQL = ["DROP INDEX IF EXISTS catalog_song_popularity_desc"]


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0009_real_catalog'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='artist',
            index=models.Index(fields=['name', 'id'], name='artist_name_id_idx'),
        ),
        migrations.AddIndex(
            model_name='song',
            index=models.Index(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.functions.comparison.Least(django.db.models.functions.math.Floor(django.db.models.expressions.CombinedExpression(models.F('energy'), '*', models.Value(8))), 7, output_field=models.FloatField()), '*', models.Value(8)), '+', django.db.models.functions.comparison.Least(django.db.models.functions.math.Floor(django.db.models.expressions.CombinedExpression(models.F('danceability'), '*', models.Value(8))), 7, output_field=models.FloatField())), '*', models.Value(8)), '+', django.db.models.functions.comparison.Least(django.db.models.functions.math.Floor(django.db.models.expressions.CombinedExpression(models.F('valence'), '*', models.Value(8))), 7, output_field=models.FloatField())), '*', models.Value(8)), '+', django.db.models.functions.comparison.Least(django.db.models.functions.math.Floor(django.db.models.expressions.CombinedExpression(models.F('acousticness'), '*', models.Value(8))), 7, output_field=models.FloatField())), name='song_neighbourhood_idx', include=('id', 'danceability', 'energy', 'acousticness', 'instrumentalness', 'liveness', 'valence', 'loudness', 'tempo')),
        ),
        PostgresOnlySQL(sql=POPULARITY_SQL, reverse_sql=POPULARITY_REVERSE_SQL),
    ]
