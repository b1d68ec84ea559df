"""The strict throttle on credentials, shared by the API's auth endpoints and the admin login."""

from __future__ import annotations

import math

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import SimpleRateThrottle

# Sign-up, the token endpoints, logout, credential changes and the admin login share this
# strict rate (settings: DEFAULT_THROTTLE_RATES), against brute force and sign-up spam.
AUTH_THROTTLE_SCOPE = "auth"


class LoginThrottle(SimpleRateThrottle):
    """The `auth` scope counted per client address, in the same cache entries as DRF's
    ScopedRateThrottle keeps for an anonymous caller: guesses at the admin login and at the
    API's token endpoint from one address draw on one allowance."""

    scope = AUTH_THROTTLE_SCOPE

    def get_cache_key(self, request: HttpRequest, view: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """The admin's login view, with each submitted attempt counted against the `auth` rate;
    past it, a 429 with Retry-After (showing the form stays free)."""
    if request.method == "POST":
        throttle = LoginThrottle()
        if not throttle.allow_request(request, None):
            response = HttpResponse(
                "Too many login attempts. Try again later.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(math.ceil(throttle.wait() or 1))
            return response
    return admin.site.login(request, extra_context)
