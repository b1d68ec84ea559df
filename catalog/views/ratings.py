"""Ratings: the caller rates songs, lists, reads and deletes their own ratings."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from catalog.models import Rating
from catalog.ratings.selectors import rating_list
from catalog.ratings.services import RaterNotActiveError, rating_delete, rating_submit
from catalog.serializers.ratings import (
    MAX_ID,
    RatingInputSerializer,
    RatingListQuerySerializer,
    RatingSerializer,
)
from music_discovery.caller import caller_id

AGGREGATES_NOTE = (
    "The song's average_rating, total_ratings and rating_score are updated in the background "
    "and reflect the change within seconds."
)


UNAUTHENTICATED = OpenApiResponse(description="No valid token, or the user is deleted or deactivated.")
NOT_RATED = OpenApiResponse(description="The caller has no rating of this song.")
SONG_ID = OpenApiParameter("song_id", int, OpenApiParameter.PATH, description="Id of the song.")
LOCATION = OpenApiParameter(
    "Location",
    str,
    OpenApiParameter.HEADER,
    response=[201],
    description="URL of the new rating (GET or DELETE it there).",
)


class RatingListCreateView(GenericAPIView):
    # The caller's own ratings: read from the primary (music_discovery/db_router.py).
    reads_own_writes = True
    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    serializer_class = RatingSerializer

    def get_serializer_class(self) -> type[Serializer]:
        # What OPTIONS describes for each method: a POST's input, a GET's answers.
        if self.request is not None and self.request.method == "POST":
            return RatingInputSerializer
        return RatingSerializer

    def get_queryset(self) -> QuerySet[Rating]:
        # The caller's ratings, narrowed by `?song=`: what GET lists.
        query = RatingListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return rating_list(user_id=caller_id(self.request), song_id=query.validated_data.get("song"))

    @extend_schema(
        operation_id="ratings_list",
        summary="The caller's own ratings, most recently changed first",
        parameters=[RatingListQuerySerializer],
        responses={200: RatingSerializer(many=True), 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RatingSerializer(page, many=True).data)

    @extend_schema(
        operation_id="ratings_submit",
        summary="Rate a song, or replace the caller's earlier score of it",
        description=AGGREGATES_NOTE,
        request=RatingInputSerializer,
        parameters=[LOCATION],
        responses={
            201: OpenApiResponse(
                RatingSerializer,
                description="First rating of this song by the caller.",
            ),
            200: OpenApiResponse(RatingSerializer, description="The caller's earlier score was replaced."),
            400: OpenApiResponse(description="Invalid score, unknown song, or malformed body."),
            401: UNAUTHENTICATED,
        },
    )
    def post(self, request: Request) -> Response:
        payload = RatingInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            rating, created = rating_submit(
                user_id=caller_id(request),
                song_id=payload.validated_data["song"],
                score=payload.validated_data["score"],
            )
        except RaterNotActiveError as exc:
            # What SimpleJWT answers when it loads a deleted or deactivated user itself.
            raise AuthenticationFailed("User not found or inactive.", code="user_not_found") from exc
        if not created:
            return Response(RatingSerializer(rating).data, status=status.HTTP_200_OK)
        location = request.build_absolute_uri(reverse("rating-detail", args=[rating.song_id]))
        return Response(
            RatingSerializer(rating).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )


class RatingDetailView(GenericAPIView):
    # The caller's own ratings: read from the primary (music_discovery/db_router.py).
    reads_own_writes = True
    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    serializer_class = RatingSerializer

    def own_rating(self, request: Request, song_id: int) -> Rating:
        # An id past the database's integer range names no song (and must not reach the driver).
        rating = (
            rating_list(user_id=caller_id(request), song_id=song_id).first() if song_id <= MAX_ID else None
        )
        if rating is None:
            raise NotFound("You have not rated this song.")
        return rating

    @extend_schema(
        operation_id="ratings_retrieve",
        parameters=[SONG_ID],
        summary="The caller's rating of a song",
        responses={200: RatingSerializer, 401: UNAUTHENTICATED, 404: NOT_RATED},
    )
    def get(self, request: Request, song_id: int) -> Response:
        return Response(RatingSerializer(self.own_rating(request, song_id)).data)

    @extend_schema(
        operation_id="ratings_destroy",
        parameters=[SONG_ID],
        summary="Delete the caller's rating of a song",
        description=AGGREGATES_NOTE,
        responses={
            204: OpenApiResponse(description="The rating is gone."),
            401: UNAUTHENTICATED,
            404: NOT_RATED,
        },
    )
    def delete(self, request: Request, song_id: int) -> Response:
        if song_id > MAX_ID or not rating_delete(user_id=caller_id(request), song_id=song_id):
            raise NotFound("You have not rated this song.")
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("ratings/", RatingListCreateView.as_view(), name="rating-list"),
    path("ratings/<int:song_id>/", RatingDetailView.as_view(), name="rating-detail"),
]
