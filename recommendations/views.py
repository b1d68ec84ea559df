"""GET a listener's list, POST for a new one, poll its task (`../shared/API.md`,
Recommendations). Only the listener (or staff) may see or ask for their list, and only the
listener writes their feedback and snoozes: anyone else gets a 404.
And similar songs, which are the engine's too: "sounds alike" is defined once."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from music_discovery.caller import caller_id, owner_only
from music_discovery.described import DescribedInputMixin
from music_discovery.throttling import ScopedCountedThrottle
from recommendations import serializers as s
from recommendations.lists import (
    GIVEN_UP,
    RecommendationList,
    generation_given_up,
    generation_list,
    generation_start,
    list_for,
)
from recommendations.models import Generation, GenerationState
from recommendations.selectors import generation_of
from recommendations.services import RecommendationInputError, feedback_give, similar_to
from recommendations.why_not import why_not
from users.selectors import user_readable
from users.services import song_snooze

NOT_YOURS = OpenApiResponse(description="Another user's id, or no such user: only the owner writes here.")
NOT_READABLE = OpenApiResponse(
    description="Another user's id (caller not staff), or no such user: only the owner and staff see a list."
)


def listener_readable(request: Request, user_id: int) -> int:
    """`user_id` when the caller may read that listener's list: themself, or staff."""
    if not user_readable(actor=request.user, user_id=user_id):
        raise NotFound()
    return user_id


ACCEPTED = OpenApiResponse(s.TaskAcceptedSerializer, description="Being computed: poll `status_url`.")


def _accepted(request: Request, generation: Generation, *, limit: int | None = None) -> Response:
    """202 with the task to poll; `limit`: the length the caller asked for, which the task's
    result is then cut to (a list is computed at least DEFAULT_LIMIT long, for later GETs)."""
    url = reverse("recommendations-task", args=[generation.task_id])
    if limit is not None:
        url += "?" + urlencode({"limit": limit})
    url = request.build_absolute_uri(url)
    body = s.TaskAcceptedSerializer({"task_id": generation.task_id, "status_url": url}).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


def _list_body(found: RecommendationList) -> dict:
    return dict(s.ListSerializer(found).data)


class UserRecommendationsView(APIView):
    permission_classes = [IsAuthenticated]
    # A listener's new rating must show in their next list: never read from a lagging replica.
    reads_own_writes = True

    @extend_schema(
        operation_id="recommendations_user",
        summary="A listener's recommendations",
        description=(
            "The owner's list, best first, each song with its score and the reasons it is there. "
            "Served from the cache while fresh (1 h; a new rating, like, skip or play or a profile "
            "change makes it stale, as do a new model build and a catalog load that wrote songs); "
            "otherwise "
            "computed at once when that takes milliseconds, else queued: 202 with the task to "
            "poll. Never a song the listener rated, skipped, played, liked or shared (listening "
            "kept out of their taste aside: it counts nowhere), nor a song twice."
        ),
        parameters=[s.ListQuerySerializer],
        responses={200: s.ListSerializer, 202: ACCEPTED, 404: NOT_READABLE},
    )
    def get(self, request: Request, user_id: int) -> Response:
        owner = listener_readable(request, user_id)
        query = s.ListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        found = list_for(user_id=owner, limit=query.validated_data["limit"], asker_id=caller_id(request))
        if isinstance(found, Generation):
            return _accepted(request, found, limit=query.validated_data["limit"])
        return Response(_list_body(found))


class RefreshView(DescribedInputMixin, APIView):
    input_serializer = s.RefreshSerializer
    path_caller = staticmethod(listener_readable)
    permission_classes = [IsAuthenticated]
    throttle_classes = [*APIView.throttle_classes, ScopedCountedThrottle]
    throttle_scope = "recommendations_refresh"

    @extend_schema(
        operation_id="recommendations_refresh",
        summary="Compute a new list",
        description=(
            "Queues a new list for the owner, optionally steered by seed genres, artists and "
            "songs and by moods (which replace the profile's for this list); answers at once "
            "with the task to poll. The new list becomes the one GET serves. Unknown seeds or "
            "moods are refused (400, nothing queued). With Spotify credentials set, a search of "
            "Spotify on the listener's favourites is queued too: its songs join the lists computed "
            "after the next model build."
        ),
        request=s.RefreshSerializer,
        responses={202: ACCEPTED, 404: NOT_READABLE},
    )
    def post(self, request: Request, user_id: int) -> Response:
        owner = listener_readable(request, user_id)
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            generation = generation_start(
                user_id=owner, discover=True, asker_id=caller_id(request), **body.validated_data
            )
        except RecommendationInputError as error:
            raise ValidationError({error.field: [str(error)]}) from error
        return _accepted(request, generation)


class TaskView(APIView):
    permission_classes = [IsAuthenticated]
    reads_own_writes = True

    @extend_schema(
        operation_id="recommendations_task",
        summary="A recommendation task's state",
        description=(
            "pending (queued), started, success (with the list as `result`) or failure (with "
            "`error`; so is a task due to start over 10 minutes ago and not finished: its worker "
            "stopped, or the queue is that far behind, and a GET of the list queues another). "
            "Only the user who asked sees it (the staff member who asked for a "
            "listener's list, else the listener); anyone else, staff included, gets a 404."
        ),
        parameters=[s.TaskQuerySerializer],
        responses={
            200: s.TaskStatusSerializer,
            404: OpenApiResponse(description="No such task, or one another user asked for."),
        },
    )
    def get(self, request: Request, task_id: uuid.UUID) -> Response:
        query = s.TaskQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        generation = generation_of(task_id=task_id, user_id=caller_id(request))
        if generation is None:
            raise NotFound()
        body: dict = {"task_id": generation.task_id, "state": generation.state}
        if generation_given_up(generation):
            body.update(state=GenerationState.FAILURE, error=GIVEN_UP)
        elif generation.state == GenerationState.SUCCESS:
            body["result"] = generation_list(generation, limit=query.validated_data.get("limit"))
        elif generation.state == GenerationState.FAILURE:
            body["error"] = generation.error or "The list could not be computed."
        return Response(s.TaskStatusSerializer(body).data)


class SongSimilarView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="songs_similar",
        summary="Songs that sound alike",
        description=(
            "The songs that sound most like this one, best first, never the song itself: "
            "closeness of the audio features (danceability, energy, acousticness, "
            "instrumentalness, liveness, valence, speechiness, loudness, tempo), each "
            "standardised over the catalog so that tempo in BPM weighs no more than energy; "
            "score = 1 / (1 + RMS distance). The same measure the recommendations' sound "
            "signal uses. Songs without audio features are similar to nothing."
        ),
        parameters=[s.SimilarQuerySerializer],
        responses={200: s.SimilarSongsSerializer, 404: OpenApiResponse(description="No song has this id.")},
    )
    def get(self, request: Request, id: int) -> Response:
        query = s.SimilarQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        viewer = request.user.pk if request.user.is_authenticated else None
        nearest = similar_to(song_id=id, limit=query.validated_data["limit"], viewer_id=viewer)
        return Response(s.SimilarSongsSerializer({"results": nearest}).data)


class WhyNotView(APIView):
    permission_classes = [IsAuthenticated]
    reads_own_writes = True

    @extend_schema(
        operation_id="recommendations_why_not",
        summary="Why a song is not in my list",
        description=(
            "Blocked (by song, artist or genre), already in the listener's history (rated, "
            "played, liked, shared, skipped or given feedback on), new since the model was "
            "built, held back by the artist cap, or ranked below the list's cut: then its rank, "
            "its score against the last song's and what each signal gave it. Of the list a GET "
            "serves: after a refresh, steered by its seeds and moods while its list is fresh. "
            "`limit`: the list's length (default 20)."
        ),
        parameters=[s.ListQuerySerializer],
        responses={
            200: s.WhyNotSerializer,
            404: OpenApiResponse(description="Another user's id (caller not staff), or no such song."),
        },
    )
    def get(self, request: Request, user_id: int, song_id: int) -> Response:
        owner = listener_readable(request, user_id)
        query = s.ListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        return Response(
            s.WhyNotSerializer(
                why_not(user_id=owner, song_id=song_id, limit=query.validated_data["limit"])
            ).data
        )


class FeedbackView(DescribedInputMixin, APIView):
    input_serializer = s.FeedbackSerializer
    path_caller = staticmethod(owner_only)
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="recommendations_feedback",
        summary="Say more like this, or not for me",
        description=(
            "Stored (the latest per song counts) and used by every later list: more_like_this "
            "counts as a like, not_for_me as a skip; either way the song leaves the list, which "
            "is made stale at once."
        ),
        request=s.FeedbackSerializer,
        responses={201: s.FeedbackSerializer, 404: NOT_YOURS},
    )
    def post(self, request: Request, user_id: int) -> Response:
        owner = owner_only(request, user_id)
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            feedback_give(
                user_id=owner, song_id=body.validated_data["song"], kind=body.validated_data["feedback"]
            )
        except RecommendationInputError as error:
            raise ValidationError({error.field: [str(error)]}) from error
        return Response(body.validated_data, status=status.HTTP_201_CREATED)


class SnoozeView(DescribedInputMixin, APIView):
    input_serializer = s.SnoozeSerializer
    path_caller = staticmethod(owner_only)
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="recommendations_snooze",
        summary="Snooze a song for some days",
        description=(
            "The song leaves the listener's lists, similar songs and trends for `days` days: a "
            "block of that song until then (listed and lifted with /api/users/{id}/blocks/)."
        ),
        request=s.SnoozeSerializer,
        responses={
            201: OpenApiResponse(description="The block, as /api/users/{id}/blocks/ shows it."),
            404: NOT_YOURS,
        },
    )
    def post(self, request: Request, user_id: int) -> Response:
        owner = owner_only(request, user_id)
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        until = timezone.now() + dt.timedelta(days=body.validated_data["days"])
        block = song_snooze(user_id=owner, song_id=body.validated_data["song"], until=until)
        return Response(block, status=status.HTTP_201_CREATED)
