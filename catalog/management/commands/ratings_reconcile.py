"""`manage.py ratings_reconcile`: the beat's reconcile job, run here and now."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from catalog.ratings.services import song_ratings_reconcile


class Command(BaseCommand):
    help = (
        "Repair every song whose rating aggregates disagree with its ratings, then recompute the "
        "songs marked dirty (with Redis). Runs in this process, with or without Redis and a worker."
    )

    def handle(self, *args, **options) -> None:
        repaired = song_ratings_reconcile()
        self.stdout.write(f"{repaired} song(s) repaired." if repaired else "No song drifted.")
