"""`music_discovery.arrays.numeric_array`: a query's numbers as one array, the same on every
database (on PostgreSQL decoded from binary COPY)."""

from __future__ import annotations

import numpy as np
import pytest

from catalog.models import Song
from music_discovery.arrays import numeric_array
from tests.factories import SongFactory

pytestmark = pytest.mark.django_db


def test_floats_with_nulls_as_nan_each_row_whole():
    songs = [SongFactory(popularity=70, tempo=120.5), SongFactory(popularity=None, tempo=None), SongFactory()]
    rows = Song.objects.values_list("id", "popularity", "tempo", "loudness")
    table = numeric_array(rows, 4, floats=True)
    assert table.dtype == np.float64 and table.shape == (3, 4)
    table = table[np.argsort(table[:, 0])]
    assert table[:, 0].tolist() == [song.pk for song in songs]
    assert table[0, 1:3].tolist() == [70.0, 120.5]
    assert np.isnan(table[1, 1:3]).all()
    assert table[:, 3].tolist() == [song.loudness for song in songs]


def test_integers_and_a_query_with_quoted_parameters():
    wanted = SongFactory(title="It's 'quoted'; -- not SQL", popularity=42, duration_ms=2**31 - 1)
    SongFactory(title="Other", popularity=7)
    rows = Song.objects.filter(title=wanted.title).values_list("id", "popularity", "duration_ms")
    table = numeric_array(rows, 3, floats=False)
    assert table.dtype == np.int64
    assert table.tolist() == [[wanted.pk, 42, 2**31 - 1]]


def test_no_rows_is_an_empty_table_of_the_columns():
    table = numeric_array(Song.objects.values_list("id", "popularity"), 2, floats=False)
    assert table.shape == (0, 2) and table.dtype == np.int64


@pytest.mark.postgres
def test_a_null_integer_is_refused_not_misread():
    SongFactory(popularity=None)
    with pytest.raises(ValueError, match="null"):
        numeric_array(Song.objects.values_list("id", "popularity"), 2, floats=False)
