"""WSGI entry point, served by Gunicorn."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from music_discovery.chunked import ChunkedBodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")

django_application = get_wsgi_application()
# A chunked body is read as far as the largest body any path accepts, and one byte more.
application = ChunkedBodies(
    django_application,
    max(
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        *(limit for limit in settings.BODY_SIZE_LIMITS_BY_PATH.values() if limit is not None),
    ),
)
