"""Analytics endpoints: thin views over analytics' services and selectors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import parsers, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.events_in import EVENT_SCHEMA, BatchError, parse_batch
from analytics.services import activity_record
from music_discovery.caller import caller_id
from music_discovery.parsers import JSONParser

RECORDED = inline_serializer(
    "ActivityRecorded",
    {
        "stored": serializers.IntegerField(help_text="Events stored by this request."),
        "duplicates": serializers.IntegerField(
            help_text="Events whose event_id the caller had already sent (in this batch or "
            "before): not stored again."
        ),
    },
)
BATCH_ERROR = inline_serializer(
    "ActivityBatchError",
    {
        "detail": serializers.CharField(),
        "index": serializers.IntegerField(required=False, help_text="Position of the bad event in the list."),
        "field": serializers.CharField(
            required=False, allow_null=True, help_text="The bad field, when one is to blame."
        ),
    },
)


class BatchJSONParser(parsers.BaseParser):
    """The API's JSON parser (its depth bound included), reading the body itself. Not a
    JSONParser: DRF reads a JSONParser's body through `request.body`, which holds it to
    DATA_UPLOAD_MAX_MEMORY_SIZE, and a batch may be up to ANALYTICS_ACTIVITY_MAX_BYTES (the
    path's limit, which `middleware.BodySizeLimitMiddleware` checks before anything reads it)."""

    media_type = "application/json"
    bounds_json_depth = True

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        return JSONParser().parse(stream, media_type, parser_context)


class ActivityCreateView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [BatchJSONParser]

    @extend_schema(
        operation_id="analytics_activity_create",
        summary="Record listening events",
        description=(
            "One event, or a list of 1 to 500, validated as a whole: if any event is invalid "
            "(unknown action or song, a time more than 5 minutes ahead, over 30 days ago or before the "
            "first month ANALYTICS_RETENTION_MONTHS keeps, an "
            "oversized context, an unknown field, a string holding a NUL character or an unpaired "
            "surrogate, a number that is not finite such as 1e400), the answer is 400 naming its "
            "index and field and nothing is stored. Events are in the database before the 201. "
            f"The body may be up to {settings.ANALYTICS_ACTIVITY_MAX_BYTES:,} bytes "
            "(`ANALYTICS_ACTIVITY_MAX_BYTES`): room for 500 events at the bounds of every field "
            "with every character outside printable ASCII escaped (`\\uXXXX`, as Python's "
            "`json.dumps` writes by default)."
        ),
        request={"application/json": EVENT_SCHEMA},
        responses={
            201: RECORDED,
            400: OpenApiResponse(BATCH_ERROR, description="A bad event; nothing stored."),
            401: OpenApiResponse(description="No valid token."),
            413: OpenApiResponse(
                description=f"A body over {settings.ANALYTICS_ACTIVITY_MAX_BYTES:,} bytes "
                "(`ANALYTICS_ACTIVITY_MAX_BYTES`), refused before it is read; nothing stored."
            ),
        },
        examples=[
            OpenApiExample(
                "A batch",
                request_only=True,
                value=[
                    {"song": 1, "action": "play", "occurred_at": "2026-12-01T08:00:00Z", "event_id": "e-1"},
                    {
                        "spotify_id": "4iV5W9uYEdYUVa79Axb7Rh",
                        "action": "like",
                        "context": {"device": "phone"},
                    },
                ],
            )
        ],
    )
    def post(self, request: Request) -> Response:
        try:
            events = parse_batch(request.data)
        except BatchError as error:
            return Response(error.as_json(), status=status.HTTP_400_BAD_REQUEST)
        recorded = activity_record(user_id=caller_id(request), events=events)
        return Response(
            {"stored": recorded.stored, "duplicates": recorded.duplicates}, status=status.HTTP_201_CREATED
        )
