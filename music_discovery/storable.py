"""What PostgreSQL can store as text, defined once for every app that takes text from outside.

Its text and jsonb hold no NUL character and only valid UTF-8, which a lone surrogate (a
`\\ud800` escape, which Python's JSON decoder lets through) is not. Either fails the write, or
a query naming it, after the input was taken for valid. Each caller words the refusal for its
own readers (an API field, a file's column and row).
"""

from __future__ import annotations

from typing import Literal

TextFault = Literal["nul", "not-utf8"]


def text_fault(text: str) -> TextFault | None:
    """Why `text` cannot be stored or queried as PostgreSQL text, or None when it can."""
    if "\x00" in text:
        return "nul"
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return "not-utf8"
    return None
