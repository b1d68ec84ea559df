"""The platform reads: summary and trends, served from cached snapshots (thin views)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.platform_serializers import (
    WEIGHTS_TEXT,
    SummarySerializer,
    TrendsQuerySerializer,
    TrendsSerializer,
)
from analytics.selectors.snapshots import summary_get, trends_get
from music_discovery.caller import caller_id


class SummaryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="analytics_summary",
        summary="Platform totals",
        description=(
            "Accounts, songs, ratings, listening events (in all and by action) and active users "
            "in the last 24 hours and 7 days. Counts only, no personal data. Served from a "
            "snapshot computed at `as_of`, not counted per request: with the background jobs "
            "(Redis), new events are rolled up every `ANALYTICS_ROLLUP_SECONDS` (10 s) and the "
            "snapshot recomputed every `ANALYTICS_TRENDS_SECONDS` (60 s) when they were, so a new "
            "event is counted after up to about a minute and ten seconds; with no new event, it is "
            "recomputed once half of `ANALYTICS_SNAPSHOT_SECONDS` (300 s) has passed, so a new "
            "account, song or rating alone shows after up to about three minutes. Without Redis "
            "(no background jobs), each stored batch of events recomputes it at once, and the other "
            "counts follow then, or when it expires (`ANALYTICS_SNAPSHOT_SECONDS`)."
        ),
        responses={200: SummarySerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(SummarySerializer(summary_get()).data)


class TrendsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="analytics_trends",
        summary="Trending songs, artists and genres",
        description=(
            f"Ranked by weighted activity in the window ({WEIGHTS_TEXT}), each with its score "
            "in the window of the same length just before and the change ('rising' when "
            "positive). Only positive scores rank. An unknown `window` or a `limit` outside "
            "1-50 is a 400 naming the parameter."
        ),
        parameters=[TrendsQuerySerializer],
        responses={200: TrendsSerializer},
    )
    def get(self, request: Request) -> Response:
        # A plain dict: DRF would read an empty `?window=` from a QueryDict as absent.
        query = TrendsQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        trends = trends_get(
            window=query.validated_data["window"],
            limit=query.validated_data["limit"],
            viewer_id=caller_id(request),
        )
        return Response(TrendsSerializer(trends).data)
