"""Serializer fields that take a JSON value as it is sent, for every app's request bodies:
DRF's own coerce ("5" and 5.0 as 5, "no" as false, a time without a timezone as local)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.INT)
class StrictIntegerField(serializers.IntegerField):
    """An integer given as a JSON number: "5", 3.5, 3.0 and true are refused, where DRF's
    IntegerField would coerce some of them."""

    default_error_messages = {"invalid": _("A whole number (a JSON integer) is required.")}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A string as sent: a number is refused ("Not a valid string."), not turned into its text
    (DRF's CharField makes `1e999` "inf")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def ascii_digits(text: str) -> bool:
    """Whether a query parameter is a whole number written in ASCII digits only: Python's
    int() also takes `1_0`, ` 5`, `+5` and other scripts' digits (`１`)."""
    return text.isascii() and text.isdigit()


@extend_schema_field(OpenApiTypes.INT)
class QueryIntegerField(serializers.IntegerField):
    """A query parameter's whole number in ASCII digits: `1.0`, ` 5`, `１` and `1_0`, which
    DRF's IntegerField reads as numbers, are refused."""

    default_error_messages = {"invalid": _("A whole number in digits is required.")}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not ascii_digits(data):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanField(serializers.BooleanField):
    """true or false as JSON: "no", "yes", 0 and 1 are refused."""

    default_error_messages = {"invalid": _("Must be true or false (a JSON boolean).")}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class AwareDateTimeField(serializers.DateTimeField):
    """A date and time with its timezone (RFC 3339: `2026-01-01T00:00:00Z`): a date alone or
    a time without an offset is refused, since which moment it names depends on the server."""

    default_error_messages = {
        "naive": _("A date and time with a timezone is required (RFC 3339, e.g. 2026-01-01T00:00:00Z).")
    }

    def to_internal_value(self, value: Any) -> dt.datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            # A date alone ("2026-01-01") parses as a time without an offset too.
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


class KnownFieldsMixin:
    """A serializer that refuses a body naming a field it does not have (400 naming it),
    where DRF ignores it: for a body whose misspelt field would silently take its default
    (`"exclude": false` left `excluded` true and did the opposite of what was asked)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            fields = self.fields  # type: ignore[attr-defined]
            unknown = sorted(str(key) for key in data if key not in fields)
            if unknown:
                raise serializers.ValidationError(dict.fromkeys(unknown, ["Unknown field."]))
        return super().to_internal_value(data)  # type: ignore[misc]
