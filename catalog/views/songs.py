"""Songs: GET /api/songs/ and /api/songs/{id}/ (similar songs: recommendations.views).

Each view validates its input, calls one selector and serializes what it returns. The
list's filters are DRF's filter backend (`catalog.filters`), which hands the narrowed songs
to `song_results`; anonymous lists are cached in front of it (`catalog.list_cache`).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.filters import FilterBackend, SongFilter
from catalog.list_cache import LIST_CACHE_SECONDS
from catalog.selectors.songs import song_get, song_list
from catalog.serializers.songs import SongSerializer
from catalog.views.pagination import BoundedCountPagination

NO_SUCH_SONG = OpenApiResponse(description="No song has this id.")


def viewer_id(request: Request) -> int | None:
    """The caller's user id, None when anonymous."""
    return request.user.pk if request.user.is_authenticated else None


class SongListView(ListAPIView):
    serializer_class = SongSerializer
    permission_classes = [AllowAny]
    filter_backends = [FilterBackend]
    filterset_class = SongFilter
    pagination_class = BoundedCountPagination

    def get_queryset(self):
        return song_list()

    @extend_schema(
        operation_id="songs_list",
        summary="List and search songs",
        description=(
            "Anyone may read. With `search` and no `ordering`, results come by relevance: the exact "
            "title, then titles starting with the query, then titles where every term starts a word, "
            "then the rest; with an `ordering`, the same songs in that order. Filters on a feature a "
            "song's source did not give (null) never match it.\n\n"
            f"Anonymous responses are cached for {LIST_CACHE_SECONDS} s (header `X-Cache: hit` on a "
            "repeat), so rating aggregates in them may lag by that much. A repeat answered from the "
            "cache costs no database query and does not count against the anonymous throttle; only "
            "requests that reach the database do. Authenticated requests are never cached: they carry "
            "the caller's `my_rating`."
        ),
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class SongDetailView(GenericAPIView):
    serializer_class = SongSerializer
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="songs_retrieve", summary="One song", responses={200: SongSerializer, 404: NO_SUCH_SONG}
    )
    def get(self, request: Request, id: int) -> Response:
        song = song_get(song_id=id, viewer_id=viewer_id(request))
        return Response(SongSerializer(song).data)
