"""Settings of the API: JWT, Django REST framework and the OpenAPI schema. Part of
`music_discovery.settings`, which imports all of it (after reading `.env` into the
environment) and sets what depends on the environment's kind (NUM_PROXIES); kept apart as a
concern of its own."""

from __future__ import annotations

from datetime import timedelta

import environ

env = environ.Env()

__all__ = ["SIMPLE_JWT", "REST_FRAMEWORK", "SPECTACULAR_SETTINGS"]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Ours refuse a token whose user claim is not a user id, or whose jti the blacklist
    # cannot store (a 401, not a 500).
    "AUTH_TOKEN_CLASSES": ("users.tokens.AccessToken",),
    # Each token carries a hash of the user's password hash: once the password changes, the
    # access tokens issued before are refused at once, not at the end of their lifetime.
    "CHECK_REVOKE_TOKEN": True,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "music_discovery.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    # JSON everywhere, as the contract says: a form or multipart body is a 415 (the
    # listening-history import alone also takes a file upload). JSON nested deeper than
    # music_discovery.parsers.MAX_JSON_DEPTH is a 400.
    "DEFAULT_PARSER_CLASSES": ["music_discovery.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "music_discovery.schema.AutoSchema",
    # JSON in every environment, errors included: the contract allows no HTML page under
    # /api/ (DRF's browsable API renders every answer as one); /api/docs/ is the page to
    # browse the API with.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # An unknown `?format=` is a 406, as an unknown Accept type is (DRF: a 404).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "music_discovery.negotiation.ContentNegotiation",
    "EXCEPTION_HANDLER": "music_discovery.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "music_discovery.throttling.AnonCountedThrottle",
        "music_discovery.throttling.SignedInRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="300/min"),
        "user": env.str("THROTTLE_USER", default="1200/min"),
        # Registration, login and credential changes: strict, against brute force and sign-up spam.
        "auth": env.str("THROTTLE_AUTH", default="10/min"),
        # Token refresh and logout, apart from the above (music_discovery/throttling.py).
        "token_refresh": env.str("THROTTLE_TOKEN_REFRESH", default="60/min"),
        # A refresh queues a computation of the whole catalog's scores.
        "recommendations_refresh": env.str("THROTTLE_RECOMMENDATIONS_REFRESH", default="30/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Music Discovery API",
    "DESCRIPTION": "Search a music catalog, rate songs, get explained recommendations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "music_discovery.schema.add_error_component",
        "music_discovery.schema.add_links",
        "catalog.schema.add_filter_bounds",
    ],
}
