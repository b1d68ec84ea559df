"""SQL pattern lookups that PostgreSQL's trigram and prefix indexes can serve.

Django's `icontains` compiles to `UPPER(col::text) LIKE UPPER(%s)` on PostgreSQL, an
expression no index on `col` matches. These lookups emit `col ILIKE %s` / `col LIKE %s`
on exactly the expression the index was built on. Patterns must come escaped
(`search_text.escape_like`) with the wildcards the caller wants.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Lookup

# SQLite's LIKE and lower() fold ASCII letters only ("ÉTÉ" is not "été"): ILike compares
# through this function there, Python's lowercasing, registered on every SQLite connection
# (`sqlite_functions_register`).
SQLITE_LOWER = "unicode_lower"


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def sqlite_functions_register(sender: Any, connection: Any, **kwargs: Any) -> None:
    """A `connection_created` receiver: the functions the lookups use on SQLite."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_LOWER, 1, _lower, deterministic=True)


class _PatternLookup(Lookup):
    prepare_rhs = False
    postgres_operator = "LIKE"
    # On SQLite, whether both sides are lowercased first (LIKE itself folds ASCII only).
    sqlite_folds = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        params = [*lhs_params, *rhs_params]
        if connection.vendor == "postgresql":
            return f"{lhs} {self.postgres_operator} {rhs}", params
        if self.sqlite_folds:
            lhs, rhs = f"{SQLITE_LOWER}({lhs})", f"{SQLITE_LOWER}({rhs})"
        # SQLite's LIKE has no default escape.
        return f"{lhs} LIKE {rhs} ESCAPE '\\'", params


class Like(_PatternLookup):
    lookup_name = "like_pattern"


class ILike(_PatternLookup):
    lookup_name = "ilike_pattern"
    postgres_operator = "ILIKE"
    sqlite_folds = True


class EqualsAnyOf(Lookup):
    """`lhs = ANY(ARRAY(subquery))` for an uncorrelated subquery: evaluated once, then
    usable in a bitmap OR with other indexed conditions, unlike `lhs IN (subquery)`."""

    lookup_name = "equals_any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]
        return f"{lhs} IN {rhs}", [*lhs_params, *rhs_params]


_INTEGER_TYPES = ("smallint", "integer", "bigint")


class InList(Lookup):
    """`lhs IN (values)` for a long Python list (ints or strings), as one parameter however
    long: on PostgreSQL `lhs = ANY(%s)` with the list as an array, which spares the client
    quoting and splitting one parameter per value (a batch of 500 events names up to 500
    songs); on SQLite the list as JSON read by `json_each`, because SQLite builds cap a
    statement's parameters (32,766 by default, 999 before 3.32) and a search's matches or an
    import's artists can be more."""

    lookup_name = "in_list"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            # The array of an integer column is cast to that column's type: psycopg types a
            # list of small numbers as integer[], and PostgreSQL hashes a constant array
            # (rather than comparing each row with every element) only when its type is
            # the column's own.
            db_type = self.lhs.output_field.db_type(connection)
            cast = f"::{db_type}[]" if db_type in _INTEGER_TYPES else ""
            return f"{lhs} = ANY(%s{cast})", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        if connection.vendor == "sqlite":
            return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(values)]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]
