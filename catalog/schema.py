"""The catalog lists' query parameters in the OpenAPI schema with the bounds their filters
enforce (drf-spectacular reads a filter's type, not its form field's limits), and a text
parameter's refusal of a NUL as a pattern: a value the schema allows is one the server
accepts."""

from __future__ import annotations

from typing import Any

from django import forms

# A text without a NUL character, as an ECMA 262 pattern.
NO_NUL = "^[^\\u0000]*$"
# Bounds of a filter (its form field's arguments) as the schema's keywords.
_KEYWORDS = {"min_value": "minimum", "max_value": "maximum", "max_length": "maxLength"}


def add_filter_bounds(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS entry: each list parameter's minimum, maximum and maxLength."""
    from catalog.filters import ArtistFilter, SongFilter

    for path, filterset in (("/api/songs/", SongFilter), ("/api/artists/", ArtistFilter)):
        operation = result.get("paths", {}).get(path, {}).get("get")
        if operation is None:
            continue
        for parameter in operation.get("parameters", []):
            found = filterset.base_filters.get(parameter["name"])
            if found is None or parameter.get("in") != "query":
                continue
            schema = parameter.setdefault("schema", {})
            for argument, keyword in _KEYWORDS.items():
                if argument in found.extra:
                    schema[keyword] = found.extra[argument]
            if issubclass(found.field_class, forms.CharField):
                # Django's text fields refuse a NUL, the search's included.
                schema["pattern"] = NO_NUL
    return result
