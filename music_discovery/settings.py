"""Settings for Music Discovery: one module, driven by environment variables.

With no environment at all this is the embedded default: SQLite in the project,
a local-memory cache and Celery tasks executed in-process. ``DATABASE_URL`` switches
to PostgreSQL, ``REDIS_URL`` to a Redis cache and a real Celery broker. Production
(``DJANGO_ENV=production``) refuses to start without the values it cannot guess.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A `.env` file is optional; real environment variables win over it.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# ------------------------------------------------------------------------------
# Environment
# ------------------------------------------------------------------------------
DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured("DJANGO_ENV must be development, production or test")
IS_PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=False)
if IS_PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production")


def _development_secret_key() -> str:
    """A random key generated once per checkout and kept in an ignored file, so sessions
    and tokens survive restarts without any secret ever living in the repository."""
    path = BASE_DIR / ".secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(50)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(key)
        # Another process may have won the race: keep whichever landed first.
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        return path.read_text().strip()


if IS_PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY is required when DJANGO_ENV=production")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()

_local_hosts = ["localhost", "127.0.0.1", "[::1]", "testserver"]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if IS_PRODUCTION else _local_hosts)
if IS_PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DJANGO_ENV=production")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])

# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "corsheaders",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "users",
    "catalog",
    "recommendations",
    "analytics",
]

MIDDLEWARE = [
    "music_discovery.middleware.RequestLogMiddleware",
    # HEAD: GET's status and headers, no body, a streamed one never read (probes' too).
    "music_discovery.middleware.HeadMiddleware",
    "music_discovery.middleware.ProbeMiddleware",
    # 413 for any body over DATA_UPLOAD_MAX_MEMORY_SIZE, multipart files included, unread.
    "music_discovery.middleware.BodySizeLimitMiddleware",
    # 400 for admin input the ORM or the database cannot take (a 500 from Django's admin).
    "music_discovery.middleware.AdminBadInputMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Answers repeated anonymous song-list requests from the cache before the rest of the stack.
    "catalog.list_cache.SongListCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Lets the API's public reads go to replicas when DATABASE_REPLICA_URLS names any.
    "music_discovery.db_router.ReplicaReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "music_discovery.urls"
WSGI_APPLICATION = "music_discovery.wsgi.application"
AUTH_USER_MODEL = "users.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# Database
# ------------------------------------------------------------------------------
# An empty DATABASE_URL stands for a missing one (the embedded SQLite), as every empty
# setting here does; a URL whose scheme names no database Django knows is refused.
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
if not DATABASES["default"].get("ENGINE", "").startswith("django."):
    raise ImproperlyConfigured(
        "DATABASE_URL must be a postgres:// (or sqlite://) URL, e.g. postgres://user@host:5432/name"
    )
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if IS_POSTGRES:
    # An unreachable database host fails a request (and /readyz) in seconds, not minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
    if env.bool("DATABASE_POOL", default=False):
        # psycopg 3's pool inside each process; Django requires CONN_MAX_AGE=0 with it.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=8),
            "timeout": 10,
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Read replicas of the primary (music_discovery/db_router.py): comma-separated URLs.
    for _index, _url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[])):
        DATABASES[f"replica{_index}"] = {
            **DATABASES["default"],
            **{
                k: v
                for k, v in env.db_url_config(_url).items()
                if k in {"NAME", "USER", "PASSWORD", "HOST", "PORT"}
            },
            # Tests read the primary's test database through the replica's alias.
            "TEST": {"MIRROR": "default"},
        }
    if len(DATABASES) > 1:
        DATABASE_ROUTERS = ["music_discovery.db_router.ReplicaRouter"]
else:
    # WAL lets readers run beside a writer; IMMEDIATE makes a writing transaction take
    # the write lock up front instead of failing with "database is locked" half way.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

# ------------------------------------------------------------------------------
# Cache and Celery
# ------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# With REDIS_URL, the cache may live in a Redis of its own (docker-compose.yml does so), so
# that clearing the cache (FLUSHDB) or evicting from it never touches queued tasks.
REDIS_CACHE_URL = env.str("REDIS_CACHE_URL", default="") or REDIS_URL
# Seconds a Redis call may take before the cache gives up (and degrades) or a
# publish fails: an API request must never hang on a dead Redis.
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)


def _redis_cache(*, ignore_exceptions: bool) -> dict:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_CACHE_URL,
        "KEY_PREFIX": "md",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            "IGNORE_EXCEPTIONS": ignore_exceptions,
        },
    }


if REDIS_URL:
    CACHES = {
        # A Redis outage degrades to cache misses, never to a 500.
        "default": _redis_cache(ignore_exceptions=True),
        # The same entries, read by the credential throttle only, which refuses an attempt it
        # cannot count (a 503) rather than let it through: this one raises its errors.
        "credentials": _redis_cache(ignore_exceptions=False),
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    # Both aliases on one in-process store (LocMemCache shares it by LOCATION).
    CACHES = {
        alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "music-discovery"}
        for alias in ("default", "credentials")
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without Redis, tasks run in-process at .delay() time: the embedded default needs no server.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=DJANGO_ENV == "test")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = timedelta(hours=24)
CELERY_TIMEZONE = "UTC"
# A task is acknowledged after it ran, and re-queued if its worker dies mid-way:
# every task must therefore be idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Celery's consumer, made to survive a broker restart while it holds an unacknowledged task.
CELERY_WORKER_CONSUMER = "music_discovery.worker_consumer:Consumer"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Time limits stay well below the visibility timeout, so Redis never hands a task that is
# still running to a second worker.
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_timeout": max(REDIS_SOCKET_TIMEOUT, 5.0),
    # Publishing to a dead broker must fail fast instead of retrying forever.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.2,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_timeout": max(REDIS_SOCKET_TIMEOUT, 5.0),
    # Celery's default reconnects to the result store for ~20 s before a publish fails.
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.2},
}
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.2,
}
# The periodic jobs, their periods and the queues they run on: a module of their own.
from music_discovery.settings_jobs import *  # noqa: E402, F403

# ------------------------------------------------------------------------------
# Auth
# ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "users.validators.NotOnlyWhitespaceValidator"},
    {"NAME": "users.validators.MaximumLengthValidator"},
]
if DJANGO_ENV == "test":
    # Hashing dominates a test suite that creates hundreds of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# JWT, REST framework and the schema: a module of their own.
from music_discovery.settings_api import *  # noqa: E402, F403

# Nginx sits in front in production: trust exactly one X-Forwarded-For hop.
REST_FRAMEWORK["NUM_PROXIES"] = env.int("NUM_PROXIES", default=1 if IS_PRODUCTION else 0)  # noqa: F405

# ------------------------------------------------------------------------------
# Analytics
# ------------------------------------------------------------------------------
# An event's `context`, as JSON, at most this many bytes (500 of them fit a request body).
ANALYTICS_CONTEXT_MAX_BYTES = env.int("ANALYTICS_CONTEXT_MAX_BYTES", default=1024)
# Events older than this many whole months are dropped (a month's partition at a time on
# PostgreSQL); 0 keeps them forever. The rollups (trends, statistics) are kept.
ANALYTICS_RETENTION_MONTHS = env.int("ANALYTICS_RETENTION_MONTHS", default=0)
# Months of event partitions kept created ahead of now.
ANALYTICS_PARTITIONS_AHEAD = 2
# Trends and summary are served from a cached snapshot, recomputed by the snapshot job
# (ANALYTICS_TRENDS_SECONDS) when the rollups took events, or, on the embedded default, after
# each refresh that applied some; this long at most (time moves the windows even without events).
ANALYTICS_SNAPSHOT_SECONDS = env.int("ANALYTICS_SNAPSHOT_SECONDS", default=300)
# The largest listening history POST /api/analytics/import/ takes (bigger ones: the
# import_listens command, which has no limit).
ANALYTICS_IMPORT_MAX_BYTES = env.int("ANALYTICS_IMPORT_MAX_BYTES", default=16 * 1024 * 1024)

# ------------------------------------------------------------------------------
# Requests, static files, i18n
# ------------------------------------------------------------------------------
# Any body over this size (JSON, form or multipart, files included) is refused with 413
# before it is read: music_discovery.middleware.BodySizeLimitMiddleware.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# The largest batch POST /api/analytics/activity/ takes, so that none the endpoint accepts is
# refused for how its JSON escapes: 500 events (analytics.events_in.MAX_BATCH), each with a
# context of ANALYTICS_CONTEXT_MAX_BYTES as the server measures it (compact UTF-8), which an
# encoder escaping all but printable ASCII (Python's default) writes up to 6 times as long
# (DEL, one byte, as `\u007f`), and 2 KiB for its other fields (an event_id and a spotify_id
# of 64 characters, up to 12 bytes each escaped). At the defaults 4,096,000 bytes: nginx's
# limit for that path matches (4000k).
ANALYTICS_ACTIVITY_MAX_BYTES = 500 * (6 * ANALYTICS_CONTEXT_MAX_BYTES + 2048)
# Paths whose bodies may be larger than DATA_UPLOAD_MAX_MEMORY_SIZE, with their own limit.
BODY_SIZE_LIMITS_BY_PATH = {
    "/api/analytics/import/": ANALYTICS_IMPORT_MAX_BYTES,
    "/api/analytics/activity/": ANALYTICS_ACTIVITY_MAX_BYTES,
}

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# Where the processes of this machine share the catalog's arrays (recommendations/snapshot.py):
# written by this project only.
CATALOG_SNAPSHOT_DIR = env.str("CATALOG_SNAPSHOT_DIR", default=str(BASE_DIR / "var" / "snapshots"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------------------
# Security
# ------------------------------------------------------------------------------
# A proxy in front (NUM_PROXIES, as for the client address) sets X-Forwarded-Proto from the
# connection it accepted; without one the header is the client's own claim, and trusting it
# would let a client over plain HTTP pass for HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if REST_FRAMEWORK["NUM_PROXIES"] else None  # noqa: F405
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
# Health probes come from inside the network over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=IS_PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=IS_PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if IS_PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
SECURE_HSTS_PRELOAD = IS_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A CSRF refusal under /api/ answers JSON, like every other error there.
CSRF_FAILURE_VIEW = "music_discovery.exceptions.csrf_failure"

# Logging: one line per request and per task, JSON lines when LOG_FORMAT=json; a module of
# its own.
from music_discovery.settings_logging import *  # noqa: E402, F403

# ------------------------------------------------------------------------------
# Spotify (optional): without credentials, recommendations use the local catalog only
# ------------------------------------------------------------------------------
SPOTIFY_CLIENT_ID = env.str("SPOTIFY_CLIENT_ID", default="")
SPOTIFY_CLIENT_SECRET = env.str("SPOTIFY_CLIENT_SECRET", default="")
if bool(SPOTIFY_CLIENT_ID) != bool(SPOTIFY_CLIENT_SECRET):
    # Half a configuration would silently leave Spotify off.
    raise ImproperlyConfigured("SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET go together: set both or neither")
# Seconds one Spotify request may take (a worker never hangs on it).
SPOTIFY_REQUEST_TIMEOUT = env.float("SPOTIFY_REQUEST_TIMEOUT", default=5.0)
# The longest a task waits before retrying after a 429: Spotify's Retry-After, capped.
SPOTIFY_RETRY_AFTER_MAX = env.int("SPOTIFY_RETRY_AFTER_MAX", default=900)
# The Spotify tasks live below the recommendations app, where autodiscovery (which imports
# `<app>.tasks` only) does not look.
CELERY_IMPORTS = ["recommendations.spotify.tasks"]
