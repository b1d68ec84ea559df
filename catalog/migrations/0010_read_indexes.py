# Indexes of the catalog's read side, each for a list that is ordered or searched at scale:
# - artists by name, then id (the artist list's order);
# - on PostgreSQL, songs by popularity, most popular first and unknown popularity last,
#   then id (`ordering=-popularity`, the popularity range filters);
# - on PostgreSQL, a GiST index over each song's audio-feature vector (the `cube`
#   extension), which serves /api/songs/{id}/similar/ as a k-nearest-neighbour index scan
#   whatever the catalog's size. Its expression is `catalog.selectors.similar`'s
#   SIMILARITY_VECTOR_SQL as it was when this migration was written: the planner uses the
#   index only for that exact expression (tests/catalog/test_explain_read.py checks it).

from django.db import migrations, models

from catalog.migrations._search_sql import PostgresOnlySQL

SIMILARITY_VECTOR_SQL = (
    "cube(ARRAY["
    "least(greatest((danceability - (0.0)::float8) / (1.0)::float8, 0::float8), 1::float8), "
    "least(greatest((energy - (0.0)::float8) / (1.0)::float8, 0::float8), 1::float8), "
    "least(greatest((acousticness - (0.0)::float8) / (1.0)::float8, 0::float8), 1::float8), "
    "least(greatest((instrumentalness - (0.0)::float8) / (1.0)::float8, 0::float8), 1::float8), "
    "least(greatest((liveness - (0.0)::float8) / (1.0)::float8, 0::float8), 1::float8), "
    "least(greatest((valence - (0.0)::float8) / (1.0)::float8, 0::float8), 1::float8), "
    "least(greatest((loudness - (-60.0)::float8) / (60.0)::float8, 0::float8), 1::float8), "
    "least(greatest((tempo - (0.0)::float8) / (250.0)::float8, 0::float8), 1::float8)"
    "])"
)

# SQLite cannot declare NULLS LAST in an index (nor does the embedded default need one).
POPULARITY_SQL = ["CREATE INDEX catalog_song_popularity_desc ON catalog_song (popularity DESC NULLS LAST, id)"]
POPULARITY_REVERSE_SQL = ["DROP INDEX IF EXISTS catalog_song_popularity_desc"]

SIMILARITY_SQL = [
    "CREATE EXTENSION IF NOT EXISTS cube",
    f"CREATE INDEX catalog_song_similarity_gist ON catalog_song USING gist (({SIMILARITY_VECTOR_SQL}))",
]
SIMILARITY_REVERSE_SQL = ["DROP INDEX IF EXISTS catalog_song_similarity_gist"]


class Migration(migrations.Migration):
    dependencies = [("catalog", "0009_real_catalog")]

    operations = [
        migrations.AddIndex(
            model_name="artist",
            index=models.Index(fields=["name", "id"], name="artist_name_id_idx"),
        ),
        PostgresOnlySQL(sql=POPULARITY_SQL, reverse_sql=POPULARITY_REVERSE_SQL),
        PostgresOnlySQL(sql=SIMILARITY_SQL, reverse_sql=SIMILARITY_REVERSE_SQL),
    ]
