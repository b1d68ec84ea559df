"""manage.py analytics_rebuild [--since YYYY-MM-DD]: rebuild the rollups from the events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.services.rollups_rebuild import rollups_rebuild
from analytics.services.snapshots import snapshots_refresh


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--since must be a date as YYYY-MM-DD, not {value!r}") from error


class Command(BaseCommand):
    help = (
        "Replace the analytics rollups of the days from --since on (default: from the oldest "
        "event kept) with counts of the events, and the per-user song totals of the users "
        "concerned. Ingest waits while it runs; safe to re-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="first day to rebuild (UTC), YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        since = _day(options["since"]) if options["since"] else None
        done = rollups_rebuild(since=since)
        snapshots_refresh()
        self.stdout.write(
            f"rebuilt from {done.since or 'nothing (no events)'}: {done.song_days} song-days, "
            f"{done.user_months} user-months, {done.user_songs} user-songs; "
            f"{done.applied} pending rows of earlier days applied"
        )
