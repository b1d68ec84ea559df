"""HTTP in and out for users and auth: validate, call a service or selector, serialize."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import (
    SAFE_METHODS,
    AllowAny,
    BasePermission,
    IsAdminUser,
    IsAuthenticated,
)
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.authentication import JWTAuthentication

from music_discovery.caller import owner_only
from music_discovery.described import DescribedInputMixin
from music_discovery.throttling import AUTH_THROTTLE_SCOPE, TOKEN_REFRESH_THROTTLE_SCOPE, CredentialThrottle
from users import selectors, services
from users.models import User
from users.serializers import (
    CREDENTIAL_FIELDS,
    BlockInputSerializer,
    BlockSerializer,
    LogoutSerializer,
    TokenObtainPairSerializer,
    TokenPairSerializer,
    TokenRefreshSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)

# APIView's default is DEFAULT_THROTTLE_CLASSES, imported (the setting itself holds dotted paths).
AUTH_THROTTLE_CLASSES: list[type[BaseThrottle]] = [*APIView.throttle_classes, CredentialThrottle]

THROTTLED = OpenApiResponse(description="Too many attempts; `Retry-After` says when to try again.")
NOT_FOUND = OpenApiResponse(description="No such user, or not yours to see (the two are indistinguishable).")
ACCOUNT_PROTECTED = "Only a superuser may change or delete another staff or superuser account."
PROTECTED = OpenApiResponse(
    description=f"Staff who may read this account but not change it ({ACCOUNT_PROTECTED}), or a session "
    "request without its CSRF token. Nothing changed."
)
CREDENTIALS_NOTE = (
    "A new `password` or `email` needs `current_password` (400 naming it otherwise), except for staff "
    "resetting another account they may change; a body carrying any of these is throttled like a login."
)
PATCH_DESCRIPTION = "Within `profile`, only the lists sent are replaced. " + CREDENTIALS_NOTE
STAFF_RULE = (
    "Staff may read any account and change or delete an ordinary one; another staff or superuser "
    "account only a superuser may change or delete (403 for other staff; nothing changes)."
)
USER_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The user's id.")


class MayChangeAccount(BasePermission):
    """Reads are for whoever may see the account (users.selectors.user_list_visible, a 404
    otherwise); changes and deletion also need users.selectors.user_changeable_by (a 403)."""

    message = ACCOUNT_PROTECTED

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return selectors.user_changeable_by(actor=cast(User, request.user), account=obj)


# The strict `auth` throttle scope on top of the usual ones, for the login (against brute
# force). A comment, not a docstring: the schema would take a docstring for the views'
# description.
class AuthThrottled:
    throttle_classes: Sequence[type[BaseThrottle]] = AUTH_THROTTLE_CLASSES
    throttle_scope = AUTH_THROTTLE_SCOPE


# Refresh and logout: throttled on the same fail-closed cache, in their own scope, so that
# failed sign-ups or logins from an address never keep its signed-in clients from refreshing.
class TokenThrottled:
    throttle_classes: Sequence[type[BaseThrottle]] = AUTH_THROTTLE_CLASSES
    throttle_scope = TOKEN_REFRESH_THROTTLE_SCOPE


@extend_schema_view(
    post=extend_schema(
        summary="Obtain an access and a refresh token",
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(description="Wrong credentials."),
            429: THROTTLED,
        },
    )
)
class TokenObtainPairView(AuthThrottled, jwt_views.TokenObtainPairView):
    serializer_class = TokenObtainPairSerializer


@extend_schema_view(
    post=extend_schema(
        summary="Exchange a refresh token for a new pair",
        description=(
            "Refresh tokens rotate: the one sent is spent (blacklisted) and a new pair returned; "
            "of concurrent refreshes of one token exactly one succeeds."
        ),
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(description="Invalid, expired, blacklisted or already used token."),
            429: THROTTLED,
        },
    )
)
class TokenRefreshView(TokenThrottled, jwt_views.TokenRefreshView):
    serializer_class = TokenRefreshSerializer


class LogoutView(TokenThrottled, DescribedInputMixin, APIView):
    input_serializer = LogoutSerializer
    # The contract marks logout *auth*: a valid bearer access token, and only that (a
    # session cookie is no way to hold a refresh token, and bearer-only needs no CSRF check).
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Revoke a refresh token",
        description=(
            "Needs a valid access token (401 otherwise, the refresh token then left working) and "
            "a refresh token of the same user. A client whose access token expired refreshes "
            "first, then logs out the new refresh token."
        ),
        request=LogoutSerializer,
        responses={
            205: OpenApiResponse(description="The refresh token no longer works."),
            400: OpenApiResponse(
                description=(
                    "Not a valid, unrevoked refresh token of the authenticated user. Another user's "
                    "token is refused with this same answer, and stays valid: the caller is "
                    "authenticated (so not a 401, which tells a client its own access token is bad), "
                    "the body is what is refused, and nothing says whether that token is valid."
                )
            ),
            401: OpenApiResponse(
                description="No valid access token: a missing, expired or malformed bearer token."
            ),
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_logout(user=cast(User, request.user), refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_205_RESET_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="List users (staff only)"),
    retrieve=extend_schema(
        summary="A user (owner or staff)",
        parameters=[USER_ID],
        responses={200: UserSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Register",
        request=UserCreateSerializer,
        responses={201: UserSerializer, 400: OpenApiResponse(description="Invalid data."), 429: THROTTLED},
        parameters=[
            OpenApiParameter(
                "Location",
                str,
                OpenApiParameter.HEADER,
                response=[201],
                description="URL of the new account (GET, PATCH or DELETE it there with its token).",
            )
        ],
        auth=[],
    ),
    update=extend_schema(
        summary="Replace a user's details (owner or staff)",
        description="Fields not sent are kept; within `profile`, lists not sent are emptied. "
        + CREDENTIALS_NOTE
        + " "
        + STAFF_RULE,
        parameters=[USER_ID],
        request=UserUpdateSerializer,
        responses={200: UserSerializer, 403: PROTECTED, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Change some of a user's details (owner or staff)",
        description=PATCH_DESCRIPTION + " " + STAFF_RULE,
        parameters=[USER_ID],
        request=UserUpdateSerializer,
        responses={200: UserSerializer, 403: PROTECTED, 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Delete an account (owner or staff)",
        description=STAFF_RULE,
        parameters=[USER_ID],
        responses={204: None, 403: PROTECTED, 404: NOT_FOUND},
    ),
)
class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = UserSerializer
    # ASCII digits, as `<int:...>` takes on every other route: `\d` also matches other
    # scripts' digits (`１`, `١`), which int() reads as the same id.
    lookup_value_regex = r"[0-9]+"
    # Accounts and profiles are read where they are written: the primary
    # (music_discovery/db_router.py).
    reads_own_writes = True

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        drf_request = super().initialize_request(request, *args, **kwargs)
        if self.action == "create":
            # Registration needs no caller: a stale token or session a client sends along
            # must not refuse it (with a 401, or a 403 for a missing CSRF token).
            drf_request.authenticators = ()
        return drf_request

    def _acting(self) -> str | None:
        """The action: for OPTIONS, which describes each method through a copy of the
        request with that method ("metadata"), the action that method stands for."""
        if self.action == "metadata" and self.request is not None and self.request.method:
            return self.action_map.get(self.request.method.lower(), self.action)
        return self.action

    def get_permissions(self) -> list[BasePermission]:
        action = self._acting()
        # Describing the methods is open: each is then listed only if its own check passes.
        if action in {"create", "metadata"}:
            return [AllowAny()]
        if action == "list":
            return [IsAdminUser()]
        if action in {"update", "partial_update", "destroy"}:
            return [IsAuthenticated(), MayChangeAccount()]
        return [IsAuthenticated()]

    def get_throttles(self) -> list[BaseThrottle]:
        if self.action == "create" or self._changes_credentials():
            # Each answer here tells whether an email or a username is taken, or a password right.
            self.throttle_scope = AUTH_THROTTLE_SCOPE
            return [throttle() for throttle in AUTH_THROTTLE_CLASSES]
        return super().get_throttles()

    def _changes_credentials(self) -> bool:
        if self.request.method not in {"PUT", "PATCH"}:
            return False
        data = self.request.data
        if not isinstance(data, Mapping):
            return False
        # A username other than the caller's own: its answer says whether that name is taken.
        username = data.get("username")
        renames = username is not None and username != getattr(self.request.user, "username", None)
        return renames or any(field in data for field in CREDENTIAL_FIELDS)

    def get_serializer_class(self) -> type[BaseSerializer]:
        # Input and output differ: writes accept only the writable fields, answers are UserSerializer.
        if self._acting() == "create":
            return UserCreateSerializer
        if self.request is not None and self.request.method in {"PUT", "PATCH"}:
            return UserUpdateSerializer
        return UserSerializer

    def get_queryset(self) -> QuerySet[User]:
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        return selectors.user_list_visible(actor=self._caller())

    def _caller(self) -> User:
        # Only actions behind IsAuthenticated or IsAdminUser (get_permissions) read the caller.
        return cast(User, self.request.user)

    def get_object(self) -> User:
        if self.action == "me":
            return selectors.user_list().get(pk=self._caller().pk)
        try:
            return super().get_object()
        except Http404 as error:
            # The same body as any unknown path: it names no model and hints at nothing.
            raise NotFound() from error

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        location = request.build_absolute_uri(reverse("user-detail", args=[user.pk]))
        return Response(
            UserSerializer(user).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )

    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=False)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        user = self.get_object()
        serializer = self.get_serializer(user, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=user, **serializer.validated_data)
        return Response(UserSerializer(user).data)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.user_delete(user=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], summary="The authenticated user", responses={200: UserSerializer})
    @extend_schema(
        methods=["PATCH"],
        summary="Change some of the authenticated user's details",
        description=PATCH_DESCRIPTION,
        request=UserUpdateSerializer,
        responses={200: UserSerializer},
    )
    @action(detail=False, methods=["get", "patch"])
    def me(self, request: Request) -> Response:
        if request.method == "PATCH":
            return self._update(request, partial=True)
        return Response(UserSerializer(self.get_object()).data)


class BlockListView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    # A listener's own controls: never from a replica that lags their last change.
    reads_own_writes = True
    serializer_class = BlockSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="users_blocks_list",
        summary="A listener's blocks",
        description="Every block, newest first, paginated; expired ones stay listed with `active: false`.",
        responses={200: BlockSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request: Request, user_id: int) -> Response:
        owner = owner_only(request, user_id)
        page = self.paginate_queryset(selectors.blocks_of(user_id=owner)) or []
        return self.get_paginated_response(BlockSerializer(selectors.blocks_described(page), many=True).data)

    @extend_schema(
        operation_id="users_blocks_create",
        summary="Block an artist, a song or a genre",
        description=(
            "Exactly one of `artist` (id), `song` (id) or `genre` (name), optionally `until` a "
            "moment in the future. A blocked artist blocks every song that credits it, featured "
            "credits too. Applied from the next request on to the listener's recommendations, "
            "similar songs and trends. Blocking the same thing again replaces its `until` (200)."
        ),
        request=BlockInputSerializer,
        responses={201: BlockSerializer, 200: BlockSerializer, 404: NOT_FOUND},
    )
    def post(self, request: Request, user_id: int) -> Response:
        owner = owner_only(request, user_id)
        body = BlockInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        block, created = services.block_set(
            user_id=owner,
            artist_id=data.get("artist"),
            song_id=data.get("song"),
            genre=data.get("genre"),
            until=data.get("until"),
        )
        shown = BlockSerializer(selectors.blocks_described([block])[0]).data
        return Response(shown, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class BlockDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="users_blocks_delete",
        summary="Lift a block",
        responses={204: None, 404: OpenApiResponse(description="No such block of yours.")},
    )
    def delete(self, request: Request, user_id: int, block_id: int) -> Response:
        if not services.block_remove(user_id=owner_only(request, user_id), block_id=block_id):
            raise NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)
