"""Loading the Spotify tracks CSV format: its column names, its lines as row labels, a
track listed once per genre as one song, and the real file."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from catalog.loading import SongFileError, read_song_file
from catalog.models import Artist, Genre
from tests.catalog.builders import csv_line, write_csv

pytestmark = pytest.mark.django_db

SHARED_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "spotify-tracks-114k.csv"


# ------------------------------------------------------------------------------
# The Spotify tracks CSV
# ------------------------------------------------------------------------------


def test_csv_is_detected_and_read_with_the_datasets_column_names(tmp_path):
    path = write_csv(
        tmp_path / "tracks.csv", [csv_line(0, artists="Ed Sheeran;Beyoncé", explicit="True"), csv_line(1)]
    )
    songs = read_song_file(path).songs
    assert songs.titles == ["Song number 0", "Song number 1"]
    assert songs.names["artists"] == [("Ed Sheeran", "Beyoncé"), ("Ed Sheeran",)]
    assert songs.features["explicit"] == [True, False]
    assert songs.features["popularity"] == [73, 73]
    assert songs.features["album"] == ["Divide", "Divide"]


def test_a_track_listed_under_several_genres_is_one_song_with_all_of_them(tmp_path):
    path = write_csv(
        tmp_path / "tracks.csv",
        [
            csv_line(0, track_genre="pop", popularity=50),
            csv_line(1),
            csv_line(0, track_genre="dance", popularity=60),
        ],
    )
    songs = read_song_file(path).songs
    assert songs.spotify_ids == [csv_line(0).split(",")[0], csv_line(1).split(",")[0]]
    assert songs.names["genres"][0] == ("pop", "dance")
    assert songs.features["popularity"][0] == 60, "the highest popularity of its rows"


def test_csv_problems_name_column_and_line(tmp_path):
    path = write_csv(tmp_path / "tracks.csv", [csv_line(0), csv_line(1, tempo="fast", explicit="maybe")])
    with pytest.raises(SongFileError) as caught:
        read_song_file(path)
    assert [str(problem) for problem in caught.value.problems] == [
        'column "tempo", row 3: expected a number, got a string ("fast")',
        'column "explicit", row 3: expected true or false, got a string ("maybe")',
    ]


def test_a_csv_row_with_the_wrong_number_of_fields_is_refused(tmp_path):
    path = write_csv(tmp_path / "tracks.csv", [csv_line(0), "a,b,c"])
    with pytest.raises(SongFileError, match="line 3: 3 fields, the header has 20"):
        read_song_file(path)


def test_format_can_be_named(tmp_path):
    path = write_csv(tmp_path / "tracks.txt", [csv_line(0)])
    assert len(read_song_file(path, format="csv").songs) == 1
    with pytest.raises(SongFileError, match="not valid JSON"):
        read_song_file(path, format="json")


# ------------------------------------------------------------------------------
# The real file
# ------------------------------------------------------------------------------


@pytest.mark.skipif(not SHARED_CSV.exists(), reason=f"needs the shared Spotify tracks CSV at {SHARED_CSV}")
def test_the_real_spotify_tracks_file_reads_with_one_row_skipped():
    read = read_song_file(SHARED_CSV, skip_invalid=True)
    assert len(read.songs) == 89_740
    assert [row.row for row in read.skipped] == ["65902"], "the row with empty names and a duration of 0"
    with pytest.raises(SongFileError, match="1 problem|2 problems"):
        read_song_file(SHARED_CSV)
    position = read.songs.spotify_ids.index("5SuOikwiRyPMVoIQDJUgSV")
    assert read.songs.names["artists"][position] == ("Gen Hoshino",)
    assert set(read.songs.names["genres"][position]) >= {"acoustic", "j-pop"}
    assert sum(1 for value in read.songs.features["time_signature"] if value == 0) > 0


@pytest.mark.postgres
@pytest.mark.skipif(not SHARED_CSV.exists(), reason=f"needs the shared Spotify tracks CSV at {SHARED_CSV}")
def test_the_real_spotify_tracks_file_loads_and_reloads_unchanged():
    out = StringIO()
    call_command("load_music", str(SHARED_CSV), "--skip-invalid", stdout=out, stderr=StringIO())
    assert "89740 new" in out.getvalue()
    call_command("load_music", str(SHARED_CSV), "--skip-invalid", stdout=out, stderr=StringIO())
    assert "89740 unchanged" in out.getvalue()
    assert Genre.objects.count() == 114
    ed = Artist.objects.get(name="Ed Sheeran")
    assert ed.songs.count() > 10
