"""Pagination of catalog lists whose count may be an estimate at scale."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from music_discovery.pagination import StandardPagination

COUNT_DESCRIPTION = (
    "Number of matches, exact up to {limit}. Above that, on PostgreSQL, it may be an estimate "
    "(header X-Total-Count-Exact: false): the query planner's, or for a search the title-word "
    "frequencies', so that counting never costs more than the page. Within a genre or an "
    "artist (`genre`, `artist`) it is exact, but for a search by relevance in a set of more "
    "than {limit} songs. Pages past the real end of an estimated total come back "
    "empty. A relevance-ordered search ranks at most 300 matches per way of finding them "
    "(titles, artist names) beyond the titles equal to or starting with the query."
)


class BoundedCountPagination(StandardPagination):
    """The project's page-number pagination over a selector's results (`SongResults`,
    `ArtistResults`): Django's paginator calls their `count()` and slices them; their
    `count_is_exact`, set by counting, becomes the X-Total-Count-Exact header."""

    # Page numbers past this are not announced (an OFFSET must stay within a bigint); they
    # are past the end of any catalog, which the count then says.
    ANNOUNCED_PAGES = 10**9

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        """The page number, announced to results that count with the page (`expect_page`)."""
        number = super().get_page_number(request, paginator)
        expect_page = getattr(paginator.object_list, "expect_page", None)
        if expect_page is not None and str(number).isascii() and str(number).isdigit():
            page = int(number)
            if 1 <= page <= self.ANNOUNCED_PAGES:
                expect_page(start=(page - 1) * paginator.per_page, stop=page * paginator.per_page)
        return number

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        assert self.page is not None  # paginate_queryset ran first
        exact = getattr(self.page.paginator.object_list, "count_is_exact", True)
        response["X-Total-Count-Exact"] = "true" if exact else "false"
        return response

    def get_paginated_response_schema(self, schema):
        from catalog.selectors.songs import EXACT_COUNT_LIMIT

        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count"]["description"] = COUNT_DESCRIPTION.format(limit=EXACT_COUNT_LIMIT)
        return schema
