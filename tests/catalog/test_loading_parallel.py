"""Large columnar files are decoded by two processes: the results and the problems reported
must be exactly those of the one-process path. The size threshold is lowered so that small
test files take the two-process path."""

from __future__ import annotations

import json
import math
import os

import pytest

from catalog.loading import SongFileError, parse_song_json, songfile
from tests.catalog.test_loading_files import columnar, song_row

pytestmark = pytest.mark.skipif(
    "fork" not in __import__("multiprocessing").get_all_start_methods(), reason="needs fork"
)


def _outcome(data: bytes):
    try:
        return parse_song_json(data)
    except SongFileError as exc:
        return ("error", exc.total, exc.report())


@pytest.fixture
def both_ways(monkeypatch):
    """Parses `document` on the one-process path, then on the two-process one (checking that
    the child was started, unless `forks=False`), and returns both outcomes."""
    started: list[object] = []
    start = songfile._ChildDecode.start.__func__

    def recording_start(cls, raw_columns):
        child = start(cls, raw_columns)
        started.append(child)
        return child

    monkeypatch.setattr(songfile._ChildDecode, "start", classmethod(recording_start))

    def run(document, *, forks: bool = True) -> tuple[object, object]:
        data = json.dumps(document, allow_nan=True).encode() if not isinstance(document, bytes) else document
        monkeypatch.setattr(songfile, "PARALLEL_DECODE_MIN_BYTES", len(data) + 1)
        serial = _outcome(data)
        assert not started
        monkeypatch.setattr(songfile, "PARALLEL_DECODE_MIN_BYTES", 0)
        parallel = _outcome(data)
        assert bool(started and started[-1] is not None) == forks
        started.clear()
        return serial, parallel

    return run


def _rows(count: int = 50, **overrides_by_row) -> list[dict]:
    return [song_row(i, **overrides_by_row.get(f"row{i}", {})) for i in range(count)]


def test_valid_file_gives_the_same_songs(both_ways):
    rows = [song_row(i, title=f"Título {i}", instrumentalness=i / 700, tempo=100 + i) for i in range(200)]
    serial, parallel = both_ways(columnar(rows))
    assert isinstance(parallel, songfile.SongColumns)
    assert parallel == serial
    assert list(parallel.rows()) == list(serial.rows())
    assert {name: values.typecode for name, values in parallel.features.items()} == {
        name: values.typecode for name, values in serial.features.items()
    }


def test_row_keys_other_than_0_to_n_minus_1(both_ways):
    document = columnar(_rows(20))
    for name, column in document.items():
        document[name] = {str(int(key) * 3 + 5): value for key, value in column.items()}
    serial, parallel = both_ways(document)
    assert isinstance(parallel, songfile.SongColumns)
    assert parallel == serial


def test_non_numeric_row_keys(both_ways):
    document = columnar(_rows(20))
    for name, column in document.items():
        document[name] = {f"row-{key}": value for key, value in column.items()}
    serial, parallel = both_ways(document)
    assert isinstance(parallel, songfile.SongColumns)
    assert parallel == serial


BAD_VALUES = [
    ("num_segments", -5),
    ("num_sections", 2**31),
    ("num_bars", "12"),
    ("time_signature", 4.0),
    ("duration_ms", 0),
    ("tempo", None),
    ("valence", 7.0),
    ("liveness", [0.1]),
    ("instrumentalness", True),
    ("danceability", 1.5),
    ("key", 12),
    ("title", "   "),
    ("id", ""),
    ("num_segments", 10**30),
]


@pytest.mark.parametrize(("column", "value"), BAD_VALUES)
def test_bad_values_are_reported_alike(both_ways, column, value):
    serial, parallel = both_ways(columnar(_rows(30, row7={column: value})))
    assert serial[0] == "error"
    assert parallel == serial


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_nan_in_a_column_of_either_process(both_ways, value):
    # Not JSON for msgspec: the whole file goes to the standard library's decoder.
    for column in ("loudness", "num_segments", "tempo"):
        serial, parallel = both_ways(columnar(_rows(10, row3={column: value})), forks=False)
        assert serial[0] == "error"
        assert parallel == serial


def test_many_problems_in_both_halves_keep_their_order_and_count(both_ways):
    rows = [song_row(i, danceability=2.0, num_bars=-1, title="" if i % 3 else f"t{i}") for i in range(40)]
    rows[5]["id"] = rows[1]["id"]
    serial, parallel = both_ways(columnar(rows))
    assert serial[0] == "error"
    assert serial[1] > songfile.MAX_REPORTED_PROBLEMS
    assert parallel == serial


def test_shape_problems_in_child_columns(both_ways):
    document = columnar(_rows(10))
    del document["num_sections"]
    del document["valence"]["9"]
    document["tempo"] = {str(i) if i != 4 else "40": 120.0 for i in range(10)}
    document["num_bars"] = [1, 2, 3]
    serial, parallel = both_ways(document)
    assert serial[0] == "error"
    assert parallel == serial


def test_only_child_columns_present(both_ways):
    document = {name: column for name, column in columnar(_rows(10)).items() if name.startswith("num_")}
    serial, parallel = both_ways(document)
    assert serial[0] == "error"
    assert parallel == serial


def test_a_failing_child_leaves_the_work_to_the_parent(both_ways, monkeypatch):
    def dying_child(*args):
        os._exit(1)

    monkeypatch.setattr(songfile, "_decode_in_child", dying_child)
    serial, parallel = both_ways(columnar(_rows(30)))
    assert isinstance(parallel, songfile.SongColumns)
    assert parallel == serial
    serial, parallel = both_ways(columnar(_rows(30, row2={"num_bars": -3})))
    assert serial[0] == "error"
    assert parallel == serial


def _daemonic(monkeypatch):
    # multiprocessing lets a daemonic process start no child.
    class Daemon:
        daemon = True

    monkeypatch.setattr(songfile.multiprocessing, "current_process", Daemon)


def _without_fork(monkeypatch):
    def no_fork(method=None):
        raise ValueError("cannot find context for 'fork'")

    monkeypatch.setattr(songfile.multiprocessing, "get_context", no_fork)


@pytest.mark.parametrize("unforkable", [_daemonic, _without_fork], ids=["daemonic-process", "no-fork"])
def test_where_no_child_can_start_the_file_is_decoded_in_one_process(monkeypatch, unforkable):
    unforkable(monkeypatch)
    data = json.dumps(columnar(_rows(10))).encode()
    monkeypatch.setattr(songfile, "PARALLEL_DECODE_MIN_BYTES", len(data) + 1)
    expected = parse_song_json(data)
    monkeypatch.setattr(songfile, "PARALLEL_DECODE_MIN_BYTES", 0)
    assert songfile._ChildDecode.start(songfile._decode_top(data)) is None
    assert parse_song_json(data) == expected
