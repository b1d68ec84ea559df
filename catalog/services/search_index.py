"""Derived search structures that follow the songs table.

On PostgreSQL the only derived structure is `catalog_searchword` (distinct title words and
how often each occurs), kept exact by statement-level triggers on `catalog_song`
(migration 0003): every insert, update of a title, delete or truncate, one by one or in
bulk, maintains it in the same transaction. The trigram indexes are maintained by
PostgreSQL itself. SQLite has nothing derived: it searches the titles directly.
"""

from __future__ import annotations

from django.db import connections, transaction

WORD_SPLIT = "[^[:alnum:]]+"

_REBUILD_SQL = [
    "DELETE FROM catalog_searchword",
    f"""
    INSERT INTO catalog_searchword (word, ndoc)
    SELECT w, count(*)
    FROM catalog_song s, regexp_split_to_table(lower(s.title), '{WORD_SPLIT}') AS w
    WHERE w <> ''
    GROUP BY w
    """,
]


def search_index_refresh(*, rebuild: bool = False, using: str = "default") -> None:
    """Bring derived search structures up to date after a bulk change of song titles.

    Bulk loads call it inside their transaction, after their writes. The triggers have
    already kept the word list exact, so by default this only refreshes the planner's
    statistics of the word list and the songs table, which a load of many rows makes stale
    (a stale estimate can turn an index scan into a sequential one). `rebuild=True`
    recomputes the word list from the titles, for a database whose triggers were disabled
    (e.g. restored with `session_replication_role = replica`).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if rebuild:
            for sql in _REBUILD_SQL:
                cursor.execute(sql)
        cursor.execute("ANALYZE catalog_searchword")
        cursor.execute("ANALYZE catalog_song")
