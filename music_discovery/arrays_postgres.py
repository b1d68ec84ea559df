"""The PostgreSQL path of `music_discovery.arrays.numeric_array`: each column of the query
aggregated into one array on the server and sent in PostgreSQL's binary array format
(`array_send`), which NumPy decodes at once: no Python object per value, one row on the wire.

The binary array format: 32-bit dimension count, null flag and element type; per dimension a
32-bit length and lower bound; then per element a 32-bit length (-1 for a null) and the value,
all big-endian. Every value is cast to an 8-byte type (a null float to NaN), so each element
has the same layout.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import psycopg
from django.db import connections
from django.db.models import QuerySet

_HEADER = 20  # one dimension


def numeric_array(rows: QuerySet, columns: int, *, floats: bool) -> npt.NDArray:
    sql, params = rows.query.sql_with_params()
    names = [f"c{i}" for i in range(columns)]
    value = "coalesce(q.{}::float8, 'NaN')" if floats else "q.{}::int8"
    # One aggregation: every column's array holds the rows in the same order. The server
    # holds the arrays in memory, ~8 bytes a value (a million songs' features: ~100 MB); one
    # array is limited to 1 GB, some 80 million rows.
    aggregates = ", ".join(f"array_send(array_agg({value.format(name)}))" for name in names)
    statement = f"SELECT {aggregates} FROM ({sql}) AS q ({', '.join(names)})"
    connection = connections[rows.db]
    connection.ensure_connection()
    # A cursor binding on the server, which can ask for binary results (Django's binds on the
    # client): the arrays come as their bytes, not as hexadecimal text.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(statement, params, binary=True)
        arrays = cursor.fetchone()
    assert arrays is not None  # an aggregate without GROUP BY gives one row
    element = np.dtype([("length", ">i4"), ("value", ">f8" if floats else ">i8")])
    if arrays[0] is None:  # no rows: array_agg gives null
        return np.empty((0, columns), np.float64 if floats else np.int64)
    length = int.from_bytes(arrays[0][12:16], "big")
    out = np.empty((length, columns), np.float64 if floats else np.int64)
    for i, data in enumerate(arrays):
        # A null element has no value: an integer column holding one is shorter (a float
        # column's nulls are NaN by then).
        if len(data) != _HEADER + length * element.itemsize:
            raise ValueError(f"column {i} holds a null where a number was expected")
        out[:, i] = np.frombuffer(data, element, length, offset=_HEADER)["value"]
    return out
