"""What decoding and validating a song file find wrong, and the decoded table they look at."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from catalog.loading.columns import COLUMNS_BY_NAME

MAX_REPORTED_PROBLEMS = 20


class _Missing:
    """A value absent from one row (a row object without the key, an empty CSV cell)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
# Stands for every value of a row that is not an object at all (reported once, as a row).
NOT_A_ROW: Any = object()


@dataclass(frozen=True, slots=True)
class Problem:
    column: str | None
    row: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.column is not None:
            where.append(f'column "{self.column}"')
        if self.row is not None:
            where.append(f"row {self.row}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class SongFileError(ValueError):
    """The file cannot be loaded. `problems` holds the first few (in file order), `total`
    counts them all."""

    def __init__(self, problems: Sequence[Problem], total: int | None = None) -> None:
        self.problems = list(problems)
        self.total = len(self.problems) if total is None else total
        super().__init__(self.report())

    def report(self) -> str:
        noun = "problem" if self.total == 1 else "problems"
        head = f"{self.total} {noun}"
        if self.total > len(self.problems):
            head += f" (the first {len(self.problems)} shown)"
        return "\n".join([head + ":", *(f"  {problem}" for problem in self.problems)])


def file_error(message: str) -> SongFileError:
    return SongFileError([Problem(None, None, message)])


class Problems:
    """Keeps the first problems of each column (enough to know the first ones overall, in
    row order), counts all of them, and remembers which rows had one."""

    def __init__(self) -> None:
        self.kept: list[tuple[int, int, Problem]] = []
        self.per_column: dict[str | None, int] = {}
        self.total = 0
        self.of_file = 0  # problems that are no row's: they refuse the file whatever
        self.rows: dict[int, list[Problem]] = {}

    def add(self, column: str | None, position: int | None, label: str | None, message: str) -> None:
        self.total += 1
        problem = Problem(column, label, message)
        if position is None:
            self.of_file += 1
        else:
            self.rows.setdefault(position, []).append(problem)
        seen = self.per_column.get(column, 0)
        self.per_column[column] = seen + 1
        if seen < MAX_REPORTED_PROBLEMS:
            order = list(COLUMNS_BY_NAME).index(column) if column in COLUMNS_BY_NAME else -1
            self.kept.append((-1 if position is None else position, order, problem))

    def error(self) -> SongFileError:
        self.kept.sort(key=lambda item: item[:2])
        return SongFileError([problem for *_, problem in self.kept[:MAX_REPORTED_PROBLEMS]], self.total)


@dataclass(slots=True)
class RawTable:
    """A decoded file before validation: one sequence of raw values per known column present
    (MISSING where a row lacks it), the row labels used in messages (None: row positions),
    the columns a typed decoder has already checked value by value, and the problems
    decoding found."""

    columns: dict[str, Sequence[Any]]
    labels: Sequence[Any] | None = None
    checked: set[str] = field(default_factory=set)
    problems: Problems = field(default_factory=Problems)
    # How the rows that repeat an id become one song, called once every row is validated
    # (when the file as a whole has no problem): it folds the valid rows of each id into the
    # first of them, may add problems, and returns the positions of the rows that stay, in
    # order (CSV: the tracks dataset lists a track once per genre). None: a repeated id is
    # a problem of its row (JSON).
    merge_repeats: Callable[[RawTable], list[int]] | None = None
    # Columns the file has but decoding could not use (already reported).
    unusable: set[str] = field(default_factory=set)

    def label(self, position: int) -> str:
        return str(position if self.labels is None else self.labels[position])


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({json.dumps(shown, ensure_ascii=False)})"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)
