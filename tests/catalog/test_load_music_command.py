"""`manage.py load_music`: the command around song_upsert_many."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection

from catalog.management.commands import load_music as load_music_command
from catalog.models import Song
from tests.catalog.builders import columnar, song_row, write_json

pytestmark = pytest.mark.django_db

REPO = Path(settings.BASE_DIR)
SHARED_PLAYLIST = REPO.parent / "shared" / "data" / "playlist.json"
SUMMARY = re.compile(
    r"^loaded (\d+) songs: (\d+) new, (\d+) updated, (\d+) unchanged in \d+\.\d\d s \(\d+ songs/s\)$"
)


def load(path: Path, *args: str) -> tuple[int, int, int, int]:
    """Runs the command and returns the counts of its last line (the summary)."""
    out = StringIO()
    call_command("load_music", str(path), *args, stdout=out, stderr=StringIO())
    last = out.getvalue().strip().splitlines()[-1]
    match = SUMMARY.match(last)
    assert match, last
    return tuple(int(n) for n in match.groups())


def refused(path: Path, *args: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("load_music", str(path), *args, stdout=StringIO(), stderr=StringIO())
    return str(caught.value)


@pytest.fixture
def songs_file(tmp_path):
    return write_json(tmp_path / "songs.json", columnar([song_row(i) for i in range(5)]))


def test_columnar_file_loads_and_summarises(songs_file):
    assert load(songs_file) == (5, 5, 0, 0)
    assert Song.objects.count() == 5


def test_verbosity_2_times_each_phase_down_to_the_commit(songs_file):
    err = StringIO()
    call_command("load_music", str(songs_file), verbosity=2, stdout=StringIO(), stderr=err)

    lines = err.getvalue().splitlines()
    assert re.fullmatch(r"parsed and validated 5 songs in \d+\.\d\d s", lines[0])
    phases = [re.fullmatch(r"load phase ([a-z ]+): \d+\.\d{3} s", line) for line in lines[1:]]
    assert all(phases), lines
    names = [phase.group(1) for phase in phases if phase]
    assert names[-2:] == ["search statistics", "commit"]
    # Each path times its own steps before those.
    first = "copy into staging" if connection.vendor == "postgresql" else "write in batches"
    assert names[0] == first


def test_row_list_file_loads(tmp_path):
    path = write_json(tmp_path / "rows.json", [song_row(i) for i in range(4)])
    assert load(path) == (4, 4, 0, 0)


def test_reload_is_idempotent_and_picks_up_changes(songs_file, tmp_path):
    load(songs_file)
    assert load(songs_file) == (5, 0, 0, 5)

    rows = [song_row(i) for i in range(5)]
    rows[3]["valence"] = 0.99
    changed = write_json(tmp_path / "changed.json", columnar(rows))
    assert load(changed) == (5, 0, 1, 4)
    assert Song.objects.get(spotify_id=rows[3]["id"]).valence == 0.99


def test_aggregates_are_preserved_across_a_reload(songs_file):
    load(songs_file)
    spotify_id = song_row(2)["id"]
    Song.objects.filter(spotify_id=spotify_id).update(total_ratings=7, average_rating=4.25)

    assert load(songs_file) == (5, 0, 0, 5)
    song = Song.objects.get(spotify_id=spotify_id)
    assert (song.total_ratings, song.average_rating) == (7, 4.25)


def test_dry_run_validates_and_writes_nothing(songs_file):
    out = StringIO()
    call_command("load_music", str(songs_file), "--dry-run", stdout=out)
    assert out.getvalue().strip() == f"dry run: 5 valid songs in {songs_file}, nothing written"
    assert Song.objects.count() == 0


def test_dry_run_still_reports_problems(tmp_path):
    path = write_json(tmp_path / "bad.json", columnar([song_row(0, key=99)]))
    assert 'column "key", row 0: 99 is out of range' in refused(path, "--dry-run")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("energy"), 'column "energy": missing required column'),
        (
            lambda d: d["tempo"].update({"3": "fast"}),
            'column "tempo", row 3: expected a number, got a string',
        ),
        (lambda d: d["danceability"].update({"1": True}), 'column "danceability", row 1: expected a number'),
        (lambda d: d["mode"].update({"2": 1.0}), 'column "mode", row 2: expected an integer, got 1.0'),
        (lambda d: d["loudness"].update({"4": math.nan}), 'column "loudness", row 4: nan is not a finite'),
        (lambda d: d["valence"].update({"0": 1.2}), 'column "valence", row 0: 1.2 is out of range'),
        (lambda d: d["title"].update({"1": ""}), 'column "title", row 1: is empty'),
        (lambda d: d["id"].update({"1": "x" * 65}), 'column "id", row 1: is 65 characters long'),
        (lambda d: d["num_bars"].pop("4"), 'column "num_bars": has 4 rows but "id" has 5'),
        (
            lambda d: d.update(energy={str(i + 1): 0.5 for i in range(5)}),
            'column "energy", row 1: row keys do not line up',
        ),
        (
            lambda d: d["id"].update({"4": d["id"]["0"]}),
            'column "id", row 4: duplicate id',
        ),
    ],
)
def test_malformed_file_is_refused_whole(tmp_path, mutate, expected):
    Song.objects.all().delete()
    document = columnar([song_row(i) for i in range(5)])
    mutate(document)
    path = write_json(tmp_path / "bad.json", document)

    message = refused(path)

    assert expected in message
    assert message.startswith(f"{path}: nothing was loaded, 1 problem:")
    assert Song.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"id": {"0": ', "not valid JSON"),
        ("42", "expected an object of columns or a list of rows, got 42"),
        ('"songs"', "expected an object of columns or a list of rows"),
        ('[1, {"id": "x"}]', "row 0: expected an object, got 1"),
    ],
)
def test_files_that_are_not_song_files(tmp_path, content, expected):
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert expected in refused(path)
    assert Song.objects.count() == 0


def test_first_twenty_problems_and_a_total(tmp_path):
    rows = [song_row(i, energy=-1.0) for i in range(25)]
    message = refused(write_json(tmp_path / "bad.json", columnar(rows)))
    lines = message.splitlines()
    assert lines[0].endswith("nothing was loaded, 25 problems (the first 20 shown):")
    assert len(lines) == 21
    assert lines[1].strip() == 'column "energy", row 0: -1.0 is out of range (must be >= 0 and <= 1)'
    assert lines[20].strip().startswith('column "energy", row 19:')


def test_a_bad_row_anywhere_means_nothing_is_written(tmp_path, songs_file):
    load(songs_file)
    rows = [song_row(i, title=f"New title {i}") for i in range(500)]
    rows[499]["time_signature"] = 40
    refused(write_json(tmp_path / "bad.json", columnar(rows)), "--batch-size", "10")
    assert Song.objects.count() == 5
    assert not Song.objects.filter(title__startswith="New title").exists()


def test_missing_file(tmp_path):
    assert "cannot read the file" in refused(tmp_path / "nope.json")


def test_batch_size_must_be_a_positive_integer(songs_file):
    with pytest.raises(CommandError, match="batch-size"):
        call_command("load_music", str(songs_file), "--batch-size", "0", stderr=StringIO())


def test_small_batches_give_the_same_result(songs_file):
    assert load(songs_file, "--batch-size", "2") == (5, 5, 0, 0)
    assert load(songs_file, "--batch-size", "1") == (5, 0, 0, 5)


def test_no_progress_bar_when_not_a_terminal(songs_file):
    err = StringIO()
    call_command("load_music", str(songs_file), stdout=StringIO(), stderr=err)
    assert err.getvalue() == ""


def test_the_repository_sample_playlist_loads():
    path = REPO / "playlist.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    n = len(document["id"])
    assert n == 100, "the assignment's real 100-song file"
    assert "class" in document

    assert load(path) == (n, n, 0, 0)
    titles = set(Song.objects.values_list("title", flat=True))
    assert {"Blank Space", "Believer", "Bad Boy", "Bad Romance", "Bleeding Love", "3AM"} <= titles
    assert all(len(i) == 22 and i.isalnum() for i in Song.objects.values_list("spotify_id", flat=True))
    assert load(path) == (n, 0, 0, n)


@pytest.mark.skipif(not SHARED_PLAYLIST.is_file(), reason=f"no reference playlist at {SHARED_PLAYLIST}")
def test_the_project_ships_the_reference_playlist():
    assert (REPO / "playlist.json").read_bytes() == SHARED_PLAYLIST.read_bytes()


def test_exit_status_and_message_from_the_shell(tmp_path):
    # A real process: what a user sees. Validation fails before any database access.
    path = write_json(tmp_path / "bad.json", columnar([song_row(0), song_row(1, key="C#")]))
    process = subprocess.run(
        [sys.executable, "manage.py", "load_music", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "music_discovery.settings"},
        timeout=120,
    )
    assert process.returncode == 1
    assert 'column "key", row 1: expected an integer, got a string ("C#")' in process.stderr
    assert process.stdout == ""


def test_a_run_from_the_shell_ends_with_everything_said(tmp_path):
    # The command ends its process itself once done (see run_from_argv): its output must
    # still all reach a pipe. A dry run, so that the process leaves every database alone.
    path = write_json(tmp_path / "songs.json", columnar([song_row(i) for i in range(3)]))
    process = subprocess.run(
        [sys.executable, "manage.py", "load_music", str(path), "--dry-run", "-v", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "music_discovery.settings"},
        timeout=120,
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout == f"dry run: 3 valid songs in {path}, nothing written\n"
    assert process.stderr.startswith("parsed and validated 3 songs in ")


def test_a_database_that_refuses_the_load_is_an_error_message_not_a_traceback(songs_file, monkeypatch):
    """SQLite gives up after its timeout while another load holds the database: `database is
    locked`, raised from the load's one transaction, which rolled back."""

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(load_music_command, "song_upsert_many", locked)

    with pytest.raises(CommandError, match="nothing was loaded, the database refused the load"):
        call_command("load_music", str(songs_file), stdout=StringIO(), stderr=StringIO())
    assert not Song.objects.exists()
