"""`manage.py build_recommendations`: rebuild the recommendation model now, in this process
(the same work as the beat's `recommendations.build` task), and drop the cached lists it
makes stale. Lists still come before any build: from the catalog, profiles and a listener's
own signals."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from recommendations.lists import recommendations_build


class Command(BaseCommand):
    help = "Rebuild the recommendation model from the catalog and every listener's signals."

    def handle(self, *args, **options) -> None:
        built = recommendations_build()
        self.stdout.write(
            f"built the model over {built.songs} songs and {built.listeners} listeners in "
            f"{built.seconds:.2f} s; cached lists dropped; {built.pruned} old generations pruned"
        )
