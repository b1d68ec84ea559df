"""OPTIONS for a plain APIView's input: DRF's metadata describes what a POST or PUT takes
only through the view's `get_serializer`, which a GenericAPIView has and an APIView lacks, so
an APIView answered OPTIONS without its `actions`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer


class DescribedInputMixin:
    """An APIView whose request body `input_serializer` validates; OPTIONS then lists its
    writable fields as for a generic view, to a caller who may use the method: with
    `path_caller`, the check the view makes of the path's `user_id` (`owner_only`, which
    raises a 404 for anyone else), someone else's path describes no input."""

    input_serializer: type[BaseSerializer]
    path_caller: Callable[[Request, int], int] | None = None

    def get_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer:
        return self.input_serializer(*args, **kwargs)

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)  # type: ignore[misc]
        # DRF's metadata checks a method on a copy of the OPTIONS request carrying that
        # method, and describes it only if this passes; the request itself is not refused.
        describing = request.method != "OPTIONS" and request._request.method == "OPTIONS"
        if describing and self.path_caller is not None:
            self.path_caller(request, self.kwargs["user_id"])  # type: ignore[attr-defined]
