"""`music_discovery.chunked`: a body sent chunked is read as far as its path accepts."""

from __future__ import annotations

import io

from django.conf import settings

from music_discovery.chunked import ChunkedBodies


def read_length(path: str, size: int) -> int:
    """The length the wrapped application is given for `size` bytes sent chunked to `path`."""
    given = {}

    def application(environ, start_response):
        given["length"] = int(environ["CONTENT_LENGTH"])
        return []

    environ = {"PATH_INFO": path, "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b"x" * size)}
    ChunkedBodies(application)(environ, None)
    return given["length"]


def test_a_body_is_read_whole_within_its_paths_limit():
    assert read_length("/api/ratings/", 1000) == 1000


def test_a_body_is_read_no_further_than_its_paths_limit_and_one_byte():
    """Past it the body is refused (413) whatever follows: a 1 MiB path does not read the
    16 MiB an import may send."""
    small, large = (
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        settings.BODY_SIZE_LIMITS_BY_PATH["/api/analytics/import/"],
    )

    assert read_length("/api/ratings/", large + 10) == small + 1
    assert read_length("/api/analytics/import/", large + 10) == large + 1
