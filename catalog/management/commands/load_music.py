"""`manage.py load_music FILE`: load a playlist file into the catalog (see README, "Loading songs")."""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO, cast

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError
from tqdm import tqdm

from catalog.loading import Format, SongFileError, read_song_file
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
        "Load songs from a JSON file (columnar {column: {row: value}}, or a list of row objects) "
        "or a CSV file with a header (the Spotify tracks dataset's columns). Every value is "
        "validated first; an invalid file changes nothing (with --skip-invalid, invalid rows are "
        "left out and reported). Songs are matched on their Spotify id: new ones are inserted, "
        "changed ones updated, unchanged ones left alone."
    )
    # The system checks import every URLconf, view and admin module (a fifth of a second)
    # and check nothing a load depends on; `manage.py check` and the server still run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="path of the JSON or CSV file")
        parser.add_argument(
            "--format",
            choices=["json", "csv"],
            default=None,
            help=(
                "the file's format (default: told from its first character, { or [ for JSON; "
                "a name ending in .csv means CSV unless it starts like JSON)"
            ),
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="leave out the rows with invalid values, report each of them, and load the rest "
            "(a problem of the file as a whole still refuses it)",
        )
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

    def handle(
        self,
        *args,
        file: str,
        format: Format | None,  # one of the parser's choices
        skip_invalid: bool,
        batch_size: int,
        dry_run: bool,
        verbosity: int,
        **options,
    ) -> None:
        started = time.perf_counter()
        try:
            read = read_song_file(file, format=format, skip_invalid=skip_invalid)
        except OSError as exc:
            raise CommandError(f"{file}: cannot read the file: {exc.strerror or exc}") from None
        except SongFileError as exc:
            raise CommandError(f"{file}: nothing was loaded, {exc.report()}") from None
        songs = read.songs
        for skipped in read.skipped:
            problems = "; ".join(
                f"{p.column}: {p.message}" if p.column else p.message for p in skipped.problems
            )
            self.stderr.write(f"skipped row {skipped.row}: {problems}")
        parsed = time.perf_counter()
        if verbosity >= 2:
            self.stderr.write(f"parsed and validated {len(songs)} songs in {parsed - started:.2f} s")

        if dry_run:
            left_out = f" ({len(read.skipped)} invalid rows would be skipped)" if read.skipped else ""
            self.stdout.write(f"dry run: {len(songs)} valid songs in {file}{left_out}, nothing written")
            return

        with (
            tqdm(
                total=len(songs),
                unit="song",
                unit_scale=True,
                desc="loading",
                file=self._stderr_stream(),
                disable=not self.stderr.isatty(),
            ) as bar,
            self._phase_timings(verbosity),
        ):
            try:
                result = song_upsert_many(songs=songs, batch_size=batch_size, on_progress=bar.update)
            except OperationalError as exc:
                # One transaction: it rolled back. SQLite takes one writer at a time and gives
                # up after its timeout while another load holds the database.
                raise CommandError(
                    f"{file}: nothing was loaded, the database refused the load ({exc}); another load "
                    "may be running: try again once it ends"
                ) from None

        elapsed = time.perf_counter() - started
        rate = result.total / elapsed if elapsed > 0 else 0.0
        left_out = f", {len(read.skipped)} invalid rows skipped" if read.skipped else ""
        self.stdout.write(
            f"loaded {result.total} songs: {result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged{left_out} in {elapsed:.2f} s ({rate:.0f} songs/s)"
        )

    def _stderr_stream(self) -> TextIO:
        # The stream under Django's OutputWrapper (a private attribute its stubs leave out):
        # the progress bar and the log handler end their own lines.
        return cast(TextIO, self.stderr._out)

    @contextmanager
    def _phase_timings(self, verbosity: int) -> Iterator[None]:
        """At verbosity 2 and above, the service's phase timings go to stderr."""
        if verbosity < 2:
            yield
            return
        logger = logging.getLogger("catalog.services")
        handler = logging.StreamHandler(self._stderr_stream())
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
