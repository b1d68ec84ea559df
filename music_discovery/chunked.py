"""Request bodies sent chunked, given to Django with their length."""

from __future__ import annotations

import io
from collections.abc import Callable


class ChunkedBodies:
    """Wraps the WSGI application (`wsgi.py`) so that Django gets a body sent chunked,
    without a Content-Length: Django reads CONTENT_LENGTH bytes of a body, so it would read
    such a body as empty (a valid rating refused as "This field is required"). nginx sends
    every body upstream with its length; Gunicorn alone passes the chunks on as they come.
    The body is read here up to `limit` bytes and one more, and given its length, so that
    `middleware.BodySizeLimitMiddleware` refuses what is over its path's limit (413) as it
    does any body."""

    def __init__(self, application: Callable, limit: int) -> None:
        self.application = application
        self.limit = limit

    def __call__(self, environ: dict, start_response: Callable) -> object:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            stream, parts, size = environ["wsgi.input"], [], 0
            while size <= self.limit and (part := stream.read(min(65536, self.limit + 1 - size))):
                parts.append(part)
                size += len(part)
            environ["wsgi.input"] = io.BytesIO(b"".join(parts))
            environ["CONTENT_LENGTH"] = str(size)
        return self.application(environ, start_response)
