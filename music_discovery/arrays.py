"""The numbers a query returns, as one NumPy array, for code that works on whole tables (the
recommendation model's catalog and signals).

Portable: the rows are streamed and NumPy converts them. PostgreSQL has a path of its own
(`arrays_postgres`: each column as one array in PostgreSQL's binary format, decoded by NumPy
without a Python object per value), which buys what bench/README.md, "Similar songs", says.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from django.db import connections
from django.db.models import QuerySet

CHUNK = 20_000


def numeric_array(rows: QuerySet, columns: int, *, floats: bool) -> npt.NDArray:
    """`rows`, a `values_list` query of `columns` numeric columns, as a (rows, columns) array
    in no particular order (a caller that needs one sorts the array): float64 with `floats`
    (a null read as NaN), else int64 (precondition: no null)."""
    if connections[rows.db].vendor == "postgresql":
        from music_discovery import arrays_postgres

        return arrays_postgres.numeric_array(rows, columns, floats=floats)
    # NumPy reads a null (None) as NaN in a float array.
    return np.array(list(rows.iterator(CHUNK)), np.float64 if floats else np.int64).reshape(-1, columns)
