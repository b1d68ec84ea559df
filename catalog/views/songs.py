"""Catalog read endpoints: /api/songs/, /api/songs/{id}/, /api/songs/{id}/similar/, /api/artists/."""

from __future__ import annotations

import hashlib
from functools import cached_property
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse
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
from catalog.selectors.search import RankedSongSearch
from catalog.selectors.search_text import normalize_query
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

# Anonymous list responses are cached this many seconds: repeated identical searches
# (the same popular query from many visitors) cost one cache read. Short, because rating
# aggregates shown in the list change in the background.
LIST_CACHE_SECONDS = 15
LIST_CACHE_PREFIX = "catalog:songs:list:"


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
            "search ranks at most 3,000 matches beyond the titles equal to or starting with the query."
        )
        return schema


def _list_cache_key(request) -> str | None:
    """A key for an anonymous JSON GET of the list, or None when it must not be cached.
    The query string is normalized (sorted parameters, normalized search text) so that
    equivalent requests share one entry."""
    if request.method != "GET" or "HTTP_AUTHORIZATION" in request.META:
        return None
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    if "text/html" in request.META.get("HTTP_ACCEPT", ""):
        return None
    params = []
    for name, value in parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True):
        if name == "format":
            return None
        params.append((name, normalize_query(value) if name == "search" else value))
    digest = hashlib.sha256(urlencode(sorted(params)).encode()).hexdigest()
    return LIST_CACHE_PREFIX + digest


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
        filterset = SongFilter(self.request.query_params, queryset=queryset, request=self.request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset.relevance_results()

    def dispatch(self, request, *args, **kwargs):
        # The cache is read before DRF's authentication, permission and throttle checks:
        # a hit costs one cache read and no database, which is the point of caching it.
        # Only anonymous requests are cached, so nothing user-specific is ever shared.
        key = _list_cache_key(request) if self.action_map.get("get") == "list" else None
        if key is not None:
            cached = cache.get(key)
            if cached is not None:
                content, exact = cached
                return HttpResponse(
                    content,
                    content_type="application/json",
                    headers={"X-Cache": "hit", "X-Total-Count-Exact": exact},
                )
        response = super().dispatch(request, *args, **kwargs)
        is_json = getattr(response, "accepted_media_type", "") == "application/json"
        if key is not None and response.status_code == 200 and is_json:
            response.render()
            exact = response.headers.get("X-Total-Count-Exact", "true")
            cache.set(key, (response.content, exact), LIST_CACHE_SECONDS)
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
