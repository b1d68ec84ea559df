"""How `load_music` tells a file's format when `--format` does not name it: JSON when it
starts with `{` or `[`, CSV when its name ends in `.csv` or its first line has a comma, and
for a file that is neither (empty, garbage) a message that says so rather than a JSON
syntax error about a file meant as CSV."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.loading import SongFileError, read_song_file
from catalog.models import Song
from tests.catalog.builders import columnar, song_row


def problem(path: Path) -> str:
    with pytest.raises(SongFileError) as caught:
        read_song_file(path)
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0])


@pytest.mark.parametrize("name", ["tracks.csv", "TRACKS.CSV"])
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file: expected a header row naming the columns"),
        (b"  \n\n", "empty file: expected a header row naming the columns"),
        (b"garbage here\nmore garbage\n", "no known column in the header"),
        (b"\x00\x01\x02", "no known column in the header"),
    ],
    ids=["empty", "blank", "garbage", "binary"],
)
def test_an_empty_or_garbled_csv_file_is_read_as_csv(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)

    message = problem(path)

    assert expected in message
    assert "JSON" not in message


@pytest.mark.parametrize("name", ["songs", "songs.txt", "songs.json"])
def test_an_empty_file_of_no_told_format_names_both(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\n")

    assert problem(path) == (
        "empty file: expected JSON (an object of columns or a list of rows) or CSV (a header row"
        " naming the columns)"
    )


def test_garbage_of_no_told_format_is_neither_json_nor_csv(tmp_path):
    path = tmp_path / "songs.txt"
    path.write_text("hello world\n")

    message = problem(path)

    assert message.startswith("neither JSON nor CSV: not valid JSON (Expecting value")
    assert "no comma between column names" in message and "--format" in message


def test_json_in_a_file_named_csv_is_still_json(tmp_path):
    path = tmp_path / "songs.csv"
    path.write_text(json.dumps(columnar([song_row(0), song_row(1)])))

    assert len(read_song_file(path).songs) == 2


@pytest.mark.django_db
def test_load_music_reports_an_empty_csv_file_as_csv(tmp_path):
    path = tmp_path / "tracks.csv"
    path.write_bytes(b"")

    with pytest.raises(CommandError) as caught:
        call_command("load_music", str(path), stdout=StringIO(), stderr=StringIO())

    assert str(caught.value) == (
        f"{path}: nothing was loaded, 1 problem:\n  empty file: expected a header row naming the columns"
    )
    assert not Song.objects.exists()
