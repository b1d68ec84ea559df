"""What PostgreSQL can store of the JSON a client sends, checked before anything is written.

Its text and jsonb hold no NUL character and only valid UTF-8, which a lone surrogate
(a `\\ud800` escape, which Python's JSON decoder lets through) is not; and JSON has no
infinity, though a number such as 1e400 decodes to one. Any of them would fail the write, or
a query naming it, with a 500 after the input was taken for valid: refused here, it is a 400
naming the field.
"""

from __future__ import annotations

import math
from typing import Any


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored or queried as PostgreSQL text, or None."""
    if "\x00" in text:
        return "Holds a NUL character (\\u0000)."
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return (
                "Holds text that is not UTF-8 (an unpaired surrogate, \\ud800-\\udfff, or an invalid byte)."
            )
    return None


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
