"""Pagination of catalog lists whose count may be an estimate at scale."""

from __future__ import annotations

from music_discovery.pagination import StandardPagination

COUNT_DESCRIPTION = (
    "Number of matches, exact up to {limit}. Above that, on PostgreSQL, it may be an estimate "
    "(header X-Total-Count-Exact: false): the query planner's, or for a search the title-word "
    "frequencies' (exact within a genre or artist of at most {limit} songs), so that counting "
    "never costs more than the page. Pages past the real end of an estimated total come back "
    "empty. A relevance-ordered search ranks at most 300 matches per way of finding them "
    "(titles, artist names) beyond the titles equal to or starting with the query."
)


class BoundedCountPagination(StandardPagination):
    """The project's page-number pagination over a selector's results (`SongResults`,
    `ArtistResults`): Django's paginator calls their `count()` and slices them; their
    `count_is_exact`, set by counting, becomes the X-Total-Count-Exact header."""

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
