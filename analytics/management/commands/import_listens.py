"""`manage.py import_listens FILE --user NAME`: a ListenBrainz listening history as plays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.listens_in import ListensError, parse_listens
from analytics.services.listens import listens_import
from users.selectors import user_list


class Command(BaseCommand):
    help = (
        "Import a ListenBrainz listens export (JSON array or JSON lines) as the user's plays. "
        "Idempotent: listens imported before are counted as duplicates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The listens export.")
        parser.add_argument("--user", required=True, help="Username of the listener.")
        parser.add_argument(
            "--exclude",
            action="store_true",
            help="Keep these listens out of the user's taste: stored and exported, never counted.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user_id = user_list().filter(username=options["user"]).values_list("id", flat=True).first()
        if user_id is None:
            raise CommandError(f"No user named {options['user']!r}.")
        path: Path = options["file"]
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from None
        try:
            listens = parse_listens(raw)
        except ListensError as error:
            raise CommandError(f"{path}: {error.as_json()['detail']} (nothing imported).") from None
        imported = listens_import(user_id=user_id, listens=listens, excluded=options["exclude"])
        self.stdout.write(
            f"matched {imported.matched} (stored {imported.stored}, duplicates {imported.duplicates}), "
            f"unmatched {imported.unmatched}"
            + (f", too old {imported.too_old}" if imported.too_old else "")
            + f"; import id {imported.import_id}"
            + (" (kept out of the user's taste)" if options["exclude"] else "")
        )
