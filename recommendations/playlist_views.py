"""A listener's discovery playlists: as JSON, or exported as JSPF or XSPF (`?format=` or the
Accept header). Only the listener sees them: anyone else gets a 404."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.selectors.songs import song_list, songs_attach
from catalog.serializers.songs import SongSerializer
from recommendations.models import PlaylistKind
from recommendations.playlist_formats import jspf, xspf
from recommendations.playlists import playlist_current
from recommendations.views import listener_readable


class JSPFRenderer(renderers.JSONRenderer):
    media_type = "application/jspf+json"
    format = "jspf"


class XSPFRenderer(renderers.BaseRenderer):
    media_type = "application/xspf+xml"
    format = "xspf"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        # An error raised before the document was made: still a readable body.
        return renderers.JSONRenderer().render(data)


class PlaylistItemSerializer(serializers.Serializer):
    song = SongSerializer()
    reasons = serializers.ListField(child=serializers.CharField())


class PlaylistSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PlaylistKind.choices)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    items = PlaylistItemSerializer(many=True)


class PlaylistView(APIView):
    permission_classes = [IsAuthenticated]
    renderer_classes = [renderers.JSONRenderer, JSPFRenderer, XSPFRenderer]
    reads_own_writes = True

    @extend_schema(
        operation_id="recommendations_playlist",
        summary="A listener's daily mix or weekly discovery",
        description=(
            "daily_mix: favourites not heard this week, with some new songs, a new draw each "
            "day; weekly_discovery: songs never played. At most two songs of an artist, each "
            "with its reasons; generated on first request when beat has not yet. `?format=jspf` "
            "or `?format=xspf` (or the Accept header) exports it."
        ),
        parameters=[
            OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=[k.value for k in PlaylistKind]),
            OpenApiParameter(
                "format", str, OpenApiParameter.QUERY, enum=["json", "jspf", "xspf"], required=False
            ),
        ],
        responses={
            (200, "application/json"): PlaylistSerializer,
            (200, "application/jspf+json"): OpenApiResponse(OpenApiTypes.OBJECT, description="JSPF"),
            (200, "application/xspf+xml"): OpenApiResponse(OpenApiTypes.STR, description="XSPF"),
            404: OpenApiResponse(description="Another user's id (caller not staff), or no such kind."),
        },
    )
    def get(self, request: Request, user_id: int, kind: str) -> Response:
        listener_readable(request, user_id)
        if kind not in PlaylistKind.values:
            raise NotFound()
        playlist = playlist_current(user_id=user_id, kind=kind)
        ids = [item["song"] for item in playlist.items]
        songs = {s.pk: s for s in songs_attach(song_list().filter(pk__in=ids), viewer_id=user_id)}
        pairs = [(songs[item["song"]], item["reasons"]) for item in playlist.items if item["song"] in songs]
        chosen = request.accepted_renderer.format
        if chosen == "jspf":
            return Response(jspf(kind=kind, created_at=playlist.created_at, songs=pairs))
        if chosen == "xspf":
            return Response(xspf(kind=kind, created_at=playlist.created_at, songs=pairs))
        body = {
            "kind": kind,
            "created_at": playlist.created_at,
            "expires_at": playlist.expires_at,
            "items": [{"song": song, "reasons": reasons} for song, reasons in pairs],
        }
        return Response(PlaylistSerializer(body).data)
