"""Derived search structures that follow the songs and artists tables.

On PostgreSQL the derived structures are the word lists `catalog_searchword` (distinct
title words and how often each occurs) and `catalog_artistword` (the same for artist
names), kept exact by statement-level triggers on `catalog_song` (migration 0003) and
`catalog_artist` (0007): every insert, update of a title or name, delete or truncate, one
by one or in bulk, maintains them in the same transaction. The trigram indexes are
maintained by PostgreSQL itself. SQLite has nothing derived: it searches the titles and
names directly.
"""

from __future__ import annotations

from django.db import connections, transaction

from catalog.selectors.search_text import WORD_SPLIT

# The trigram (GIN) indexes of search. A bulk write leaves its new entries in a GIN index's
# pending list, which every scan of the index then reads whole: for a freshly written word
# list the planner prefers a sequential scan, and typo correction costs many times more
# (figures: bench/README.md, "Search"). Until a VACUUM merges it, search_index_refresh does.
_TRIGRAM_INDEXES = (
    "catalog_searchword_word_trgm",
    "catalog_artistword_word_trgm",
    "catalog_song_title_trgm",
    "catalog_artist_name_trgm",
)
# (word list, its count column, table, text column)
_WORD_LISTS = [
    ("catalog_searchword", "ndoc", "catalog_song", "title"),
    ("catalog_artistword", "nnames", "catalog_artist", "name"),
]


_ANALYZED = (
    "catalog_searchword",
    "catalog_artistword",
    "catalog_song",
    "catalog_artist",
    "catalog_songartist",
    "catalog_song_genres",
)


def search_index_refresh(*, rebuild: bool = False, using: str = "default") -> None:
    """Bring derived search structures up to date after a bulk change of song titles.

    Bulk loads call it inside their transaction, after their writes. The triggers have
    already kept the word list exact, so by default this only refreshes the planner's
    statistics of the word lists, the songs, artists, credits and genres, which a load of many rows makes
    stale (a stale estimate can turn an index scan into a sequential one), and merges the
    pending entries of the trigram indexes into them. `rebuild=True`
    recomputes both word lists from the titles and artist names, for a database whose
    triggers were disabled (e.g. restored with `session_replication_role = replica`).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if rebuild:
            for words, count, table, column in _WORD_LISTS:
                cursor.execute(f"DELETE FROM {words}")
                cursor.execute(
                    f"INSERT INTO {words} (word, {count})"
                    f" SELECT w, count(*) FROM {table} s, regexp_split_to_table(lower(s.{column}), %s) AS w"
                    " WHERE w <> '' GROUP BY w",
                    [WORD_SPLIT],
                )
        for index in _TRIGRAM_INDEXES:
            cursor.execute(
                "SELECT gin_clean_pending_list(oid) FROM pg_class WHERE relname = %s AND relkind = 'i'",
                [index],
            )
        # The credits and genres too: a song page attaches them by song id, and with no
        # statistics the planner reads all of a million songs' credits to find twenty.
        for table in _ANALYZED:
            cursor.execute(f"ANALYZE {table}")
