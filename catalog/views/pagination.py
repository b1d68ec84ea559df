"""Pagination of catalog lists whose count may be an estimate at scale."""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, Page, Paginator
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from music_discovery.pagination import StandardPagination

COUNT_DESCRIPTION = (
    "Number of matches, exact up to {limit}. Above that, on PostgreSQL, it may be an estimate "
    "(header X-Total-Count-Exact: false), the query planner's, so that counting never costs "
    "more than the page; within a genre or an artist (`genre`, `artist`) it is exact. An "
    "estimate may fall short of the real count or exceed it: pages past it are served while "
    "they have songs (the count then at least the songs up to the page's last), a page links "
    "to the next only when a song follows it, and a page past the end is a 404. "
    "A search by relevance (`search` without `ordering`) counts the songs its pages list, "
    "never more. X-Total-Count-Exact: true, they are every match. False, more songs match than "
    "it ranks: past the titles equal to or starting with the query, each way of finding "
    "matches (titles, artist names) ranks at most 300 songs (every match when reading 600 "
    "finds them all, no more than 600, in a search expected to have no more), and while the "
    "pages asked for hold only titles equal to or starting with the query, the count is of "
    "the songs up to the one after the page. A search with an `ordering` lists every match."
)

# `page=last` of a list whose count is an estimate, when the page the estimate names is past
# the end or not the last (`EstimatedCountPaginator.page`).
LAST_NEEDS_EXACT_COUNT = (
    "page=last needs an exact count, and this list's count is an estimate "
    "(X-Total-Count-Exact: false) that does not name its last page: follow the `next` links "
    "to its end instead."
)


# The highest page number served (an OFFSET must stay within a bigint); past it, pages are
# past the end of any catalog.
MAX_PAGE = 10**9


class EstimatedCountPaginator(Paginator):
    """Django's paginator over results whose count may be an estimate (`count_is_exact`
    False once counted). An estimate can fall short of the real count (the planner's guess
    of a trigram match, bench/README.md: "A genre's count with its page"), or exceed it, so
    then a page is never cut at the estimate, a page past it is served while it has rows, a
    page has a next one when a row follows it (read with the page), and a page with no rows
    past the first is a 404. With an exact count it is Django's paginator.

    Results that count with their page (`expect_page`) are told which page before they
    count.

    `last_asked`: the page is `?page=last`, which DRF turned into the estimate's last page
    number: that page is served only when it is the last (it has rows, and no row follows
    them), else a 404 says that `last` needs an exact count; where the count is exact it is
    the last page as ever. Counting exactly to find it would cost more than any page (the
    reason for the estimate), and a search by relevance counts only the pages it has read."""

    last_asked = False

    def _announce(self, number: Any) -> None:
        expect_page = getattr(self.object_list, "expect_page", None)
        if expect_page is not None and str(number).isascii() and str(number).isdigit():
            page = int(number)
            if 1 <= page <= MAX_PAGE:
                expect_page(start=(page - 1) * self.per_page, stop=page * self.per_page)

    def _estimated(self) -> bool:
        """Whether the count is an estimate (counted first: counting sets `count_is_exact`)."""
        return self.count is not None and not getattr(self.object_list, "count_is_exact", True)

    def validate_number(self, number: Any) -> int:
        try:
            return super().validate_number(number)
        except EmptyPage:
            # Past the estimate, or below 1: super() has parsed the number already.
            if not self._estimated() or not 1 <= int(number) <= MAX_PAGE:
                raise
            return int(number)

    def page(self, number: Any) -> Page:
        self._announce(number)
        if not self._estimated():
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        # One row past the page says whether there is a next one: a full page can be the last.
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        more, rows = len(rows) > self.per_page, rows[: self.per_page]
        if self.last_asked and (more or (not rows and number > 1)):
            # A DRF error, not EmptyPage, which DRF answers with "Invalid page." alone.
            raise NotFound(LAST_NEEDS_EXACT_COUNT)
        if not rows and number > 1:
            # Past the end, whatever the estimate said: as past an exact count.
            raise EmptyPage(self.error_messages["no_results"])
        # What is known to exist (what `has_next`, and so the `next` link, reads):
        # with a next page, at least the songs up to this page's last, and the pages of the
        # estimate and the next one; without, the songs up to this page's last and no page
        # past it.
        if more:
            self.count = max(self.count, bottom + len(rows))
            self.num_pages = max(self.num_pages, number + 1)
        else:
            self.count = bottom + len(rows)
            self.num_pages = number
        return Page(rows, number, self)


class BoundedCountPagination(StandardPagination):
    """The project's page-number pagination over a selector's results (`SongResults`,
    `ArtistResults`): Django's paginator calls their `count()` and slices them; their
    `count_is_exact`, set by counting, becomes the X-Total-Count-Exact header."""

    django_paginator_class = EstimatedCountPaginator

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        """DRF's, telling the paginator when the page is `last` (`last_asked`): DRF turns it
        into the count's last page number, which of an estimate may be past the end or short
        of it."""
        paginator.last_asked = request.query_params.get(self.page_query_param) in self.last_page_strings
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["description"] += (
                    " `last` needs an exact count: where the count is an estimate "
                    "(X-Total-Count-Exact: false), it is the last page only when the estimate "
                    "names it, else a 404 saying so; follow `next` to the end instead."
                )
        return parameters

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        assert self.page is not None  # paginate_queryset ran first
        exact = getattr(self.page.paginator.object_list, "count_is_exact", True)
        response["X-Total-Count-Exact"] = "true" if exact else "false"
        return response

    def get_paginated_response_schema(self, schema):
        from catalog.selectors.counts import EXACT_COUNT_LIMIT

        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count"]["description"] = COUNT_DESCRIPTION.format(limit=EXACT_COUNT_LIMIT)
        return schema
