"""Reading song files: both layouts into the same typed columns, names cells, the fast and the
slow decoder alike, and the content hash. Pure code, no database."""

from __future__ import annotations

import json
from array import array

import pytest

from catalog.loading import SongFileError, read_song_file, songs_from_rows
from tests.catalog.builders import columnar, only_problem, parse, problems_of, song_row

# ------------------------------------------------------------------------------
# Valid files
# ------------------------------------------------------------------------------


def test_columnar_file_is_read_into_typed_columns():
    rows = [song_row(0), song_row(1, title="Blank Space", key=-1, instrumentalness=2.94e-05)]
    songs = parse(columnar(rows))

    assert len(songs) == 2
    assert songs.spotify_ids == [rows[0]["id"], rows[1]["id"]]
    assert songs.titles == ["Song number 0", "Blank Space"]
    assert songs.features["key"] == array("q", [0, -1])
    assert songs.features["instrumentalness"] == array("d", [0.0, 2.94e-05])
    first = next(songs.rows())
    assert first == (rows[0]["id"], "Song number 0", 0.5, 0.75, 0, -6.25, 0, 0.125, 0.0, 0.1, 0.5, 120.5)[
        :12
    ] + (200_000, 4, 100, 8, 800)


def test_list_of_rows_gives_the_same_songs_as_columnar():
    rows = [song_row(i) for i in range(5)]
    from_rows = parse(rows)
    from_columns = parse(columnar(rows))
    assert list(from_rows.rows()) == list(from_columns.rows())


def test_extra_columns_and_keys_are_ignored():
    rows = [song_row(0, genre="pop"), song_row(1)]
    document = columnar(rows)
    document["mood"] = {"0": "high", "1": None}
    assert len(parse(document)) == 2
    assert len(parse(rows)) == 2


def test_integers_are_accepted_in_float_columns():
    songs = parse(columnar([song_row(0, danceability=1, instrumentalness=0), song_row(1)]))
    assert songs.features["danceability"] == array("d", [1.0, 0.5])


def test_row_keys_need_not_be_numbers_if_they_line_up():
    document = {name: {"a": v, "b": v} for name, v in song_row(0).items()}
    document["id"] = {"a": "x" * 22, "b": "y" * 22}
    assert parse(document).spotify_ids == ["x" * 22, "y" * 22]


def test_empty_file_has_no_songs():
    assert len(parse([])) == 0
    assert len(parse(columnar([]))) == 0


def test_non_ascii_titles_survive(tmp_path):
    rows = [song_row(0, title="Corazón 東京 😀"), song_row(1, title="Любовь")]
    path = tmp_path / "songs.json"
    path.write_text(json.dumps(columnar(rows), ensure_ascii=False), encoding="utf-8")
    assert read_song_file(path).songs.titles == ["Corazón 東京 😀", "Любовь"]


def test_a_repeated_names_cell_gives_every_row_its_names():
    # Validation works out each distinct cell once: the rows that repeat one, in a columnar
    # file (one decoded object) or as `;` strings, must each still get their names.
    cells = [
        ["Ed Sheeran", "ed  sheeran", "Taylor Swift"],
        ["Adele"],
        ["Sia"],
        "Ed Sheeran; Adele",
        "Sia;Adele",
    ]
    rows = [song_row(i, artists=cells[i % 5]) for i in range(10)]

    songs = parse(columnar(rows))

    expected = [
        ("Ed Sheeran", "Taylor Swift"),
        ("Adele",),
        ("Sia",),
        ("Ed Sheeran", "Adele"),
        ("Sia", "Adele"),
    ]
    assert songs.names["artists"] == expected * 2


def test_a_repeated_bad_names_cell_is_reported_on_every_row():
    bad = ["Adele", 7]
    rows = [song_row(i, artists=bad if i in (1, 3) else ["Adele", "Sia"]) for i in range(5)]
    rows[4]["artists"] = "Adele;" + "x" * 2000

    error = problems_of(columnar(rows))

    assert [(p.column, p.row) for p in error.problems] == [
        ("artists", "1"),
        ("artists", "3"),
        ("artists", "4"),
    ]
    assert error.problems[0].message == error.problems[1].message


@pytest.mark.parametrize("blank", ["", "  "], ids=repr)
def test_a_blank_name_in_a_list_is_refused_not_dropped(blank):
    """A list names each of its entries: a blank one is a broken file, which would otherwise
    take the song's credits away. In a `;` string an empty part is only a doubled separator."""
    message = only_problem(columnar([song_row(0, artists=["Sia"]), song_row(1, artists=["Adele", blank])]))
    assert message == 'column "artists", row 1: name 2 of 2 is empty'
    assert parse(columnar([song_row(0, artists="Adele;;Sia;")])).names["artists"] == [("Adele", "Sia")]


def test_songs_from_rows_validates_python_objects():
    assert len(songs_from_rows([song_row(0), song_row(1)])) == 2
    with pytest.raises(SongFileError, match='column "mode", row 1'):
        songs_from_rows([song_row(0), song_row(1, mode=3)])


# ------------------------------------------------------------------------------
# The fast and the slow decoder
# ------------------------------------------------------------------------------


def test_fast_and_slow_decoders_agree(monkeypatch):
    # msgspec reads a valid columnar file; the standard library's decoder reads what msgspec
    # refuses. Both must read the same songs identically.
    from catalog.loading import jsonfile

    rows = [
        song_row(
            i,
            title=f"Título {i}",
            instrumentalness=i / 7,
            artists=["A", "B"],
            popularity=i,
            explicit=i % 2 == 0,
        )
        for i in range(5)
    ]
    # Values that start with a colon: a quote then a colon, as where a key closes.
    rows.append(song_row(5, title=":Wumpscut: live", artists=[":Wumpscut:"], popularity=5, explicit=False))
    assert jsonfile._columnar_fast(json.dumps(columnar(rows)).encode()) is not None
    fast = parse(columnar(rows))
    monkeypatch.setattr(jsonfile, "_columnar_fast", lambda data: None)
    slow = parse(columnar(rows))
    assert list(slow.rows()) == list(fast.rows())
    assert slow.names == fast.names
    assert slow.content_hash() == fast.content_hash()


# ------------------------------------------------------------------------------
# Content hash
# ------------------------------------------------------------------------------


def test_the_content_hash_is_that_of_the_songs_whatever_the_layout():
    rows = [song_row(i) for i in range(3)]
    columnar_hash = parse(columnar(rows)).content_hash()
    assert parse(rows).content_hash() == columnar_hash
    assert parse(columnar(rows)).content_hash() == columnar_hash
    assert len(columnar_hash) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Song number 1 "},
        {"id": "0000000000000000000009"},
        {"danceability": 0.5000001},
        {"key": 2},
        {"duration_ms": 200_002},
    ],
    ids=lambda change: next(iter(change)),
)
def test_any_changed_value_changes_the_content_hash(change):
    rows = [song_row(i) for i in range(3)]
    changed = [*rows[:1], song_row(1, **change), *rows[2:]]
    assert parse(changed).content_hash() != parse(rows).content_hash()


def test_the_content_hash_follows_the_order_and_the_boundaries_of_values():
    rows = [song_row(i) for i in range(3)]
    assert parse(rows[::-1]).content_hash() != parse(rows).content_hash()
    # Text moved from one title to the next is a different file.
    split = [song_row(0, title="ab"), song_row(1, title="c")]
    assert (
        parse(split).content_hash() != parse([song_row(0, title="a"), song_row(1, title="bc")]).content_hash()
    )
