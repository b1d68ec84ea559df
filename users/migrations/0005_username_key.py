"""Usernames unique by `username_key` (case-folded in Python) instead of lower(username).

Accounts that already share a key (`straße` and `STRASSE`, or on SQLite `émile` and
`ÉMILE`, which lower() let through) keep their names and sign in as before: the first
registered keeps the plain key, each later one gets its key followed by a space and its id,
which no username holds (the username validator allows no space)."""

from django.db import migrations, models

from users.models import username_key


def fill_keys(apps, schema_editor):
    user_model = apps.get_model("users", "User")
    taken: set[str] = set()
    users = list(user_model.objects.order_by("pk").only("pk", "username"))
    for user in users:
        key = username_key(user.username)
        user.username_key = key if key not in taken else f"{key} {user.pk}"
        taken.add(user.username_key)
    user_model.objects.bulk_update(users, ["username_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0004_username_ci_unique"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.CharField(default="", editable=False, max_length=450),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop, elidable=False),
        migrations.RemoveConstraint(
            model_name="user",
            name="users_user_username_ci_unique",
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                fields=("username_key",),
                name="users_user_username_key_unique",
                violation_error_message="A user with that username already exists.",
            ),
        ),
    ]
