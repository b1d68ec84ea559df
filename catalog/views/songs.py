"""Songs: GET /api/songs/, /api/songs/{id}/ and /api/songs/{id}/similar/.

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
from catalog.selectors.similar import song_similar
from catalog.selectors.songs import song_get, song_list
from catalog.serializers.songs import SimilarQuerySerializer, SimilarSongsSerializer, SongSerializer
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
            "then the rest. Filters on a feature a song's source did not give (null) never match it.\n\n"
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


class SongSimilarView(GenericAPIView):
    serializer_class = SimilarSongsSerializer
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="songs_similar",
        summary="Songs that sound alike",
        description=(
            "The nearest songs by audio features (danceability, energy, acousticness, "
            "instrumentalness, liveness, valence, loudness, tempo, each mapped onto 0..1), best "
            "first, never the song itself; score = 1 - distance / sqrt(8). They are looked for "
            "among at most 1,000 songs of the song's neighbourhood (similar energy, danceability, "
            "valence and acousticness, through an index), so the cost does not grow with the "
            "catalog; a catalog of fewer songs is ranked whole."
        ),
        parameters=[SimilarQuerySerializer],
        responses={200: SimilarSongsSerializer, 404: NO_SUCH_SONG},
    )
    def get(self, request: Request, id: int) -> Response:
        query = SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        viewer = viewer_id(request)
        song = song_get(song_id=id, viewer_id=viewer)
        nearest = song_similar(song=song, limit=query.validated_data["limit"], viewer_id=viewer)
        return Response(SimilarSongsSerializer({"results": nearest}).data)
