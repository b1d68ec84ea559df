"""The catalog's arrays kept on disk, so that the processes of one machine read a million songs
once rather than each of them (bench/README.md, "Similar songs", the first request of a
process).

A process that reads the catalog's arrays from the database (a model build, or similar songs
in a process that holds no model) saves them here with the time they were read; another
process takes them instead of reading the database again, under the rule of
`recommendations.model` for arrays a process holds itself: only while no newer model has
been built since they were read. A snapshot is written to a temporary file and renamed over
the last one, so a reader never meets half of one; one file per database.

Pickle, as Django's file cache uses: the file is written by this project only, into its own
directory (`CATALOG_SNAPSHOT_DIR`, which no one else may write). A file that cannot be read
(another version of the arrays, a disk error) is no snapshot: the caller reads the database.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from recommendations.engine import CatalogArrays
from recommendations.selectors import CatalogIndex

logger = logging.getLogger(__name__)

# Changed whenever what a snapshot holds changes shape: an older file is then ignored.
FORMAT = 3


@dataclass(frozen=True, eq=False)
class ReadCatalog:
    """The catalog's arrays, when they were read from the database (`time.time()`) and the
    newest load they hold (`catalog_load_version()` before the read): what a process holds and
    what a snapshot keeps."""

    catalog: CatalogArrays
    index: CatalogIndex
    read_at: float
    catalog_version: int


def _path() -> Path:
    """The snapshot of the default database's catalog."""
    database = connection.settings_dict
    where = "|".join(str(database.get(key) or "") for key in ("ENGINE", "HOST", "PORT", "NAME"))
    name = hashlib.sha256(where.encode()).hexdigest()[:16]
    return Path(settings.CATALOG_SNAPSHOT_DIR) / f"catalog-{name}.pickle"


def snapshot_save(read: ReadCatalog) -> None:
    """Keep these arrays for the other processes; a failure is logged, never raised."""
    # The arrays the catalog was made from; the rest is derived from them when it is loaded.
    catalog = read.catalog
    given = {field.name: getattr(catalog, field.name) for field in dataclasses.fields(catalog) if field.init}
    path = _path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".catalog-", delete=False) as file:
            try:
                pickle.dump(
                    (FORMAT, read.read_at, read.catalog_version, given, read.index),
                    file,
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
            except BaseException:
                os.unlink(file.name)
                raise
        os.replace(file.name, path)
    except OSError as error:
        logger.warning("catalog snapshot not saved to %s: %s", path, error)


def snapshot_load() -> ReadCatalog | None:
    """The last arrays a process saved for this database, or None."""
    path = _path()
    try:
        with path.open("rb") as file:
            kept, *held = pickle.load(file)
        if kept != FORMAT:
            return None
        read_at, version, given, index = held
        return ReadCatalog(
            catalog=CatalogArrays(**given), index=index, read_at=float(read_at), catalog_version=int(version)
        )
    except FileNotFoundError:
        return None
    except Exception as error:  # any unreadable file is no snapshot
        logger.warning("catalog snapshot at %s ignored: %s", path, error)
        return None
