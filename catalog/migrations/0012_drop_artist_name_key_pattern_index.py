# As 0005 did for songs' spotify_id: Django gives the unique name_key a second btree with
# text_pattern_ops, for LIKE 'prefix%' lookups. name_key is only ever matched exactly (the
# unique index serves that), so the pattern index is pure cost, written on every new artist.
from django.db import migrations


def drop_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'catalog_artist' "
            "AND indexdef LIKE '%(name_key text_pattern_ops)%'"
        )
        for (name,) in cursor.fetchall():
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("catalog", "0011_word_update_triggers_hash_join")]
    operations = [migrations.RunPython(drop_pattern_index, migrations.RunPython.noop)]
