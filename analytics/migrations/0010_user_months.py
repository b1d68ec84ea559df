# A listener's day rows become month rows (UserMonth), each month's active days kept as bits:
# see analytics.models, and bench/README.md ("Analytics", a listener's months).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Rows read and written at a time while copying.
CHUNK = 2000


def key_to_primary(apps, schema_editor):
    """On PostgreSQL the unique key is the table's primary key, as for the other rollup
    tables (migration 0005)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE analytics_usermonth DROP CONSTRAINT analytics_usermonth_pkey")
    schema_editor.execute("ALTER TABLE analytics_usermonth DROP CONSTRAINT user_month_unique")
    schema_editor.execute(
        "ALTER TABLE analytics_usermonth ADD CONSTRAINT user_month_unique PRIMARY KEY (user_id, month)"
    )


def key_to_unique(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE analytics_usermonth DROP CONSTRAINT user_month_unique")
    schema_editor.execute("ALTER TABLE analytics_usermonth ADD CONSTRAINT analytics_usermonth_pkey PRIMARY KEY (id)")
    schema_editor.execute("ALTER TABLE analytics_usermonth ADD CONSTRAINT user_month_unique UNIQUE (user_id, month)")


def days_to_months(apps, schema_editor):
    """Each listener's day rows, in key order, added up into one row per month."""
    UserDay = apps.get_model("analytics", "UserDay")
    UserMonth = apps.get_model("analytics", "UserMonth")
    fields = ("plays", "likes", "skips", "shares", "listen_ms")
    batch, current = [], None
    rows = UserDay.objects.order_by("user_id", "day").values_list("user_id", "day", "last_at", *fields)
    for user_id, day, last_at, *counts in rows.iterator(chunk_size=CHUNK):
        month = day.replace(day=1)
        if current is None or (current.user_id, current.month) != (user_id, month):
            if current is not None:
                batch.append(current)
            current = UserMonth(user_id=user_id, month=month, last_at=last_at, days=0)
            if len(batch) >= CHUNK:
                UserMonth.objects.bulk_create(batch)
                batch = []
        for field, count in zip(fields, counts):
            setattr(current, field, getattr(current, field) + count)
        current.days |= 1 << (day.day - 1)
        current.last_at = max(current.last_at, last_at)
    UserMonth.objects.bulk_create(batch + ([current] if current is not None else []))


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0009_pending_user_rollup_user'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='UserMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('plays', models.IntegerField(default=0)),
                ('likes', models.IntegerField(default=0)),
                ('skips', models.IntegerField(default=0)),
                ('shares', models.IntegerField(default=0)),
                ('month', models.DateField()),
                ('days', models.IntegerField(default=0)),
                ('listen_ms', models.BigIntegerField(default=0)),
                ('last_at', models.DateTimeField()),
                ('user', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.AddIndex(
            model_name='usermonth',
            index=models.Index(fields=['month'], name='user_month_month'),
        ),
        migrations.AddConstraint(
            model_name='usermonth',
            constraint=models.UniqueConstraint(fields=('user', 'month'), name='user_month_unique'),
        ),
        migrations.RunPython(key_to_primary, key_to_unique),
        # Undone, the day rows come back empty: `manage.py analytics_rebuild` counts them
        # again from the events kept.
        migrations.RunPython(days_to_months, migrations.RunPython.noop),
        migrations.DeleteModel(
            name='UserDay',
        ),
    ]
