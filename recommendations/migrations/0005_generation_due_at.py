from django.db import migrations, models
from django.db.models import F
from django.utils import timezone


def due_when_created(apps, schema_editor):
    # A generation recorded before this field was due when it was created, as far as anyone
    # can tell now (the countdown it was queued with was not kept).
    Generation = apps.get_model("recommendations", "Generation")
    Generation.objects.update(due_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0004_generation_asked_by"),
    ]

    operations = [
        migrations.AddField(
            model_name="generation",
            name="due_at",
            field=models.DateTimeField(default=timezone.now),
        ),
        migrations.RunPython(due_when_created, migrations.RunPython.noop),
    ]
