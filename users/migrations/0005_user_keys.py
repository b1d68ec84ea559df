"""Usernames and emails unique by keys folded in Python (`users.models.username_key`,
`email_key`) instead of lower(username) and lower(email).

Accounts that already share a key (`straße` and `STRASSE`; on SQLite, whose lower() folds
ASCII only, `émile` and `ÉMILE`; an email in NFC and in NFD) keep their names, emails and
sign-in: the first registered keeps the plain key, each later one gets its key followed by
a space and its id, which neither a username nor an email holds (their validators allow no
space)."""

from django.db import migrations, models

from users.models import email_key, username_key


def fill_keys(apps, schema_editor):
    user_model = apps.get_model("users", "User")
    users = list(user_model.objects.order_by("pk").only("pk", "username", "email"))
    for field, key_of in (("username", username_key), ("email", email_key)):
        taken: set[str] = set()
        for user in users:
            key = key_of(getattr(user, field))
            key = key if key not in taken else f"{key} {user.pk}"
            setattr(user, f"{field}_key", key)
            taken.add(key)
    user_model.objects.bulk_update(users, ["username_key", "email_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0004_username_ci_unique"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="user",
            name="email_key",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop, elidable=False),
        migrations.RemoveConstraint(model_name="user", name="users_user_username_ci_unique"),
        migrations.RemoveConstraint(model_name="user", name="users_user_email_ci_unique"),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                fields=("username_key",),
                name="users_user_username_key_unique",
                violation_error_message="A user with that username already exists.",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                fields=("email_key",),
                name="users_user_email_key_unique",
                violation_error_message="A user with that email already exists.",
            ),
        ),
    ]
