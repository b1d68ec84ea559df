"""The API's throttles: each caller counted in one scope (anonymous callers by address,
users by account), the strict throttle on credentials, shared by the API's sign-up, login
and credential changes and the admin login, and the one on token refresh and logout."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast

from django.contrib import admin
from django.core.cache import BaseCache, caches
from django.http import HttpRequest, HttpResponse
from django.utils.connection import ConnectionProxy
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import (
    AnonRateThrottle,
    ScopedRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)

from music_discovery.unavailable import CredentialCountUnavailable

if TYPE_CHECKING:
    # rest_framework.views loads the throttle classes as it is imported.
    from rest_framework.views import APIView

# Sign-up, login, credential changes and the admin login share this strict rate (settings:
# DEFAULT_THROTTLE_RATES), against password guessing, account enumeration and sign-up spam.
AUTH_THROTTLE_SCOPE = "auth"
# Token refresh and logout count in a scope of their own: they take a token only a login
# issued, so there is nothing to guess, and every signed-in client refreshes every few
# minutes. In the `auth` scope, ten failed sign-ups from one address (a NAT, an office)
# kept everyone behind it from refreshing.
TOKEN_REFRESH_THROTTLE_SCOPE = "token_refresh"


class CountedRateThrottle(SimpleRateThrottle):
    """DRF's rate, counted atomically: each request adds one to its caller's count for the
    current period in the cache (`add`, then `incr`), where DRF reads the caller's history,
    appends to it and writes it back, so that concurrent requests in several worker processes
    overwrote each other's counts (1,260 requests in 11 s from 6 parallel clients all
    answered against a rate of 1,200 a minute). A count per fixed period: a burst straddling
    two periods may reach twice the rate within one period's length, never more."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        # Set from the rate by DRF's __init__ (or ScopedRateThrottle's allow_request).
        allowed, duration = self.num_requests, self.duration  # type: ignore[attr-defined]
        self.now = self.timer()
        period = int(self.now // duration)
        self.period_end = (period + 1) * duration
        self.key = f"{key}:{period}"
        self.cache.add(self.key, 0, duration + 1)
        try:
            count = self.cache.incr(self.key)
        except ValueError:  # expired between the two calls: a period of its own
            self.cache.add(self.key, 1, duration + 1)
            count = 1
        # None: the default cache turns an error into a miss, and lets the request through.
        return count is None or count <= allowed

    def wait(self) -> float:
        return max(self.period_end - self.now, 1.0)


class AnonCountedThrottle(AnonRateThrottle, CountedRateThrottle):
    """The `anon` rate, per address, counted atomically."""


class ScopedCountedThrottle(ScopedRateThrottle, CountedRateThrottle):
    """A view's own scope (`throttle_scope`), counted atomically."""


class SignedInRateThrottle(UserRateThrottle, CountedRateThrottle):
    """The `user` rate, for signed-in users only. DRF's UserRateThrottle also counts an
    anonymous caller by address, beside AnonRateThrottle's stricter count of the same
    address: two more cache round trips a request for a limit that never refused one first.
    Anonymous callers are AnonRateThrottle's alone."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


# The `auth` and `token_refresh` scopes' counts are kept in a cache of their own (settings.CACHES), the same
# Redis as the default one but raising its errors, where the default one turns them into
# misses: an attempt that cannot be counted is refused, never let through uncounted.
CREDENTIALS_CACHE = "credentials"
_credential_counts = cast(BaseCache, ConnectionProxy(caches, CREDENTIALS_CACHE))


# What the credentials cache raises when Redis is out of reach.
_STORE_ERRORS = (ConnectionInterrupted, RedisError, OSError)


@contextmanager
def _refused_uncounted() -> Iterator[None]:
    try:
        yield
    except _STORE_ERRORS as exc:
        raise CredentialCountUnavailable() from exc


class CredentialThrottle(ScopedCountedThrottle):
    """DRF's ScopedRateThrottle, on the credentials cache (the `auth` and `token_refresh`
    scopes' views)."""

    cache = _credential_counts

    def allow_request(self, request: Request, view: APIView) -> bool:
        with _refused_uncounted():
            return super().allow_request(request, view)


class LoginThrottle(CountedRateThrottle):
    """The `auth` scope counted per client address, in the same cache entries as
    CredentialThrottle keeps for an anonymous caller: guesses at the admin login and at the
    API's token endpoint from one address draw on one allowance."""

    scope = AUTH_THROTTLE_SCOPE
    cache = _credential_counts

    def get_cache_key(self, request: Request, view: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request: Request, view: APIView) -> bool:
        with _refused_uncounted():
            return super().allow_request(request, view)


class AccountThrottle(LoginThrottle):
    """The `auth` scope counted per signed-in account (per address otherwise), in the same
    cache entries as CredentialThrottle keeps for a user: the admin's password change and the
    API's credential changes of one account draw on one allowance."""

    # DRF's key of a signed-in caller's account, else of its address, in this scope.
    get_cache_key = UserRateThrottle.get_cache_key  # type: ignore[assignment]  # never None here


def _refused(request: HttpRequest, throttle: LoginThrottle, message: str) -> HttpResponse | None:
    """A 429 with Retry-After when this submitted attempt is over the `auth` rate (a 503 when
    it cannot be counted), else None."""
    # DRF's throttles read only request.META and request.user (a Django request has both)
    # and no view; the stubs ask for DRF's Request and a view, which the admin has neither of.
    try:
        allowed = throttle.allow_request(request, None)  # type: ignore[arg-type]
    except CredentialCountUnavailable as exc:
        response = HttpResponse(str(exc.detail), status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(exc.retry_after)
        return response
    if allowed:
        return None
    response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(math.ceil(throttle.wait() or 1))
    return response


def admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """The admin's login view, with each submitted attempt counted against the `auth` rate;
    past it, a 429 with Retry-After (showing the form stays free)."""
    if request.method == "POST":
        refused = _refused(request, LoginThrottle(), "Too many login attempts. Try again later.")
        if refused is not None:
            return refused
    return admin.site.login(request, extra_context)


def _admin_password_change(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    if request.method == "POST":
        refused = _refused(request, AccountThrottle(), "Too many password change attempts. Try again later.")
        if refused is not None:
            return refused
    return admin.site.password_change(request, extra_context)


# The admin's own password change (it asks for the old password), each submitted attempt
# counted per account against the `auth` rate as the API's credential changes are: a stolen
# admin session could otherwise guess the password without limit. Wrapped as the admin wraps
# its views (staff only, CSRF, never cached).
admin_password_change = admin.site.admin_view(_admin_password_change)
