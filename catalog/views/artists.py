"""Artists and genres: GET /api/artists/, /api/artists/{id}/ and /api/genres/."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.filters import ArtistFilter, FilterBackend
from catalog.models import Genre
from catalog.selectors.artists import artist_get, artist_list
from catalog.selectors.genres import GENRE_COUNTS_SECONDS, genre_list
from catalog.serializers.songs import ArtistDetailSerializer, ArtistSerializer, GenreSerializer
from catalog.views.pagination import BoundedCountPagination
from catalog.views.songs import viewer_id
from music_discovery.pagination import StandardPagination


class ArtistListView(ListAPIView):
    serializer_class = ArtistSerializer
    permission_classes = [AllowAny]
    filter_backends = [FilterBackend]
    filterset_class = ArtistFilter
    pagination_class = BoundedCountPagination

    def get_queryset(self):
        return artist_list()

    @extend_schema(operation_id="artists_list", summary="List and search artists")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class ArtistDetailView(GenericAPIView):
    serializer_class = ArtistDetailSerializer
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="artists_retrieve",
        summary="One artist, its genres and its top songs",
        responses={200: ArtistDetailSerializer, 404: OpenApiResponse(description="No artist has this id.")},
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(ArtistDetailSerializer(artist_get(artist_id=id, viewer_id=viewer_id(request))).data)


class GenreListView(GenericAPIView):
    serializer_class = GenreSerializer
    # Tells the schema generator the model; the list itself comes from `genre_list`.
    queryset = Genre.objects.none()
    permission_classes = [AllowAny]
    pagination_class = StandardPagination

    @extend_schema(
        operation_id="genres_list",
        summary="Genres, most songs first",
        description=f"Song counts are recounted at most every {GENRE_COUNTS_SECONDS} s.",
        responses=GenreSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(genre_list())
        return self.get_paginated_response(GenreSerializer(page, many=True).data)
