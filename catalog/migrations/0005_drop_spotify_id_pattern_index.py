# Django gives every unique CharField on PostgreSQL a second btree with varchar_pattern_ops,
# for LIKE 'prefix%' lookups. spotify_id is only ever matched exactly (the unique index serves
# that), so the pattern index is pure cost: 50 MB at 1M songs, built on every large load and
# written on every insert.
from django.db import migrations


def drop_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'catalog_song' "
            "AND indexdef LIKE '%(spotify_id varchar_pattern_ops)%'"
        )
        for (name,) in cursor.fetchall():
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_rated_songs_index")]
    operations = [migrations.RunPython(drop_pattern_index, migrations.RunPython.noop)]
