"""The JSON parser of every API endpoint: DRF's, with a bound on how deeply a body may nest.

Python's decoder recurses once per level: a body nested about a thousand levels deep
exhausts the interpreter's stack (a RecursionError, which DRF would let through as a 500),
and one just under that limit parses, only to make every later walk of the data costly.
No request of this API nests more than a few levels, so anything deeper than
MAX_JSON_DEPTH is refused as a parse error (400) before a view sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Containers inside containers; `[[1]]` nests two levels deep.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep."


def json_depth_exceeds(data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether decoded JSON nests more than `limit` containers deep. Iterative, so that it
    cannot itself run out of stack, and it stops at the first container past the limit."""
    if not isinstance(data, Mapping | list):
        return False
    stack: list[tuple[Mapping | list, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, Mapping) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, Mapping | list))
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested deeper than MAX_JSON_DEPTH is a 400 parse error."""

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(TOO_DEEP) from error
        if json_depth_exceeds(data):
            raise ParseError(TOO_DEEP)
        return data
