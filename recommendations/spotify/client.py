"""The one door to Spotify's Web API, through spotipy.

What spotipy gets wrong for a worker, and how this module deals with it:
- Its default session retries 429 and 5xx inside the call, sleeping for Retry-After, which
  can block a worker for up to an hour. With `retries=0, status_retries=0` alone its
  session still raises urllib3's retry error on the first 429 or 5xx, which spotipy
  reports as a 429 *without* the Retry-After header, a 503 included. So spotipy gets a
  plain `requests.Session` (no retry adapter): a 429 arrives with its header and a 5xx
  with its status, and the Celery task decides when to try again.
- The access token lives in Django's cache (`DjangoCacheTokenHandler`), so every worker
  process shares one token until it expires rather than each fetching its own, and a
  restarted worker reuses it. With Redis (REDIS_URL) the cache is shared; without it, it
  is per process, which is still correct. A cache outage only costs a token request.
- A 401 (the token expired early or was revoked) drops the cached token and retries the
  call once with a fresh one; a second 401 means the credentials are refused.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

import requests
import spotipy
from django.conf import settings
from django.core.cache import cache
from spotipy.cache_handler import CacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOauthError

logger = logging.getLogger(__name__)

# The most items a search page may hold for a new app (2026).
SEARCH_PAGE_LIMIT = 10
# Retry-After Spotify may omit; then this many seconds.
DEFAULT_RETRY_AFTER = 5
# A token is dropped from the cache this long before Spotify says it expires, as spotipy
# itself treats a token within 60 s of expiry as expired.
_TOKEN_EXPIRY_MARGIN = 60
# OAuth errors that mean the credentials themselves are refused (RFC 6749, 5.2).
_REFUSED_CREDENTIALS = {"invalid_client", "unauthorized_client", "invalid_grant", "invalid_request"}


class SpotifyError(Exception):
    """Spotify could not answer; the subclasses say whether trying again can help."""


class SpotifyDisabledError(SpotifyError):
    """No credentials: Spotify is off."""


class SpotifyRateLimitedError(SpotifyError):
    """429: try again after `retry_after` seconds (Spotify's Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Spotify rate limit: retry after {retry_after} s")
        self.retry_after = retry_after


class SpotifyUnavailableError(SpotifyError):
    """A 5xx, a timeout or a network error: try again later, backing off."""


class SpotifyRefusedError(SpotifyError):
    """The credentials, or a request, are refused (401 twice, 403, 400): trying again
    cannot help."""


def spotify_enabled() -> bool:
    return bool(settings.SPOTIFY_CLIENT_ID and settings.SPOTIFY_CLIENT_SECRET)


class DjangoCacheTokenHandler(CacheHandler):
    """spotipy's token cache in Django's cache, one entry per client id."""

    def __init__(self, client_id: str) -> None:
        digest = hashlib.sha256(client_id.encode()).hexdigest()[:16]
        self.key = f"spotify:token:{digest}"

    def get_cached_token(self) -> dict[str, Any] | None:
        return cache.get(self.key)

    def save_token_to_cache(self, token_info: dict[str, Any]) -> None:
        timeout = max(int(token_info.get("expires_in", 3600)) - _TOKEN_EXPIRY_MARGIN, 1)
        cache.set(self.key, token_info, timeout=timeout)

    def clear(self) -> None:
        cache.delete(self.key)


class SpotifyClient:
    """Search, one track, one artist: nothing a new app may no longer call."""

    def __init__(self, *, client_id: str, client_secret: str, timeout: float) -> None:
        self.tokens = DjangoCacheTokenHandler(client_id)
        auth = SpotifyClientCredentials(
            client_id=client_id,
            client_secret=client_secret,
            requests_timeout=timeout,
            cache_handler=self.tokens,
        )
        self._api = spotipy.Spotify(
            auth_manager=auth,
            retries=0,
            status_retries=0,
            requests_timeout=timeout,
            requests_session=requests.Session(),
        )

    def track(self, spotify_id: str) -> dict[str, Any] | None:
        """`GET /v1/tracks/{id}`; None when Spotify has no such track (404, or an id that
        is not a Spotify id, which spotipy refuses as a 400 without asking)."""
        return self._call(self._api.track, spotify_id, missing_ok=True)

    def artist(self, spotify_id: str) -> dict[str, Any] | None:
        """`GET /v1/artists/{id}`; None when Spotify has no such artist."""
        return self._call(self._api.artist, spotify_id, missing_ok=True)

    def search_tracks(self, query: str, *, offset: int = 0) -> dict[str, Any]:
        """`GET /v1/search?type=track&limit=10`: one page, `{tracks: {items, limit, next,
        offset, total}}`."""
        result = self._call(self._api.search, query, limit=SEARCH_PAGE_LIMIT, offset=offset, type="track")
        return result or {}

    def _call(self, method: Callable[..., Any], *args: Any, missing_ok: bool = False, **kwargs: Any) -> Any:
        for attempt in (1, 2):
            try:
                return method(*args, **kwargs)
            except spotipy.SpotifyException as error:
                if error.http_status == 401 and attempt == 1:
                    logger.info("Spotify refused the access token; asking for a fresh one")
                    self.tokens.clear()
                    continue
                if missing_ok and error.http_status in (400, 404):
                    return None
                raise _translated(error) from error
            except SpotifyOauthError as error:
                raise _translated_oauth(error) from error
            except requests.RequestException as error:
                raise SpotifyUnavailableError(f"Spotify did not answer: {error}") from error
        raise AssertionError("unreachable: the loop returns or raises")


def _translated(error: spotipy.SpotifyException) -> SpotifyError:
    status = error.http_status
    if status == 429:
        return SpotifyRateLimitedError(_retry_after(error.headers or {}))
    if status >= 500:
        return SpotifyUnavailableError(f"Spotify answered {status}")
    return SpotifyRefusedError(f"Spotify refused the request ({status}): {error.msg}")


def _translated_oauth(error: SpotifyOauthError) -> SpotifyError:
    if error.error in _REFUSED_CREDENTIALS:
        return SpotifyRefusedError(f"Spotify refused the credentials: {error.error}")
    return SpotifyUnavailableError(f"Spotify's token endpoint failed: {error}")


def _retry_after(headers: Any) -> int:
    try:
        return max(int(headers.get("Retry-After")), 0)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def spotify_client() -> SpotifyClient:
    """A client from the settings; SpotifyDisabledError when Spotify is off."""
    if not spotify_enabled():
        raise SpotifyDisabledError("Spotify is off: SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET are not set")
    return SpotifyClient(
        client_id=settings.SPOTIFY_CLIENT_ID,
        client_secret=settings.SPOTIFY_CLIENT_SECRET,
        timeout=settings.SPOTIFY_REQUEST_TIMEOUT,
    )
