"""Catalog read endpoints: /api/songs/, /api/songs/{id}/, /api/songs/{id}/similar/, /api/artists/."""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from catalog.filters import ArtistFilter, SongFilter
from catalog.list_cache import LIST_CACHE_SECONDS, list_cache_key, list_cache_store
from catalog.selectors.search import RankedSongSearch
from catalog.selectors.songs import (
    EXACT_COUNT_LIMIT,
    artist_list,
    queryset_count_bounded,
    song_get,
    song_list,
    song_similar,
    songs_with_artists,
)
from catalog.serializers.songs import (
    ArtistSerializer,
    SimilarQuerySerializer,
    SimilarSongsSerializer,
    SongSerializer,
)
from music_discovery.pagination import StandardPagination


class BoundedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, RankedSongSearch):
            count, exact = self.object_list.count_bounded()
        else:
            count, exact = queryset_count_bounded(self.object_list)
        self.count_is_exact = exact
        return count


class SongPagination(StandardPagination):
    """The project's page-number pagination, with a count that stays cheap at 1M songs."""

    django_paginator_class = BoundedCountPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        exact = getattr(self.page.paginator, "count_is_exact", True)
        response["X-Total-Count-Exact"] = "true" if exact else "false"
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count"]["description"] = (
            f"Number of matching songs, exact up to {EXACT_COUNT_LIMIT}. Above that, on PostgreSQL, "
            "it may be an estimate (header X-Total-Count-Exact: false): the query planner's, or for "
            "a search the title-word frequencies', so that counting never costs more than the page. "
            "Pages past the real end of an estimated total come back empty. A relevance-ordered "
            "search ranks at most 300 matches per way of finding them (titles, artist names) beyond "
            "the titles equal to or starting with the query."
        )
        return schema


@extend_schema_view(
    list=extend_schema(
        summary="List and search songs",
        description=(
            "Anyone may read. With `search` and no `ordering`, results come by relevance: the exact "
            "title, then titles starting with the query, then titles where every term starts a word, "
            "then the rest. Anonymous responses are cached for "
            f"{LIST_CACHE_SECONDS} s, so rating aggregates in them may lag by that much."
        ),
    ),
    retrieve=extend_schema(summary="One song"),
)
class SongViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SongSerializer
    permission_classes = [AllowAny]
    filter_backends = [DjangoFilterBackend]
    filterset_class = SongFilter
    pagination_class = SongPagination

    def get_queryset(self):
        return song_list()

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        filterset = SongFilter(
            self.request.query_params, queryset=queryset, request=self.request, only_given=True
        )
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset.relevance_results()

    def dispatch(self, request, *args, **kwargs):
        # Hits are answered by SongListCacheMiddleware before this view runs; a miss of an
        # anonymous list request fills the cache here.
        key = list_cache_key(request) if self.action_map.get("get") == "list" else None
        response = super().dispatch(request, *args, **kwargs)
        is_json = getattr(response, "accepted_media_type", "") == "application/json"
        if key is not None and response.status_code == 200 and is_json:
            response.render()
            list_cache_store(key, response)
        return response

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = songs_with_artists(self.paginate_queryset(self.filter_queryset(self.get_queryset())))
        return self.get_paginated_response(SongSerializer(page, many=True, context={"request": request}).data)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return Response(SongSerializer(song_get(song_id=self._song_id()), context={"request": request}).data)

    @extend_schema(
        summary="Songs that sound alike",
        description=(
            "The nearest songs by normalized audio features (danceability, energy, acousticness, "
            "instrumentalness, liveness, valence, loudness, tempo), best first, never the song itself."
        ),
        parameters=[SimilarQuerySerializer],
        responses=SimilarSongsSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def similar(self, request: Request, *args, **kwargs) -> Response:
        query = SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        song = song_get(song_id=self._song_id())
        nearest = song_similar(song=song, limit=query.validated_data["limit"])
        return Response(SimilarSongsSerializer({"results": nearest}, context={"request": request}).data)

    def _song_id(self) -> int:
        # The router accepts any path segment; anything but a plain integer is a 404.
        raw = self.kwargs[self.lookup_field]
        if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
            return 0
        return int(raw)


@extend_schema_view(list=extend_schema(summary="List and search artists"))
class ArtistViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ArtistSerializer
    permission_classes = [AllowAny]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ArtistFilter

    def get_queryset(self):
        return artist_list()


router = SimpleRouter()
router.register("songs", SongViewSet, basename="song")
router.register("artists", ArtistViewSet, basename="artist")

urlpatterns = router.urls
