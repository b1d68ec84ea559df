# Song ids are opaque ASCII strings, matched exactly and never sorted for people: compared
# byte by byte (COLLATE "C") instead of by the database's locale, the unique index on them
# builds ~2.5x faster (2.0 s -> 0.8 s at 1M songs, part of every first load's index
# rebuild) and every lookup in it is cheaper. Equality is the same under both collations.
# PostgreSQL only: SQLite compares bytes already and knows no collation named "C". The
# model does not declare it (SQLite would refuse the name), so a later AlterField of
# spotify_id must keep COLLATE "C" by hand.
from django.db import migrations

COLUMN_TYPE = "varchar(64)"


def _alter(schema_editor, collation: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'ALTER TABLE catalog_song ALTER COLUMN spotify_id TYPE {COLUMN_TYPE} COLLATE "{collation}"'
    )


def to_c_collation(apps, schema_editor):
    _alter(schema_editor, "C")


def to_default_collation(apps, schema_editor):
    _alter(schema_editor, "default")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_drop_spotify_id_pattern_index")]
    operations = [migrations.RunPython(to_c_collation, to_default_collation)]
