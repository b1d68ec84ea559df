"""Content negotiation: DRF's, with `?format=` naming no renderer of the view a 406."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    """An unknown `?format=` is refused like an Accept header that names no type the view
    renders (406). DRF answers it with a 404 before authentication, so `/api/users/me/?format=x`
    read as a route that does not exist."""

    def filter_renderers(self, renderers: Any, format: str) -> Any:
        try:
            return super().filter_renderers(renderers, format)
        except Http404:
            known = ", ".join(sorted({renderer.format for renderer in renderers}))
            raise NotAcceptable(f"Unknown format {format!r}: this endpoint gives {known}.") from None
