"""Reading and validating song files: pure code, no database."""

from __future__ import annotations

import json
import math
from array import array

import pytest

from catalog.loading import (
    COLUMNS,
    MAX_REPORTED_PROBLEMS,
    SongFileError,
    parse_song_json,
    read_song_file,
    songs_from_rows,
)
from catalog.models import AUDIO_FEATURE_FIELDS, Song
from tests.catalog.builders import columnar, song_row


def parse(document) -> object:
    return parse_song_json(json.dumps(document, allow_nan=True))


def problems_of(document) -> SongFileError:
    with pytest.raises(SongFileError) as caught:
        parse(document)
    return caught.value


def only_problem(document) -> str:
    error = problems_of(document)
    assert error.total == 1, error.report()
    return str(error.problems[0])


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
# Malformed files: each names the column and the row
# ------------------------------------------------------------------------------


def test_missing_required_column():
    document = columnar([song_row(0)])
    del document["tempo"]
    assert only_problem(document) == 'column "tempo": missing required column'


def test_missing_value_in_one_row_of_a_row_list():
    row = song_row(1)
    del row["energy"]
    assert only_problem([song_row(0), row]) == 'column "energy", row 1: missing value'


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("danceability", "0.5", 'expected a number, got a string ("0.5")'),
        ("danceability", True, "expected a number, got true"),
        ("danceability", None, "expected a number, got null"),
        ("danceability", [0.5], "expected a number, got a list"),
        ("danceability", {"v": 0.5}, "expected a number, got an object"),
        ("key", 4.0, "expected an integer, got 4.0"),
        ("mode", 0.5, "expected an integer, got 0.5"),
        ("duration_ms", False, "expected an integer, got false"),
        ("title", 42, "expected a string, got 42"),
        ("id", None, "expected a string, got null"),
    ],
)
@pytest.mark.parametrize("layout", ["columnar", "rows"])
def test_wrong_type(layout, column, value, message):
    rows = [song_row(0), song_row(1), song_row(2, **{column: value})]
    document = columnar(rows) if layout == "columnar" else rows
    assert only_problem(document) == f'column "{column}", row 2: {message}'


@pytest.mark.parametrize(
    "value", [" padded ", "tab\tbed", "new\nline", "zero\u200bwidth", "nb\u00a0sp"], ids=repr
)
def test_an_id_is_one_word(value):
    """A padded id would be a second song beside the real one, and no lookup finds it."""
    message = only_problem(columnar([song_row(0), song_row(1, id=value)]))
    assert message == 'column "id", row 1: contains white space or an invisible character'


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused(value):
    message = only_problem(columnar([song_row(0), song_row(1, loudness=value)]))
    assert message.startswith('column "loudness", row 1: ')
    assert "not a finite number" in message


@pytest.mark.parametrize(
    ("column", "value", "expected_range"),
    [
        ("danceability", 1.5, ">= 0 and <= 1"),
        ("energy", -0.01, ">= 0 and <= 1"),
        ("acousticness", 2, ">= 0 and <= 1"),
        ("instrumentalness", 1.0001, ">= 0 and <= 1"),
        ("liveness", -1, ">= 0 and <= 1"),
        ("valence", 7.0, ">= 0 and <= 1"),
        ("key", 12, ">= -1 and <= 11"),
        ("key", -2, ">= -1 and <= 11"),
        ("mode", 2, ">= 0 and <= 1"),
        ("tempo", -1.0, ">= 0 and <= 1000"),
        ("tempo", 1e100, ">= 0 and <= 1000"),
        ("loudness", -1000.0, ">= -100 and <= 100"),
        ("loudness", 1e308, ">= -100 and <= 100"),
        ("duration_ms", 0, "> 0 and <= 2.14748e+09"),
        ("time_signature", 13, ">= 0 and <= 12"),
        ("num_bars", -1, ">= 0 and <= 2.14748e+09"),
        ("num_sections", 2**31, ">= 0 and <= 2.14748e+09"),
        ("num_segments", -5, ">= 0 and <= 2.14748e+09"),
    ],
)
def test_out_of_range(column, value, expected_range):
    message = only_problem(columnar([song_row(0), song_row(1, **{column: value})]))
    assert message == f'column "{column}", row 1: {value!r} is out of range (must be {expected_range})'


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("title", "", "is empty"),
        ("title", "   ", "is empty"),
        ("title", "x" * 1001, "is 1001 characters long, longer than 1000"),
        ("title", "nul\x00inside", "contains a NUL character"),
        (
            "title",
            "half \ud83d of an emoji",
            "contains an unpaired surrogate (\\ud800-\\udfff), which is not text",
        ),
        ("id", "\udfff", "contains an unpaired surrogate (\\ud800-\\udfff), which is not text"),
        ("id", "", "is empty"),
        ("id", "i" * 65, "is 65 characters long, longer than 64"),
    ],
)
def test_bad_strings(column, value, message):
    assert only_problem(columnar([song_row(0), song_row(1, **{column: value})])) == (
        f'column "{column}", row 1: {message}'
    )


def test_length_mismatch_between_columns():
    document = columnar([song_row(0), song_row(1), song_row(2)])
    del document["valence"]["2"]
    assert only_problem(document) == ('column "valence": has 2 rows but "id" has 3: columns must line up')


def test_column_keys_that_do_not_line_up():
    document = columnar([song_row(0), song_row(1), song_row(2)])
    document["energy"] = {"0": 0.5, "1": 0.5, "7": 0.5}
    assert only_problem(document) == (
        'column "energy", row 7: row keys do not line up with column "id": key 7 where it has 2'
    )


def test_duplicate_id_within_the_file():
    rows = [song_row(0), song_row(1), song_row(2, id=song_row(0)["id"])]
    message = only_problem(columnar(rows))
    assert message == f"column \"id\", row 2: duplicate id '{rows[0]['id']}', first seen at row 0"


def test_bad_json():
    with pytest.raises(SongFileError, match=r"not valid JSON: .*line 1, column"):
        parse_song_json('{"id": {"0": "abc"')


def test_not_utf8():
    with pytest.raises(SongFileError, match="not UTF-8"):
        parse_song_json(b'{"id": {"0": "\xff"}}')


@pytest.mark.parametrize(
    ("document", "got"),
    [(42, "42"), ("songs", 'a string ("songs")'), (None, "null")],
)
def test_top_level_must_be_an_object_or_a_list(document, got):
    assert only_problem(document) == f"expected an object of columns or a list of rows, got {got}"


def test_a_column_must_be_an_object():
    document = columnar([song_row(0)])
    document["title"] = ["Song number 0"]
    assert only_problem(document) == (
        'column "title": expected an object mapping row keys to values, got a list'
    )


def test_a_row_must_be_an_object():
    assert only_problem([song_row(0), "not a row", song_row(2)]) == (
        'row 1: expected an object, got a string ("not a row")'
    )


def test_problems_are_capped_at_twenty_with_the_total_count():
    rows = [song_row(i, danceability=2.0, mode=9) for i in range(30)]
    error = problems_of(columnar(rows))
    assert error.total == 60
    assert len(error.problems) == MAX_REPORTED_PROBLEMS == 20
    # In file order: row by row, and column by column within a row.
    assert [str(p) for p in error.problems[:3]] == [
        'column "danceability", row 0: 2.0 is out of range (must be >= 0 and <= 1)',
        'column "mode", row 0: 9 is out of range (must be >= 0 and <= 1)',
        'column "danceability", row 1: 2.0 is out of range (must be >= 0 and <= 1)',
    ]
    assert error.report().startswith("60 problems (the first 20 shown):\n")


def test_every_problem_of_a_file_is_counted_across_kinds():
    rows = [song_row(0, title=""), song_row(1, key=1.5), song_row(2, id=song_row(0)["id"])]
    document = columnar(rows)
    del document["liveness"]
    error = problems_of(document)
    assert error.total == 4
    assert [str(p) for p in error.problems] == [
        'column "liveness": missing required column',
        'column "title", row 0: is empty',
        'column "key", row 1: expected an integer, got 1.5',
        f"column \"id\", row 2: duplicate id '{rows[0]['id']}', first seen at row 0",
    ]


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
# The rules mirror the model
# ------------------------------------------------------------------------------


def _constraint_bounds() -> dict[str, dict[str, float]]:
    bounds: dict[str, dict[str, float]] = {}
    for constraint in Song._meta.constraints:
        condition = getattr(constraint, "condition", None)
        if condition is None:
            continue
        for lookup, value in condition.children:
            field, operator = lookup.split("__")
            if operator == "in":
                bounds.setdefault(field, {}).update(ge=min(value), le=max(value))
            else:
                bounds.setdefault(field, {})[{"gte": "ge", "lte": "le"}.get(operator, operator)] = value
    return bounds


def test_column_rules_mirror_the_model_constraints():
    bounds = _constraint_bounds()
    for spec in COLUMNS:
        field = Song._meta.get_field(spec.field)
        if spec.kind == "names":
            assert field.many_to_many, spec.name
            continue
        # A song file must give every audio feature; songs from Spotify have none.
        assert field.null == (not spec.required or spec.field in AUDIO_FEATURE_FIELDS), spec.name
        if spec.kind == "str":
            assert spec.max_length == field.max_length
            continue
        if spec.kind == "bool":
            assert field.get_internal_type() == "BooleanField", spec.name
            continue
        expected = bounds.get(spec.field, {})
        low = expected.get("gt", expected.get("ge"))
        assert spec.minimum == low, spec.name
        assert spec.minimum_exclusive == ("gt" in expected), spec.name
        if "le" in expected:
            assert spec.maximum == expected["le"], spec.name
        else:
            assert spec.maximum is None or spec.maximum == 2**31 - 1, spec.name
        assert (spec.kind == "int") == (field.get_internal_type() != "FloatField"), spec.name
    model_fields = {
        f.name
        for f in [*Song._meta.concrete_fields, *Song._meta.many_to_many]
        if f.editable and not f.primary_key and f.name not in {"average_rating", "total_ratings"}
    }
    assert {spec.field for spec in COLUMNS} == model_fields


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
