from typing import Any

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from music_discovery.fields import ascii_digits


class StandardPagination(PageNumberPagination):
    """`?page=` and `?page_size=` (default 20); a larger page_size is capped at 100, not
    refused, but one that is not a positive whole number (empty included) is a 400 naming
    it; a page that is not one in ASCII digits (empty included) is a 404, as a page past the
    end is."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not ascii_digits(value) or int(value) < 1:
            raise ValidationError({self.page_size_query_param: ["A positive whole number is required."]})
        return min(int(value), self.max_page_size)

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        # The number as page_size takes it, ASCII digits: DRF reads an empty ?page= as the
        # first page, and Django's paginator hands the rest to int(), which reads ` 2`, `+2`
        # and other scripts' digits (`２`) as page 2. DRF's "last" is kept.
        value = request.query_params.get(self.page_query_param)
        if value is not None and value not in self.last_page_strings and not ascii_digits(value):
            raise NotFound(
                self.invalid_page_message.format(
                    page_number=value, message="That page number is not an integer"
                )
            )
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                # No maximum: a larger value is capped, not refused, so it is a valid one.
                parameter["schema"] = {"type": "integer", "minimum": 1, "default": self.page_size}
                parameter["description"] = (
                    f"Number of results to return per page: default {self.page_size}, at most "
                    f"{self.max_page_size} (a larger value is capped at {self.max_page_size}, not "
                    "refused)."
                )
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {
                    "oneOf": [
                        {"type": "integer", "minimum": 1},
                        {"type": "string", "enum": list(self.last_page_strings)},
                    ]
                }
                parameter["description"] = (
                    "A page number within the paginated result set (ASCII digits), or `last` for "
                    "the last page."
                )
        return parameters
