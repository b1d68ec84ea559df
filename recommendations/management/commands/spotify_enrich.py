"""`manage.py spotify_enrich [--limit N]`: complete catalog songs that lack an album or
artists from Spotify, in this process (the same work as the `spotify_enrich` task, which a
worker retries after a rate limit; here a rate limit stops the run and says when to resume)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommendations.spotify.client import (
    SpotifyError,
    SpotifyRateLimitedError,
    spotify_client,
    spotify_enabled,
)
from recommendations.spotify.enrich import songs_enrich
from recommendations.spotify.tasks import DISABLED, ENRICH_DEFAULT_LIMIT


class Command(BaseCommand):
    help = "Fill in the album, artists, popularity and explicit of songs lacking them, from Spotify."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit",
            type=int,
            default=ENRICH_DEFAULT_LIMIT,
            help=f"Songs to look up, one request each (default {ENRICH_DEFAULT_LIMIT}).",
        )

    def handle(self, *args, limit: int, **options) -> None:
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        if not spotify_enabled():
            self.stdout.write(DISABLED["detail"] + " Nothing to do.")
            return
        try:
            result = songs_enrich(limit=limit, client=spotify_client())
        except SpotifyRateLimitedError as error:
            raise CommandError(
                f"Spotify's rate limit: run again in {error.retry_after} s (songs done so far are kept)"
            ) from error
        except SpotifyError as error:
            raise CommandError(f"{error} (songs done so far are kept)") from error
        self.stdout.write(
            f"{result.checked} songs looked up: {result.filled} completed,"
            f" {result.unknown} unknown to Spotify."
        )
