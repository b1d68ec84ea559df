"""A user's own data: statistics, export of their events, import of a listening history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import parsers, renderers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import user_serializers as s
from analytics.listens_in import ListensError, parse_listens
from analytics.selectors.export import activity_export_lines
from analytics.selectors.user_stats import user_stats
from analytics.services.exclusions import Selection, activity_exclude
from analytics.services.listens import listens_import
from music_discovery.caller import caller_id, owner_only
from music_discovery.described import DescribedInputMixin
from music_discovery.heartbeat import beat, beating
from users.selectors import user_readable

NDJSON = "application/x-ndjson"


class NDJSONRenderer(renderers.BaseRenderer):
    """Lets a client ask for the export by its type (Accept: application/x-ndjson); the
    lines themselves are streamed by the view, errors still answer in JSON."""

    media_type = NDJSON
    format = "jsonl"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return renderers.JSONRenderer().render(data) + b"\n"


class RawBodyParser(parsers.BaseParser):
    """The body as bytes: the import reads it itself, to name a bad listen's line."""

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        return stream.read()


class RawJSONParser(RawBodyParser):
    """Not a JSONParser: DRF reads a JSONParser's body through `request.body`, which holds
    it to DATA_UPLOAD_MAX_MEMORY_SIZE, and a history may be up to ANALYTICS_IMPORT_MAX_BYTES.
    `parse_listens` decodes it and applies the API's depth bound (MAX_JSON_DEPTH) itself."""

    media_type = "application/json"
    bounds_json_depth = True


class RawNDJSONParser(RawBodyParser):
    media_type = NDJSON


class UserStatsView(APIView):
    # The caller's own statistics: never from a replica that may lag their last events
    # (music_discovery/db_router.py).
    reads_own_writes = True
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="analytics_user_stats",
        summary="A user's listening statistics",
        description=(
            "The owner's statistics (staff may read anyone's): totals by action, top songs, "
            "artists and genres by weighted score, the last 20 events, listening time, streak "
            "and skip rate. Totals and tops come from the rollups and may trail the newest "
            "events by the rollup job's lag. Another user's id, or an unknown one, is a 404."
        ),
        responses={
            200: s.UserStatsSerializer,
            401: OpenApiResponse(description="No valid token."),
            404: OpenApiResponse(description="Another user's id (caller not staff), or no such user."),
        },
    )
    def get(self, request: Request, user_id: int) -> Response:
        if not user_readable(actor=request.user, user_id=user_id):
            raise NotFound()
        return Response(s.UserStatsSerializer(user_stats(user_id=user_id)).data)


class UserExportView(APIView):
    # The caller's own events: read from the primary (music_discovery/db_router.py).
    reads_own_writes = True
    permission_classes = [IsAuthenticated]
    renderer_classes = [renderers.JSONRenderer, NDJSONRenderer]

    @extend_schema(
        operation_id="analytics_user_export",
        summary="Export a user's events (JSON lines)",
        description=(
            "The user's events, oldest first, streamed as JSON lines (one object a line, "
            "as an attachment), those kept out of their taste included (`excluded: true`). Each "
            "line has the fields POST /api/analytics/activity/ takes (`song` and `spotify_id` "
            "both given: keep one to post it again), the event's `id` and `received_at`. "
            "The owner's (staff may export anyone's): another user's id is a 404."
        ),
        # The renderers are only there for Accept: the lines are the same whatever it says.
        parameters=[OpenApiParameter("format", exclude=True)],
        responses={
            (200, NDJSON): OpenApiResponse(s.ExportLineSerializer, description="One such object a line."),
            401: OpenApiResponse(description="No valid token."),
            404: OpenApiResponse(description="Another user's id (caller not staff), or no such user."),
        },
    )
    def get(self, request: Request, user_id: int) -> StreamingHttpResponse:
        if not user_readable(actor=request.user, user_id=user_id):
            raise NotFound()
        # However long the download takes, while it keeps going (music_discovery.heartbeat).
        lines = beating(activity_export_lines(user_id=user_id))
        response = StreamingHttpResponse(lines, content_type=NDJSON)
        response["Content-Disposition"] = f'attachment; filename="activity-{user_id}.jsonl"'
        return response


LISTENS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["listened_at", "track_metadata"],
        "properties": {
            "listened_at": {"type": "integer", "description": "Unix seconds."},
            "track_metadata": {
                "type": "object",
                "required": ["artist_name", "track_name"],
                "properties": {"artist_name": {"type": "string"}, "track_name": {"type": "string"}},
            },
        },
    },
}


def _body(request: Request) -> bytes:
    data = request.data
    if isinstance(data, bytes):
        return data
    upload = request.FILES.get("file")
    if upload is None:
        raise ListensError("Send a ListenBrainz listens export as the body or as the multipart `file`.")
    return upload.read()


class ListensImportView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [RawJSONParser, RawNDJSONParser, parsers.MultiPartParser]

    @extend_schema(
        operation_id="analytics_import_listens",
        summary="Import a ListenBrainz listening history",
        description=(
            "A ListenBrainz listens export (a JSON array, or JSON lines), as the body or as the "
            "multipart field `file`, up to ANALYTICS_IMPORT_MAX_BYTES. Each listen matched to a "
            "catalog song (artist by normalised name, then title exactly or by trigram "
            "similarity >= 0.5, at most 2,000,000 title comparisons a file: titles past them "
            "count as unmatched) becomes a `play` of the caller at `listened_at`. Idempotent: a "
            "listen imported before counts in `duplicates`, not again. A bad file (bytes that are "
            "not UTF-8, a name holding a NUL character, ...) is a 400 naming the listen (index, "
            "and line for JSON lines) and field; nothing is stored. A byte order mark is skipped. "
            "`?excluded=true` keeps the imported listens out of the caller's taste (stored and "
            "exported, counted nowhere); the answer's `import_id` can do so later."
        ),
        parameters=[
            OpenApiParameter(
                "excluded",
                bool,
                description="Keep these listens out of your taste: stored and exported, counted nowhere.",
            )
        ],
        request={
            "application/json": LISTENS_SCHEMA,
            NDJSON: {"type": "string", "description": "One listen object a line."},
            "multipart/form-data": s.ImportFileSerializer,
        },
        responses={
            200: s.ImportedSerializer,
            400: OpenApiResponse(s.ImportErrorSerializer, description="A bad file; nothing stored."),
            401: OpenApiResponse(description="No valid token."),
            413: OpenApiResponse(description="Larger than ANALYTICS_IMPORT_MAX_BYTES."),
        },
    )
    def post(self, request: Request) -> Response:
        try:
            listens = parse_listens(_body(request))
        except ListensError as error:
            return Response(error.as_json(), status=400)
        beat()
        options = s.ImportOptionsSerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        # However long a large history takes, while it is parsed, matched and stored batch by
        # batch (music_discovery.heartbeat).
        imported = listens_import(
            user_id=caller_id(request),
            listens=listens,
            excluded=options.validated_data["excluded"],
            progress=beat,
        )
        return Response(s.ImportedSerializer(imported).data)


class ExclusionsView(DescribedInputMixin, APIView):
    input_serializer = s.ExclusionInputSerializer
    path_caller = staticmethod(owner_only)
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="analytics_user_exclusions",
        summary="Keep events out of your taste (or let them back in)",
        description=(
            "The owner's events named by ids (the export's `id`), by a time window [since, until) "
            "or by an import's id are kept out of their taste: they stay in the history and the "
            "export (`excluded: true`), but no statistic, trend or recommendation counts them "
            "once the rollup job has run, and the cached recommendations are made stale. "
            "`excluded: false` counts them again. Asking twice changes nothing more. Events of "
            "other users are never touched; another user's id is a 404, for staff too."
        ),
        request=s.ExclusionInputSerializer,
        responses={
            200: s.ExcludedSerializer,
            400: OpenApiResponse(description="Not exactly one way of naming events, or a bad value."),
            401: OpenApiResponse(description="No valid token."),
            404: OpenApiResponse(description="Not the caller's own id."),
        },
    )
    def post(self, request: Request, user_id: int) -> Response:
        owner_only(request, user_id)
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        selection = Selection(
            ids=data.get("events", ()),
            since=data.get("since"),
            until=data.get("until"),
            import_id=data.get("import_id"),
        )
        done = activity_exclude(user_id=user_id, selection=selection, excluded=data["excluded"])
        return Response(
            s.ExcludedSerializer(
                {"excluded": data["excluded"], "matched": done.matched, "changed": done.changed}
            ).data
        )
