"""One place that turns exceptions into DRF's JSON error shapes.

DRF views answer errors through `api_exception_handler`. Errors raised before or outside
a DRF view (an unknown URL, a disallowed Host, an unhandled exception) reach Django's
handler400/403/404/500 instead: under /api/ those answer the same JSON shape, elsewhere
(the admin) Django's usual pages.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from music_discovery.unavailable import DatabaseUnavailable, ServiceUnavailable

API_PREFIX = "/api/"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        # Every 404 reads alike: Django's names the model ("No Song matches the given query.").
        exc = exceptions.NotFound()
    elif isinstance(exc, OperationalError | InterfaceError):
        exc = DatabaseUnavailable()
    elif isinstance(exc, AccountGoneError) or isinstance(exc, IntegrityError) and _names_a_gone_account(exc):
        # As the token of a deleted account is refused (SimpleJWT's code).
        exc = exceptions.AuthenticationFailed(
            {"detail": "This account no longer exists.", "code": "user_not_found"}
        )
    response = exception_handler(exc, context)
    if response is not None:
        _render_as_json(context.get("request"))
        if isinstance(exc, ServiceUnavailable):
            response["Retry-After"] = str(exc.retry_after)
    return response


class AccountGoneError(Exception):
    """The account a write was for was deleted while the request ran (`users.services.
    account_hold`); answered as the token of a deleted account is."""


def _names_a_gone_account(error: IntegrityError) -> bool:
    """Whether `error` is a foreign key's check failing for an account deleted while the
    request wrote on its behalf (`users.services.user_delete` locks the account's row, so
    such a write commits after it): PostgreSQL's detail names the users table."""
    detail = getattr(getattr(error.__cause__, "diag", None), "message_detail", None) or ""
    return "is not present in table" in detail and f'"{get_user_model()._meta.db_table}"' in detail


def _render_as_json(request: Any) -> None:
    """Errors answer in JSON even from a view whose renderers speak something else (the
    schema view's YAML), or before negotiation picked one."""
    renderer = getattr(request, "accepted_renderer", None)
    if request is not None and (renderer is None or renderer.format != "json"):
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


# Exempt: an unsafe method on an unrouted path is a 404 whatever the CSRF token says (the
# CSRF check would otherwise answer first, with a 403 that suggests the path exists).
@csrf_exempt
def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """404, or for a route named without its trailing slash (which Django's APPEND_SLASH
    does not redirect: this catch-all resolves every path under /api/) a 301 to it for a
    read, and a 404 naming it otherwise (a redirected write would lose its body)."""
    slashed = _slashed_route(request.path_info)
    if slashed is None:
        return JsonResponse({"detail": "Not found."}, status=404)
    target = request.build_absolute_uri(request.get_full_path(force_append_slash=True))
    if request.method in ("GET", "HEAD"):
        response = JsonResponse({"detail": f"Moved permanently to {target}"}, status=301)
        response["Location"] = target
        return response
    return JsonResponse(
        {"detail": f"Not found. Did you mean {slashed} (with the trailing slash)?"}, status=404
    )


def _slashed_route(path: str) -> str | None:
    """`path` with a trailing slash when that names a route, else None."""
    if path.endswith("/"):
        return None
    try:
        match = resolve(path + "/")
    except Resolver404:
        return None
    return None if match.func is json_not_found else path + "/"


def payload_too_large(request: HttpRequest) -> HttpResponse:
    """413 for a body over DATA_UPLOAD_MAX_MEMORY_SIZE: JSON under /api/, plain text elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": PayloadTooLarge.default_detail}, status=413)
    return HttpResponse(PayloadTooLarge.default_detail, status=413, content_type="text/plain; charset=utf-8")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: under /api/ a JSON 403 like DRF's own CSRF refusal; elsewhere (the
    admin) Django's page."""
    if _is_api(request):
        return JsonResponse({"detail": f"CSRF Failed: {reason}"}, status=403)
    return csrf.csrf_failure(request, reason)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        # The exception's text can name internals (a rejected Host header): keep it out.
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return defaults.permission_denied(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    return defaults.server_error(request)
