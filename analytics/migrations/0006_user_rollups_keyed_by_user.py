# The per-user all-time rollups keyed by (user, song|artist|genre) instead of
# (song|artist|genre, user): see analytics.models, and bench/README.md ("Analytics").

from django.db import migrations, models

# (table, constraint name, columns before, columns after). Frozen here: a migration must keep
# doing what it did. On PostgreSQL each key is the table's primary key (migration 0005).
KEYS = [
    ("analytics_usersong", "user_song_unique", "song_id, user_id", "user_id, song_id"),
    ("analytics_userartist", "user_artist_unique", "artist_id, user_id", "user_id, artist_id"),
    ("analytics_usergenre", "user_genre_unique", "genre_id, user_id", "user_id, genre_id"),
]


def _replace_keys(schema_editor, *, before: bool, primary: bool) -> None:
    """On PostgreSQL, each key (the old one if `before`) made the table's primary key if
    `primary`, else a unique constraint, the form Django's constraint operations expect."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, old, new in KEYS:
        kind = "PRIMARY KEY" if primary else "UNIQUE"
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        schema_editor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {kind} ({old if before else new})")


def new_keys_primary(apps, schema_editor):
    _replace_keys(schema_editor, before=False, primary=True)


def new_keys_unique(apps, schema_editor):
    _replace_keys(schema_editor, before=False, primary=False)


def old_keys_primary(apps, schema_editor):
    _replace_keys(schema_editor, before=True, primary=True)


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0005_rollup_keys'),
    ]

    operations = [
        # Undone, this migration leaves the old keys as primary keys again, as 0005 made them.
        migrations.RunPython(migrations.RunPython.noop, old_keys_primary),
        migrations.RemoveConstraint(
            model_name='userartist',
            name='user_artist_unique',
        ),
        migrations.RemoveConstraint(
            model_name='usergenre',
            name='user_genre_unique',
        ),
        migrations.RemoveConstraint(
            model_name='usersong',
            name='user_song_unique',
        ),
        migrations.AddConstraint(
            model_name='userartist',
            constraint=models.UniqueConstraint(fields=('user', 'artist'), name='user_artist_unique'),
        ),
        migrations.AddConstraint(
            model_name='usergenre',
            constraint=models.UniqueConstraint(fields=('user', 'genre'), name='user_genre_unique'),
        ),
        migrations.AddConstraint(
            model_name='usersong',
            constraint=models.UniqueConstraint(fields=('user', 'song'), name='user_song_unique'),
        ),
        migrations.RunPython(new_keys_primary, new_keys_unique),
    ]
