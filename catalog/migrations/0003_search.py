# Reserved for the search issue (pg_trgm and the trigram indexes); later catalog
# migrations depend on it so that work on search and ratings can land in any order.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]
    operations: list = []
