"""WSGI entry point, served by Gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

from music_discovery.chunked import ChunkedBodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")

# A body sent chunked is read as far as its path accepts, and one byte more.
application = ChunkedBodies(get_wsgi_application())
