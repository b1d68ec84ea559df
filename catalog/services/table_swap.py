"""Filling an empty PostgreSQL table through a copy of it that is swapped in.

Inside one transaction, PostgreSQL builds a table's indexes one after the other, on one
core (a GIN index cannot be built by parallel workers before PostgreSQL 18). A copy of
the table that is committed before its indexes are built can have them built by several
connections at once. `TableSwap` does that for a table that is empty:

1. `TableSwap.begin()` creates the copy (`<table>_swap`: the same columns, defaults,
   identity, checks, storage and comments, no indexes) on a connection of its own and
   commits it; the caller fills it on connections of its own, which commit as they go
   (`reserve_ids()` hands out identity values for the rows, so that they need no
   `nextval()` each).
2. `build_indexes()` builds the table's indexes, those of its primary key and unique
   constraints included, on the copy, on two connections at once.
3. `swap_in()`, on the caller's connection, inside the caller's transaction (which holds
   a lock on the table that keeps other writers out from the start): drops the foreign
   keys that reference the table, drops the table, renames the copy, its indexes and its
   identity sequence to the table's names, turns the constraint indexes into the
   constraints, and recreates the triggers and the foreign keys.

Until the caller commits, other sessions see the empty table; after, the filled one. A
crash at any step leaves the table as it was; the copy left behind, never referenced, is
dropped by the next `begin()` (or at once by `discard()`).

Only a table that nothing else is attached to qualifies (`possible()`): no views, rules,
policies, grants, inheritance, publications, serial defaults, exclusion constraints,
extended statistics, storage options or per-column statistics targets, all of which a swap
would have to carry over.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

logger = logging.getLogger(__name__)

# Each of these, on the table, would have to be carried over by the swap.
_SWAP_POSSIBLE = """
SELECT c.relkind = 'r' AND NOT c.relispartition AND c.reloptions IS NULL
   AND (c.relacl IS NULL OR c.relacl = acldefault('r', c.relowner))
   AND NOT c.relhasrules AND NOT c.relrowsecurity AND c.relreplident = 'd'
   AND c.relnamespace = current_schema()::regnamespace
   AND pg_has_role(c.relowner, 'USAGE')
   AND NOT EXISTS (SELECT FROM pg_inherits WHERE inhparent = c.oid OR inhrelid = c.oid)
   AND NOT EXISTS (
       SELECT FROM pg_depend d
       WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid AND d.classid = 'pg_rewrite'::regclass
   )
   AND NOT EXISTS (SELECT FROM pg_policy WHERE polrelid = c.oid)
   AND NOT EXISTS (SELECT FROM pg_publication_rel WHERE prrelid = c.oid)
   AND NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = c.oid AND contype = 'x')
   AND NOT EXISTS (SELECT FROM pg_statistic_ext WHERE stxrelid = c.oid)
   AND NOT EXISTS (
       SELECT FROM pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal AND tgenabled NOT IN ('O', 'D')
   )
   AND NOT EXISTS (
       SELECT FROM pg_attrdef WHERE adrelid = c.oid AND pg_get_expr(adbin, adrelid) LIKE 'nextval(%%'
   )
   AND NOT EXISTS (
       SELECT FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND attstattarget <> -1
   )
FROM pg_class c WHERE c.oid = %s::regclass
"""


def own_connection(alias: str) -> BaseDatabaseWrapper:
    """A new connection to the database of `alias`, outside its pool if it has one: a load
    holds several connections at once, which a small pool would make it wait for."""
    wrapper = connections.create_connection(alias)
    options = {name: value for name, value in wrapper.settings_dict["OPTIONS"].items() if name != "pool"}
    wrapper.settings_dict = {**wrapper.settings_dict, "OPTIONS": options}
    return wrapper


@contextmanager
def own_cursor(alias: str) -> Iterator[CursorWrapper]:
    """A cursor on a connection of its own (`own_connection`), closed with it."""
    own = own_connection(alias)
    try:
        with own.cursor() as cursor:
            yield cursor
    finally:
        own.close()


@dataclass
class _Index:
    name: str  # quoted, as pg_get_indexdef writes it
    definition: str
    constraint: str | None  # the primary key or unique constraint it backs, if any
    constraint_kind: str  # "PRIMARY KEY" or "UNIQUE" for a constraint's index
    constraint_attributes: str  # DEFERRABLE / INITIALLY DEFERRED


@dataclass
class TableSwap:
    alias: str
    table: str  # unquoted
    new_table: str  # unquoted
    connection: BaseDatabaseWrapper  # the connection that created the copy and hands out its ids
    indexes: list[_Index] = field(default_factory=list)
    references: list[tuple[str, str, str]] = field(default_factory=list)  # table, name, definition
    own_foreign_keys: list[tuple[str, str]] = field(default_factory=list)  # name, definition
    triggers: list[tuple[str, str, bool]] = field(default_factory=list)  # name, definition, enabled
    # column, its sequence (qualified), the sequence's own name
    identity: list[tuple[str, str, str]] = field(default_factory=list)
    comment: str | None = None

    @staticmethod
    def possible(cursor, table: str) -> bool:
        cursor.execute(_SWAP_POSSIBLE, [table])
        row = cursor.fetchone()
        return bool(row and row[0])

    @classmethod
    def begin(cls, cursor, table: str, alias: str) -> TableSwap:
        """Read the table's definition through `cursor` (the caller's, which must hold a
        lock on the table that keeps writers out) and create its copy, committed."""
        swap = cls(
            alias=alias,
            table=table,
            new_table=f"{table}_swap",
            connection=own_connection(alias),
        )
        try:
            swap._read_definition(cursor)
            swap._create_copy()
        except BaseException:
            swap.close()
            raise
        return swap

    def _create_copy(self) -> None:
        quote = self._quote
        with self.connection.cursor() as own:
            own.execute(f"DROP TABLE IF EXISTS {quote(self.new_table)}")
            # Not vacuumed or analyzed by autovacuum while it is built: its lock would
            # stall the index builds until it gave way.
            own.execute(
                f"CREATE TABLE {quote(self.new_table)} (LIKE {quote(self.table)}"
                " INCLUDING ALL EXCLUDING INDEXES) WITH (autovacuum_enabled = false)"
            )
            for column, sequence, _name in self.identity:
                # Ids go on from where the table's own sequence was.
                own.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), last_value, is_called) FROM " + sequence,
                    [quote(self.new_table), column],
                )

    def reserve_ids(self, column: str, count: int) -> int:
        """The first of `count` consecutive values of the identity `column`, which the
        copy's sequence will not hand out again."""
        with self.connection.cursor() as own:
            own.execute("SELECT pg_get_serial_sequence(%s, %s)", [self._quote(self.new_table), column])
            (sequence,) = own.fetchone()
            own.execute("SELECT nextval(%s)", [sequence])
            (first,) = own.fetchone()
            own.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
        return first

    def _quote(self, name: str) -> str:
        return self.connection.ops.quote_name(name)

    def _read_definition(self, cursor) -> None:
        cursor.execute(
            "SELECT quote_ident(x.relname), pg_get_indexdef(i.indexrelid), c.conname, c.contype,"
            " c.condeferrable, c.condeferred"
            " FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid"
            " LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid"
            "  AND c.contype IN ('p', 'u')"
            " WHERE i.indrelid = %s::regclass ORDER BY x.relname",
            [self.table],
        )
        for name, definition, constraint, kind, deferrable, deferred in cursor.fetchall():
            attributes = (" DEFERRABLE" if deferrable else "") + (" INITIALLY DEFERRED" if deferred else "")
            self.indexes.append(
                _Index(
                    name,
                    definition,
                    constraint,
                    {"p": "PRIMARY KEY", "u": "UNIQUE"}.get(kind, ""),
                    attributes,
                )
            )
        cursor.execute(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE confrelid = %s::regclass AND conrelid <> confrelid AND contype = 'f'"
            " ORDER BY 1, 2",
            [self.table],
        )
        self.references = cursor.fetchall()
        cursor.execute(
            "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [self.table],
        )
        self.own_foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT quote_ident(tgname), pg_get_triggerdef(oid), tgenabled = 'O' FROM pg_trigger"
            " WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY tgname",
            [self.table],
        )
        self.triggers = cursor.fetchall()
        cursor.execute(
            "SELECT a.attname, sequence, (SELECT relname FROM pg_class WHERE oid = sequence::regclass)"
            " FROM pg_attribute a, pg_get_serial_sequence(%s, a.attname) AS sequence"
            " WHERE a.attrelid = %s::regclass AND a.attidentity <> '' AND NOT a.attisdropped",
            [self._quote(self.table), self.table],
        )
        self.identity = cursor.fetchall()
        cursor.execute("SELECT obj_description(%s::regclass, 'pg_class')", [self.table])
        (self.comment,) = cursor.fetchone()

    def _temporary_name(self, position: int) -> str:
        return self._quote(f"{self.new_table}_{position}")

    def build_indexes(self) -> None:
        """Build the table's indexes on the copy, on two connections at once, the costliest
        (GIN and GiST) first. Raises the first failure, after both connections stop."""
        # As pg_get_indexdef names them (both tables are in the current schema).
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT quote_ident(current_schema()) || '.' || quote_ident(%s),"
                " quote_ident(current_schema()) || '.' || quote_ident(%s)",
                [self.table, self.new_table],
            )
            qualified_table, qualified_new = cursor.fetchone()
        statements = []
        for position, index in enumerate(self.indexes):
            head = f" INDEX {index.name} ON {qualified_table} "
            if head not in index.definition:
                raise RuntimeError(f"unexpected index definition: {index.definition}")
            statement = index.definition.replace(
                head, f" INDEX {self._temporary_name(position)} ON {qualified_new} ", 1
            )
            statements.append(statement)
        statements.sort(
            key=lambda statement: " USING gin " not in statement and " USING gist " not in statement
        )
        pending = deque(statements)

        def build() -> None:
            try:
                with own_cursor(self.alias) as cursor:
                    # The two connections already keep both cores busy: parallel workers
                    # for a B-tree would only take time from the other build.
                    cursor.execute("SET max_parallel_maintenance_workers = 0")
                    while True:
                        try:
                            statement = pending.popleft()
                        except IndexError:
                            return
                        started = time.perf_counter()
                        cursor.execute(statement)
                        logger.debug("%.3f s: %s", time.perf_counter() - started, statement)
            except BaseException:
                pending.clear()  # the other connection stops after its current build
                raise

        with ThreadPoolExecutor(max_workers=2) as pool:
            builders = [pool.submit(build) for _ in range(2)]
            for builder in builders:
                builder.result()

    def swap_in(self, cursor) -> None:
        """Put the filled, indexed copy in the table's place, through the caller's `cursor`
        and inside its transaction."""
        quote = self._quote
        table = quote(self.table)
        for referencing, name, _definition in self.references:
            cursor.execute(f"ALTER TABLE {referencing} DROP CONSTRAINT {name}")
        cursor.execute(f"DROP TABLE {table}")
        cursor.execute(f"ALTER TABLE {quote(self.new_table)} RENAME TO {table}")
        cursor.execute(f"ALTER TABLE {table} RESET (autovacuum_enabled)")
        for column, _sequence, name in self.identity:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            (new_sequence,) = cursor.fetchone()
            cursor.execute(f"ALTER SEQUENCE {new_sequence} RENAME TO {quote(name)}")
        for position, index in enumerate(self.indexes):
            if index.constraint is None:
                cursor.execute(f"ALTER INDEX {self._temporary_name(position)} RENAME TO {index.name}")
            else:
                # Takes the index over, renamed to the constraint's name.
                cursor.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT {quote(index.constraint)} {index.constraint_kind}"
                    f" USING INDEX {self._temporary_name(position)}{index.constraint_attributes}"
                )
        for name, definition, enabled in self.triggers:
            cursor.execute(definition)
            if not enabled:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
        if self.comment is not None:
            cursor.execute(f"COMMENT ON TABLE {table} IS %s", [self.comment])
        for name, definition in self.own_foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        for referencing, name, definition in self.references:
            cursor.execute(f"ALTER TABLE {referencing} ADD CONSTRAINT {name} {definition}")
        self.close()

    def discard(self) -> None:
        """Drop the copy (committed), after a failure."""
        try:
            with self.connection.cursor() as own:
                own.execute(f"DROP TABLE IF EXISTS {self._quote(self.new_table)}")
        except Exception:
            logger.exception("could not drop %s; the next load will", self.new_table)
        finally:
            self.close()

    def close(self) -> None:
        self.connection.close()
