"""What PostgreSQL can store of the JSON a client sends, checked before anything is written.

Text follows `music_discovery.storable`; and JSON has no infinity, though a number such as
1e400 decodes to one. Any of them would fail the write, or a query naming it, with a 500
after the input was taken for valid: refused here, it is a 400 naming the field.
"""

from __future__ import annotations

import math
from typing import Any

from music_discovery.storable import TextFault, text_fault

_FAULT_WORDS: dict[TextFault, str] = {
    "nul": "Holds a NUL character (\\u0000).",
    "not-utf8": "Holds text that is not UTF-8 (an unpaired surrogate, \\ud800-\\udfff, or an invalid byte).",
}


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored or queried as PostgreSQL text, in an API client's words, or None."""
    fault = text_fault(text)
    return None if fault is None else _FAULT_WORDS[fault]


def json_problem(value: Any) -> str | None:
    """Why decoded JSON `value` cannot be stored as jsonb, or None: a string or object key at
    any depth per `text_problem`, or a number that is not finite. Iterative, so that no
    nesting runs it out of stack."""
    stack = [value]
    while stack:
        item = stack.pop()
        # Decoded JSON holds exact dicts, lists, strings and floats; `type` is the cheap test
        # (this runs over every event of every batch).
        kind = type(item)
        if kind is str:
            # Most strings are ASCII without a NUL: only the others need the whole check.
            if ("\x00" in item or not item.isascii()) and (problem := text_problem(item)) is not None:
                return problem
        elif kind is float:
            if not math.isfinite(item):
                return "Holds a number that is not finite (such as 1e400), which JSON cannot hold."
        elif kind is dict:
            stack.extend(item)
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
    return None
