"""What PostgreSQL can store as text, defined once for every app that takes text from outside.

Its text and jsonb hold no NUL character and only valid UTF-8, which a lone surrogate (a
`\\ud800` escape, which Python's JSON decoder lets through) is not. Either fails the write, or
a query naming it, after the input was taken for valid. Each caller words the refusal for its
own readers (an API field, a file's column and row).
"""

from __future__ import annotations

from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

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


def too_many_bytes(text: str, limit: int) -> bool:
    """Whether `text` is over `limit` bytes in UTF-8 (a lone surrogate counted as its 3).
    A character is at most 4 bytes: only a text that long is encoded."""
    return len(text) * 4 > limit and len(text.encode("utf-8", "surrogatepass")) > limit


@deconstructible
class MaxBytesValidator:
    """A text of at most `limit` bytes in UTF-8: what an index on it can hold (PostgreSQL's
    B-tree rows are bounded in bytes, a CharField in characters)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, value: str) -> None:
        if too_many_bytes(value, self.limit):
            size = len(value.encode("utf-8", "surrogatepass"))
            raise ValidationError(
                f"Ensure this value has at most {self.limit} bytes in UTF-8 (it has {size}).",
                code="max_bytes",
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MaxBytesValidator) and other.limit == self.limit
