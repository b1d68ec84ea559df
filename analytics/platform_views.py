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
            "in the last 24 hours and 7 days. Counts only, no personal data. Recomputed after "
            "each rollup refresh, so events show up within seconds."
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
