from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """`?page=` and `?page_size=` (default 20); a larger page_size is capped at 100, not refused."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
