"""Loading what the real catalog carries: artists, genres, album, popularity, explicit,
speechiness; --skip-invalid; repeated JSON keys. The Spotify tracks CSV format:
test_loading_csv.py."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.loading import SongFileError, parse_song_file, read_song_file
from catalog.models import Artist, Genre, Song, SongArtist
from tests.catalog.builders import columnar, csv_line, song_row, upsert, write_csv, write_json

pytestmark = pytest.mark.django_db


def credits(spotify_id: str) -> list[str]:
    return list(
        SongArtist.objects.filter(song__spotify_id=spotify_id)
        .order_by("position")
        .values_list("artist__name", flat=True)
    )


def genres(spotify_id: str) -> list[str]:
    return sorted(Song.objects.get(spotify_id=spotify_id).genres.values_list("name", flat=True))


def test_artists_and_genres_are_created_once_by_normalised_name():
    upsert(
        [
            song_row(0, artists=["Ed Sheeran", "Beyoncé"], genres=["Pop", "acoustic"]),
            song_row(1, artists="ed  SHEERAN;Taylor Swift", genres="pop"),
        ]
    )
    assert credits(song_row(0)["id"]) == ["Ed Sheeran", "Beyoncé"]
    assert credits(song_row(1)["id"]) == ["Ed Sheeran", "Taylor Swift"]
    assert Artist.objects.count() == 3
    assert sorted(Genre.objects.values_list("name", flat=True)) == ["acoustic", "pop"]
    assert genres(song_row(0)["id"]) == ["acoustic", "pop"]


def test_changed_credits_or_genres_update_the_song_and_unchanged_ones_do_not():
    upsert([song_row(0, artists=["A", "B"], genres=["pop"]), song_row(1, artists=["A"])])
    before = Song.objects.get(spotify_id=song_row(1)["id"]).updated_at

    result = upsert([song_row(0, artists=["B", "A"], genres=["rock"]), song_row(1, artists=["a"])])

    assert (result.updated, result.unchanged) == (1, 1)
    assert credits(song_row(0)["id"]) == ["B", "A"], "the order of credits is part of the song"
    assert genres(song_row(0)["id"]) == ["rock"]
    assert Song.objects.get(spotify_id=song_row(1)["id"]).updated_at == before


def test_a_column_the_file_does_not_have_is_left_alone():
    upsert(
        [song_row(0, artists=["A"], genres=["pop"], popularity=70, album="X", explicit=True, speechiness=0.5)]
    )

    result = upsert([song_row(0, title="New title")])

    song = Song.objects.get(spotify_id=song_row(0)["id"])
    assert result.updated == 1
    assert (song.title, song.popularity, song.album, song.explicit, song.speechiness) == (
        "New title",
        70,
        "X",
        True,
        0.5,
    )
    assert credits(song.spotify_id) == ["A"] and genres(song.spotify_id) == ["pop"]


def test_a_new_song_without_the_optional_columns_has_nulls():
    upsert([{key: value for key, value in song_row(0).items() if key != "num_bars"}])
    song = Song.objects.get()
    assert (song.num_bars, song.popularity, song.album, song.explicit, song.speechiness) == (None,) * 5
    assert song.artists.count() == 0


def test_null_in_an_optional_column_is_no_value_and_empty_names_are_no_credit():
    upsert([song_row(0, popularity=None, album="", artists="", genres=[])])
    song = Song.objects.get()
    assert (song.popularity, song.album) == (None, None)
    assert song.artists.count() == 0 and song.genres.count() == 0


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("popularity", 101, "101 is out of range (must be >= 0 and <= 100)"),
        ("explicit", "yes", 'expected true or false, got a string ("yes")'),
        ("speechiness", 1.5, "1.5 is out of range (must be >= 0 and <= 1)"),
        ("artists", [1], "expected a list of names or a string of names separated by ';', got a list"),
        ("artists", ["x" * 501], "is 501 characters long, longer than 500"),
        ("genres", 7, "expected a list of names or a string of names separated by ';', got 7"),
    ],
)
def test_optional_columns_are_validated(column, value, message):
    rows = [song_row(0, **{column: None}), song_row(1, **{column: value})]
    for document in (rows, columnar(rows)):
        with pytest.raises(SongFileError) as caught:
            parse_song_file(json.dumps(document).encode())
        assert caught.value.total == 1
        assert str(caught.value.problems[0]).startswith(f'column "{column}", row 1: ')
        assert message in str(caught.value.problems[0])


# ------------------------------------------------------------------------------
# --skip-invalid
# ------------------------------------------------------------------------------


def test_skip_invalid_loads_the_rest_and_reports_each_skipped_row(tmp_path):
    path = write_csv(
        tmp_path / "tracks.csv",
        [
            csv_line(0),
            csv_line(1, track_name="", duration_ms=0, artists=""),
            csv_line(2),
            csv_line(3, tempo="-1"),
        ],
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("load_music", str(path), stdout=out, stderr=err)
    assert Song.objects.count() == 0, "without the flag an invalid row refuses the file"

    call_command("load_music", str(path), "--skip-invalid", stdout=out, stderr=err)

    assert Song.objects.count() == 2
    assert err.getvalue().splitlines() == [
        "skipped row 3: title: missing value;"
        " duration_ms: 0 is out of range (must be > 0 and <= 2.14748e+09)",
        "skipped row 5: tempo: -1.0 is out of range (must be >= 0 and <= 1000)",
    ]
    assert "2 new" in out.getvalue() and "2 invalid rows skipped" in out.getvalue()


@pytest.mark.parametrize(
    ("layout", "label"),
    [("csv", "3"), ("rows", "1"), ("columnar", "1"), ("not-an-object", "1")],
)
def test_skip_invalid_skips_a_row_that_has_no_number_in_a_required_number_column(tmp_path, layout, label):
    """The columns are typed once the invalid rows are left out (it was a TypeError)."""
    if layout == "csv":
        path = write_csv(tmp_path / "tracks.csv", [csv_line(0), csv_line(1, tempo="fast"), csv_line(2)])
    else:
        rows: list = [song_row(0), song_row(1, tempo="fast"), song_row(2)]
        if layout == "not-an-object":
            rows[1] = 7
        path = write_json(tmp_path / "songs.json", columnar(rows) if layout == "columnar" else rows)

    read = read_song_file(path, skip_invalid=True)

    assert [row.row for row in read.skipped] == [label]
    assert read.songs.titles == ["Song number 0", "Song number 2"]
    assert list(read.songs.features["tempo"]) == [120.5, 120.5]


def test_skip_invalid_does_not_load_a_file_that_is_broken_as_a_whole(tmp_path):
    path = write_json(tmp_path / "songs.json", {"id": {"0": "x"}})
    with pytest.raises(CommandError, match="missing required column"):
        call_command("load_music", str(path), "--skip-invalid", stdout=StringIO(), stderr=StringIO())


# ------------------------------------------------------------------------------
# Malformed JSON the standard library and msgspec would both let through
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{{"id": {{"0": "a"}}, "id": {{"0": "b"}}, {rest}}}', 'column "id": column given more than once'),
        ('{{"id": {{"0": "a", "0": "b"}}, {rest}}}', 'column "id", row 0: row key given more than once'),
        # A value that starts with a colon: the keys are counted one by one.
        ('{{"id": {{"0": ":a", "0": "b"}}, {rest}}}', 'column "id", row 0: row key given more than once'),
    ],
    ids=["column", "row-key", "row-key-beside-a-colon"],
)
def test_repeated_json_keys_are_refused(text, expected):
    rest = json.dumps(columnar([song_row(0)]))[1:-1].split(', "title"', 1)[1]
    document = text.format(rest='"title"' + rest)
    with pytest.raises(SongFileError) as caught:
        parse_song_file(document.encode())
    assert expected in [str(problem) for problem in caught.value.problems]


def test_a_repeated_key_in_a_row_object_is_refused():
    row = json.dumps(song_row(0))[:-1] + ', "title": "again"}'
    with pytest.raises(SongFileError, match='column "title", row 0: given more than once in the row'):
        parse_song_file(f"[{row}]".encode())


@pytest.mark.parametrize("where", ["top", "column", "value"])
def test_json_nested_too_deeply_is_a_clear_error(where):
    deep = "[" * 100_000
    document = {
        "top": deep,
        "column": '{"id": ' + deep + "}",
        "value": '{"id": {"0": ' + deep + "}}",
    }[where]
    with pytest.raises(SongFileError, match="not valid JSON"):
        parse_song_file(document.encode())


@pytest.mark.postgres
def test_a_load_leaves_credits_and_genres_with_planner_statistics():
    """Without them a page of twenty songs reads every credit in the catalog to attach theirs."""
    from django.db import connection

    upsert(
        [
            song_row(1, artists=["Solo Artist"], genres=["pop"]),
            song_row(2, artists=["Duo", "Guest"], genres=["rock"]),
        ]
    )

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class"
            " WHERE relname IN ('catalog_songartist', 'catalog_song_genres')"
        )
        analyzed = dict(cursor.fetchall())
    assert analyzed == {"catalog_songartist": 3, "catalog_song_genres": 2}


@pytest.mark.parametrize("keys", ["numbers", "words"])
def test_rows_repeating_a_names_cell_get_its_names_and_share_them(tmp_path, keys):
    """A catalog repeats its genres and artists across songs: each distinct cell is decoded
    once and its names are shared by the rows that repeat it (a 1M-song file's memory), while
    every row still gets exactly its own names."""
    cells = [["Pop", "rock"], "Ed Sheeran; Beyoncé", ["Pop", "rock"], "Ed Sheeran; Beyoncé", ["Jazz"], []]
    rows = [song_row(i, artists=cell, genres=cell) for i, cell in enumerate(cells)]
    document = columnar(rows)
    if keys == "words":
        document = {
            name: {f"row{key}": value for key, value in column.items()} for name, column in document.items()
        }

    songs = read_song_file(write_json(tmp_path / "songs.json", document)).songs

    expected = [("Pop", "rock"), ("Ed Sheeran", "Beyoncé")] * 2 + [("Jazz",), ()]
    assert songs.names["artists"] == expected
    assert songs.names["genres"] == expected
    for column in ("artists", "genres"):
        first, _, again, *_ = songs.names[column]
        assert all(a is b for a, b in zip(first, again, strict=True))
