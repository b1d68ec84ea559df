"""`manage.py load_music FILE`: load a playlist file into the catalog (see README, "Loading songs")."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.loading import SongFileError, read_song_file
from catalog.services.loading import DEFAULT_BATCH_SIZE, song_upsert_many


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an integer") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


class Command(BaseCommand):
    help = (
        "Load songs from a JSON file, columnar ({column: {row: value}}) or a list of row objects. "
        "Every value is validated first; an invalid file changes nothing. Songs are matched on "
        "their Spotify id: new ones are inserted, changed ones updated, unchanged ones left alone."
    )
    # The system checks import every URLconf, view and admin module (a fifth of a second)
    # and check nothing a load depends on; `manage.py check` and the server still run them.
    requires_system_checks: list[str] = []

    def run_from_argv(self, argv: list[str]) -> None:
        """`manage.py load_music`: the process ends as soon as the command is done. The
        interpreter would otherwise free a large file's songs object by object on its way
        out (a quarter of a second for a million); everything has been written, committed
        and said by then. `call_command` does not come through here."""
        super().run_from_argv(argv)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="path of the JSON file")
        parser.add_argument(
            "--batch-size",
            type=_positive_int,
            default=DEFAULT_BATCH_SIZE,
            help=f"songs sent to the database per batch (default {DEFAULT_BATCH_SIZE})",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="validate the file and report, without touching the database",
        )

    def handle(self, *args, file: str, batch_size: int, dry_run: bool, verbosity: int, **options) -> None:
        started = time.perf_counter()
        try:
            songs = read_song_file(file)
        except OSError as exc:
            raise CommandError(f"{file}: cannot read the file: {exc.strerror or exc}") from None
        except SongFileError as exc:
            raise CommandError(f"{file}: nothing was loaded, {exc.report()}") from None
        parsed = time.perf_counter()
        if verbosity >= 2:
            self.stderr.write(f"parsed and validated {len(songs)} songs in {parsed - started:.2f} s")

        if dry_run:
            self.stdout.write(f"dry run: {len(songs)} valid songs in {file}, nothing written")
            return

        with (
            tqdm(
                total=len(songs),
                unit="song",
                unit_scale=True,
                desc="loading",
                file=self.stderr._out,
                disable=not self.stderr.isatty(),
            ) as bar,
            self._phase_timings(verbosity),
        ):
            result = song_upsert_many(songs=songs, batch_size=batch_size, on_progress=bar.update)

        elapsed = time.perf_counter() - started
        rate = result.total / elapsed if elapsed > 0 else 0.0
        self.stdout.write(
            f"loaded {result.total} songs: {result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged in {elapsed:.2f} s ({rate:.0f} songs/s)"
        )

    @contextmanager
    def _phase_timings(self, verbosity: int) -> Iterator[None]:
        """At verbosity 2 and above, the service's phase timings go to stderr."""
        if verbosity < 2:
            yield
            return
        logger = logging.getLogger("catalog.services")
        handler = logging.StreamHandler(self.stderr._out)
        previous = logger.level, logger.propagate
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(previous[0])
            logger.propagate = previous[1]
