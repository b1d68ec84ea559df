# syntax=docker/dockerfile:1
# The production image: Gunicorn serving Django (static files by WhiteNoise), and the same
# image runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The app's own user; what it writes at runtime goes to /app/var (Gunicorn's control socket,
# beat's schedule, the catalog snapshots), the only directory it owns. A named volume mounted
# on a directory of it starts with that directory's owner.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
# psycopg's binary wheel bundles libpq, so no compiler or system library is needed.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

# The key exists only for this command: production settings refuse to load without one,
# and collectstatic neither signs nor stores anything with it.
RUN DJANGO_ENV=production SECRET_KEY=collectstatic-build-only ALLOWED_HOSTS=build.invalid \
        python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var/snapshots \
    && chown -R app:app /app/var

# Numeric, so that a runtime enforcing "run as non-root" can verify it without /etc/passwd.
USER 10001:10001

ENV DJANGO_ENV=production \
    PORT=8000
EXPOSE 8000

# Liveness only (see music_discovery/health.py): a database outage must not get the web
# container restarted. The image has no curl; Python's urllib is enough.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz\", timeout=4)"]

CMD ["gunicorn", "--config", "gunicorn.conf.py", "music_discovery.wsgi"]
