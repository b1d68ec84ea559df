import logging
import re
import time
import uuid
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from music_discovery import exceptions, health
from music_discovery.chunked import body_limit

logger = logging.getLogger("music_discovery.requests")

# nginx sets X-Request-ID on every request it proxies; anything else that arrives in that
# header is client-controlled, so only a short plain token is kept (it ends up in logs).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestLogMiddleware:
    """One log line per request: method, path, status, duration and request id.

    First in MIDDLEWARE, so the duration covers every other middleware and a request that
    another middleware answers early (a redirect, a 400 for a bad Host) is logged too. The
    request id (nginx's, or a new one) is returned in X-Request-ID, so a client reporting a
    problem can name the log line.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        response["X-Request-ID"] = request_id
        logger.log(
            logging.ERROR if response.status_code >= 500 else logging.INFO,
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(duration_ms, 2),
                "request_id": request_id,
            },
        )
        return response


class BodySizeLimitMiddleware:
    """Refuses a request whose declared body is over DATA_UPLOAD_MAX_MEMORY_SIZE with a 413,
    before anything reads it.

    Django applies that limit to JSON and form bodies as they are read, but not to the files
    of a multipart body, which it streams to disk whatever their size: this makes the limit
    one for every body, whatever its encoding, and answers before any of it is read. A body
    sent chunked has been given its length first (`chunked.ChunkedBodies`). A path in
    BODY_SIZE_LIMITS_BY_PATH (an upload of a listening history) has its own limit instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit(request.path_info)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            # Django reads a malformed Content-Length as no body at all.
            length = 0
        if limit is not None and length > limit:
            return exceptions.payload_too_large(request)
        return self.get_response(request)


class HeadMiddleware:
    """Answers HEAD with the status and headers GET would have, and no body.

    Django runs a GET view for HEAD, and a WSGI server is left to drop the body: Gunicorn
    logs a WARNING for every such response ("sent body bytes on a no-body response"), and a
    streamed body (a user's export) would be read whole first, every row of it, to be thrown
    away. Outside every other middleware but the request log, so it sees the final response:
    a rendered body leaves its length in Content-Length (CommonMiddleware's, or set here for
    a response answered before it, a probe's) and goes; a streamed one is replaced before
    anything iterates it (its generator never starts, so it runs no query), and, as for GET,
    has no Content-Length unless it set one itself (a file's size).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.method != "HEAD":
            return response
        if isinstance(response, StreamingHttpResponse):
            # An unstarted generator needs no closing; what the response holds open (a
            # FileResponse's file) response.close() still closes, as the server calls it.
            response.streaming_content = []
        elif isinstance(response, HttpResponse):
            if not response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response


class ProbeMiddleware:
    """Answers /healthz and /readyz before anything validates the Host header.

    Docker and orchestrators probe a container by its IP address, which ALLOWED_HOSTS
    rightly does not list; the probes build no URLs, so the Host check protects nothing there.
    """

    PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
        "/healthz": health.healthz,
        "/readyz": health.readyz,
    }

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = self.PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)


def _refused_parameter(key: str, values: list[str]) -> bool:
    """A NUL anywhere, or a regular-expression lookup (`?title__regex=`): an invalid pattern
    fails in the database (on SQLite inside its Python function, an OperationalError like a
    database that is down), and a valid one may backtrack over every row."""
    return "\x00" in key or any("\x00" in value for value in values) or key.endswith(("__regex", "__iregex"))


class AdminBadInputMiddleware:
    """Answers 400 to an admin request whose input the ORM or the database cannot take. The
    admin hands what a URL or a form names to the ORM as it is: list filters and lookups on a
    model's fields (`?id__regex=(a`, `?username__startswith=` with a NUL, which PostgreSQL text
    cannot hold), a date hierarchy's year (`?date_joined__year=9999`: the year after it does
    not exist), an action's selected ids (`abc`), an autocomplete field's value. Each fails as
    a ValueError, OverflowError, ValidationError or DataError, which Django would answer with a
    500. A NUL and a regular-expression lookup are refused before the view; the rest when the
    view or its page raises them.
    Only under /admin/, whose pages are Django's: the API validates each parameter itself."""

    INPUT_ERRORS = (ValueError, OverflowError, ValidationError, DataError)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/admin/") and any(
            _refused_parameter(key, values) for key, values in request.GET.lists()
        ):
            return exceptions.bad_request(request, ValueError("a refused query parameter"))
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not (request.path_info.startswith("/admin/") and isinstance(exception, self.INPUT_ERRORS)):
            return None
        # Logged: a 400 here may also hide a bug of ours that input happened to reach.
        logger.warning("admin input refused: %s %s: %r", request.method, request.path, exception)
        return exceptions.bad_request(request, exception)
