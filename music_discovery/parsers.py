"""The JSON parser of every API endpoint: DRF's, with a bound on how deeply a body may nest
and no key given twice in an object.

Python's decoder recurses once per level: a body nested about a thousand levels deep
exhausts the interpreter's stack (a RecursionError, which DRF would let through as a 500),
and one just under that limit parses, only to make every later walk of the data costly.
No request of this API nests more than a few levels, so anything deeper than
MAX_JSON_DEPTH is refused as a parse error (400) before a view sees it.

A key given twice in one object (`{"song": 1, "score": 4, "song": 2}`) is refused as a
parse error naming it: Python's decoder keeps the last value, so the body would say one
thing and the API do another, and the song loader refuses such a file already.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

# Containers inside containers; `[[1]]` nests two levels deep.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep."


def json_depth_exceeds(data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether decoded JSON nests more than `limit` containers deep. Iterative, so that it
    cannot itself run out of stack, and it stops at the first container past the limit.
    Decoded JSON holds dicts and lists only: testing for those rather than for any Mapping
    (an abstract class, whose check costs several times more) makes the walk cheaper than
    the duplicate-key check it pays for (bench/README.md, "A key given twice")."""
    if not isinstance(data, dict | list):
        return False
    stack: list[tuple[dict | list, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class DuplicateKeyError(ValueError):
    """An object of the body gives `key` twice."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The decoder's `object_pairs_hook`: the object as a dict, or DuplicateKeyError naming the
    first key given twice. The dict is built whole first, and the pairs looked through only
    when it came out shorter: a body without duplicates pays one length check an object."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return obj


def duplicate_key_message(key: str) -> str:
    return f"JSON parse error - the key {json.dumps(key)} is given more than once in an object."


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested deeper than MAX_JSON_DEPTH, or with a key given twice
    in an object, is a 400 parse error."""

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        # DRF's own parse, with the hook that refuses a repeated key (it takes no other).
        # `get_encoding` refuses the charsets that would decompress a body past its size
        # limit; the type stubs do not know it yet.
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        parse_constant = json.strict_constant if self.strict else None
        text: Any = codecs.getreader(encoding)(stream)  # a text stream, as json.load reads it
        try:
            data = json.load(text, parse_constant=parse_constant, object_pairs_hook=unique_keys)
        except DuplicateKeyError as error:
            raise ParseError(duplicate_key_message(error.key)) from None
        except RecursionError as error:
            raise ParseError(TOO_DEEP) from error
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        if json_depth_exceeds(data):
            raise ParseError(TOO_DEEP)
        return data
