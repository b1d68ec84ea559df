"""Shared builders for the users tests: the factories' password, a registration body, logins."""

from __future__ import annotations

from django.conf import settings
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

# What the API shows of a user: never the password or the permission flags.
USER_KEYS = {"id", "username", "email", "first_name", "last_name", "profile", "date_joined"}

# The password tests.factories.UserFactory gives every user.
PASSWORD = "correct-horse-battery-staple"


def registration(**overrides: object) -> dict:
    body: dict = {
        "username": "newlistener",
        "email": "new.listener@Example.COM",
        "password": "tangerine-volcano-41",
        "first_name": "New",
        "last_name": "Listener",
        "profile": {
            "favorite_genres": ["indie pop", "  jazz ", "", "Jazz"],
            "favorite_artists": ["Björk"],
            "moods": ["Happy", "calm"],
        },
    }
    body.update(overrides)
    return body


def auth_rate(scope: str = "auth") -> int:
    """How many requests a throttle scope (by default the strict 'auth' one) accepts per
    period, as configured."""
    num_requests, _ = ScopedRateThrottle().parse_rate(
        settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]
    )
    assert num_requests is not None
    return num_requests


def token_refresh_rate() -> int:
    """How many token refreshes or logouts the 'token_refresh' scope accepts per period."""
    return auth_rate("token_refresh")


def obtain(api_client: APIClient, username: str, password: str = PASSWORD) -> Response:
    return api_client.post("/api/auth/token/", {"username": username, "password": password}, format="json")
