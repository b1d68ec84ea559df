import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from music_discovery import health

logger = logging.getLogger("music_discovery.requests")


class RequestLogMiddleware:
    """One log line per request: method, path, status and duration.

    First in MIDDLEWARE, so the duration covers every other middleware and a request that
    another middleware answers early (a redirect, a 400 for a bad Host) is logged too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
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
            },
        )
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
