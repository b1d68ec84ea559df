"""Request bodies sent chunked, given to Django with their length; and the largest body a
path accepts, which both this and `middleware.BodySizeLimitMiddleware` read."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.conf import settings


def body_limit(path: str) -> int | None:
    """The largest body `path` accepts, in bytes (None: no limit): its own in
    BODY_SIZE_LIMITS_BY_PATH (an upload of a listening history), else
    DATA_UPLOAD_MAX_MEMORY_SIZE."""
    return settings.BODY_SIZE_LIMITS_BY_PATH.get(path, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


class ChunkedBodies:
    """Wraps the WSGI application (`wsgi.py`) so that Django gets a body sent chunked,
    without a Content-Length: Django reads CONTENT_LENGTH bytes of a body, so it would read
    such a body as empty (a valid rating refused as "This field is required"). nginx sends
    every body upstream with its length; Gunicorn alone passes the chunks on as they come.
    The body is read here up to its path's limit (`body_limit`) and one byte more, and given
    its length, so that `middleware.BodySizeLimitMiddleware` refuses what is over that limit
    (413) as it does any body."""

    def __init__(self, application: Callable) -> None:
        self.application = application

    def __call__(self, environ: dict, start_response: Callable) -> object:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            limit = body_limit(environ.get("PATH_INFO", ""))
            stream, parts, size = environ["wsgi.input"], [], 0
            while (limit is None or size <= limit) and (
                part := stream.read(65536 if limit is None else min(65536, limit + 1 - size))
            ):
                parts.append(part)
                size += len(part)
            environ["wsgi.input"] = io.BytesIO(b"".join(parts))
            environ["CONTENT_LENGTH"] = str(size)
        return self.application(environ, start_response)
