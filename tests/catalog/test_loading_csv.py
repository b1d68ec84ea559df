"""Loading the Spotify tracks CSV format: its column names, its lines as row labels, a
track listed once per genre as one song (each of its rows validated before they are
merged), and the real file."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.loading import SongFileError, read_song_file
from catalog.loading.columns import MAX_NAMES
from catalog.models import Artist, Genre, Song
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


def test_an_invalid_value_in_a_repeated_row_refuses_the_file_with_its_line(tmp_path):
    path = write_csv(
        tmp_path / "tracks.csv",
        [
            csv_line(0, popularity="abc", track_genre="pop"),
            csv_line(0, popularity=70, track_genre="dance"),
            csv_line(0, tempo="fast", track_genre="rock"),
        ],
    )
    with pytest.raises(CommandError) as caught:
        call_command("load_music", str(path), "--dry-run", stdout=StringIO(), stderr=StringIO())
    assert str(caught.value).splitlines()[1:] == [
        '  column "popularity", row 2: expected an integer, got a string ("abc")',
        '  column "tempo", row 4: expected a number, got a string ("fast")',
    ]


def test_skip_invalid_loads_a_repeated_track_from_its_valid_rows_only(tmp_path):
    path = write_csv(
        tmp_path / "tracks.csv",
        [
            csv_line(0, track_name="Bad row", tempo="fast", track_genre="rock"),
            csv_line(0, track_name="First valid row", popularity=50, track_genre="pop"),
            csv_line(1),
            csv_line(0, popularity="abc", track_genre="jazz"),
            csv_line(0, track_name="Later valid row", popularity=60, track_genre="dance"),
        ],
    )
    out, err = StringIO(), StringIO()
    call_command("load_music", str(path), "--skip-invalid", stdout=out, stderr=err)

    assert err.getvalue().splitlines() == [
        'skipped row 2: tempo: expected a number, got a string ("fast")',
        'skipped row 5: popularity: expected an integer, got a string ("abc")',
    ]
    assert "2 new" in out.getvalue() and "2 invalid rows skipped" in out.getvalue()
    song = Song.objects.get(spotify_id=csv_line(0).split(",")[0])
    assert sorted(song.genres.values_list("name", flat=True)) == ["dance", "pop"], "the valid rows' only"
    assert (song.title, song.popularity) == ("First valid row", 60)


def test_valid_rows_of_one_track_that_disagree_take_the_first_valid_rows_values(tmp_path):
    """Only the genres (joined) and the popularity (the highest) come from every valid row;
    a later row's other values are ignored, not reported."""
    path = write_csv(
        tmp_path / "tracks.csv",
        [
            csv_line(0, track_name="", track_genre="jazz"),
            csv_line(0, track_name="First", artists="A", tempo=100, popularity=40, track_genre="Pop"),
            csv_line(0, track_name="Second", artists="B", tempo=130, popularity=90, track_genre="pop;rock"),
        ],
    )
    read = read_song_file(path, skip_invalid=True)
    assert [(row.row, [str(problem) for problem in row.problems]) for row in read.skipped] == [
        ("2", ['column "title", row 2: missing value'])
    ]
    songs = read.songs
    assert (songs.titles, songs.names["artists"], songs.features["tempo"][0]) == (["First"], [("A",)], 100.0)
    assert songs.features["popularity"] == [90]
    assert songs.names["genres"] == [("Pop", "rock")], "joined by normalised name, first spelling"


def test_rows_without_a_track_id_are_each_a_problem_of_their_own_line(tmp_path):
    lines = [csv_line(0, track_id=""), csv_line(1), csv_line(2, track_id="")]
    path = write_csv(tmp_path / "tracks.csv", lines)
    with pytest.raises(SongFileError) as caught:
        read_song_file(path)
    assert caught.value.total == 2
    assert [str(problem) for problem in caught.value.problems] == [
        'column "id", row 2: missing value',
        'column "id", row 4: missing value',
    ]
    read = read_song_file(path, skip_invalid=True)
    assert [row.row for row in read.skipped] == ["2", "4"]
    assert read.songs.titles == ["Song number 1"]


def test_a_repeated_row_giving_its_track_too_many_genres_is_a_problem_of_its_line(tmp_path):
    lines = [csv_line(0, track_genre=f"genre {n}") for n in range(MAX_NAMES + 1)]
    path = write_csv(tmp_path / "tracks.csv", [*lines, csv_line(1)])
    with pytest.raises(SongFileError) as caught:
        read_song_file(path)
    assert [str(problem) for problem in caught.value.problems] == [
        f'column "genres", row {MAX_NAMES + 2}: gives track {csv_line(0).split(",")[0]!r} {MAX_NAMES + 1}'
        f" genres with its earlier rows (from row 2), more than {MAX_NAMES}"
    ]
    songs = read_song_file(path, skip_invalid=True).songs
    assert [len(names) for names in songs.names["genres"]] == [MAX_NAMES, 1]


def test_csv_problems_name_column_and_line(tmp_path):
    path = write_csv(tmp_path / "tracks.csv", [csv_line(0), csv_line(1, tempo="fast", explicit="maybe")])
    with pytest.raises(SongFileError) as caught:
        read_song_file(path)
    assert [str(problem) for problem in caught.value.problems] == [
        'column "tempo", row 3: expected a number, got a string ("fast")',
        'column "explicit", row 3: expected true or false, got a string ("maybe")',
    ]


def test_a_row_is_named_by_the_line_it_starts_on_when_a_field_spans_lines(tmp_path):
    spanning = csv_line(0, key="99").replace("Song number 0", '"L1\nL2\nL3"')
    path = write_csv(tmp_path / "tracks.csv", [spanning, "", csv_line(1, tempo="fast")])
    with pytest.raises(SongFileError) as caught:
        read_song_file(path)
    assert [str(problem) for problem in caught.value.problems] == [
        'column "key", row 2: 99 is out of range (must be >= -1 and <= 11)',
        'column "tempo", row 6: expected a number, got a string ("fast")',
    ]


def test_csv_numbers_are_plain_numbers(tmp_path):
    """Python reads `1_1` as 11 and `０.5` as 0.5; a file's numbers are neither."""
    lines = [csv_line(0, key="1_1"), csv_line(1, danceability="0_5"), csv_line(2, tempo="１２０")]
    path = write_csv(tmp_path / "tracks.csv", lines)
    with pytest.raises(SongFileError) as caught:
        read_song_file(path)
    assert [str(problem) for problem in caught.value.problems] == [
        'column "key", row 2: expected an integer, got a string ("1_1")',
        'column "danceability", row 3: expected a number, got a string ("0_5")',
        'column "tempo", row 4: expected a number, got a string ("１２０")',
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
