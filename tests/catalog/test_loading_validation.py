"""Validating song files: each problem named by its column and row, every one counted and the
first twenty reported; the column rules mirror the model's constraints. Pure code, no database."""

from __future__ import annotations

import math

import pytest
from django.core.exceptions import ValidationError

from catalog.loading import COLUMNS, MAX_REPORTED_PROBLEMS, SongFileError, parse_song_json
from catalog.models import AUDIO_FEATURE_FIELDS, Song
from tests.catalog.builders import columnar, only_problem, parse, problems_of, song_row

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
        # Within 1,000 characters, beyond what the title's indexes hold in bytes.
        ("title", "\u4e00" * 600, "is 1800 bytes long in UTF-8, longer than 1600"),
        ("title", "\U0001f3b5" * 401, "is 1604 bytes long in UTF-8, longer than 1600"),
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


@pytest.mark.parametrize(("key", "column"), [("7", "energy"), ("x", "energy"), ("x", "title")])
def test_column_keys_that_do_not_line_up(key, column):
    """Named by the first key that differs, also where one key is no integer (the column's
    keys then decode as text, the id column's as integers)."""
    document = columnar([song_row(0), song_row(1), song_row(2)])
    document[column] = {"0": document[column]["0"], "1": document[column]["1"], key: document[column]["2"]}
    assert only_problem(document) == (
        f'column "{column}", row {key}: row keys do not line up with column "id": key {key} where it has 2'
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


def test_a_title_of_the_most_bytes_the_indexes_hold_is_valid():
    assert list(parse(columnar([song_row(0, title="\U0001f3b5" * 400)])).titles) == ["\U0001f3b5" * 400]


def test_a_genre_too_long_once_normalised_is_refused():
    """Genres are stored as their normalised name: `ß` is `ss`, so 60 of them are 120 letters."""
    problem = only_problem(columnar([song_row(0, genres=["\u00df" * 60])]))

    assert problem.startswith('column "genres", row 0: name a string ("\u00df')
    assert problem.endswith("is longer than 100 characters once normalised")


def test_a_float_column_with_an_integer_too_large_for_a_float_is_refused_by_row():
    document = (
        '{"id": {"0": "a", "1": "b"}, "title": {"0": "t", "1": "u"}, "tempo": {"0": 1.5, "1": 1'
        + "0" * 400
        + "}}"
    )
    error = None
    try:
        parse_song_json(document)
    except SongFileError as refused:
        error = refused
    assert error is not None
    assert any(str(problem).startswith('column "tempo", row 1: ') for problem in error.problems), (
        error.report()
    )


def test_the_song_model_bounds_a_title_in_bytes_as_the_loader_does():
    """The admin's song form validates through the model: the same bound as a file's title."""
    title = Song._meta.get_field("title")

    title.run_validators("\U0001f3b5" * 400)
    with pytest.raises(ValidationError, match="at most 1600 bytes in UTF-8 \\(it has 1604\\)"):
        title.run_validators("\U0001f3b5" * 401)
