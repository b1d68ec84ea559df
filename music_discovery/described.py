"""OPTIONS for a plain APIView's input: DRF's metadata describes what a POST or PUT takes
only through the view's `get_serializer`, which a GenericAPIView has and an APIView lacks, so
an APIView answered OPTIONS without its `actions`."""

from __future__ import annotations

from typing import Any

from rest_framework.serializers import BaseSerializer


class DescribedInputMixin:
    """An APIView whose request body `input_serializer` validates; OPTIONS then lists its
    writable fields as for a generic view."""

    input_serializer: type[BaseSerializer]

    def get_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer:
        return self.input_serializer(*args, **kwargs)
