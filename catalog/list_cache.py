"""A short-lived cache of anonymous song-list responses, read and stored in one place:
`SongListCacheMiddleware`.

It sits early in the middleware stack (after the security, static-file and CORS
middleware, before sessions, CSRF, authentication, URL resolution and DRF), so a hit costs
one cache read and nothing else: measured through the WSGI handler, answering hits from
the view instead cost ~100 us more each (sessions, CSRF, auth, messages, URL resolution),
a quarter of a hit's cost. A hit therefore does not count against the anonymous throttle,
which protects the database and is spent only by requests that reach it. A miss goes
through the stack, and the middleware keeps its rendered 200 JSON response on the way
out. Only anonymous requests are cached (no Authorization header, no session cookie), so
nothing user-specific (`my_rating`) is ever shared; a Redis outage turns hits into misses
(the cache ignores its errors).
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost, ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from rest_framework.exceptions import NotAcceptable
from rest_framework.request import Request

from catalog.filters import SearchField

# Short, because the rating aggregates shown in the list change in the background.
LIST_CACHE_SECONDS = 15
LIST_CACHE_PREFIX = "catalog:songs:list:"
# The headers of the view's response a hit repeats; the rest is the same for every request.
KEPT_HEADERS = ("Content-Type", "Vary", "Allow", "X-Total-Count-Exact")
# The only rendering kept: what the view answers a request accepting JSON or anything.
JSON = "application/json"
# The search text as the list's filter reads it.
_SEARCH = SearchField(required=False)


def list_cache_key(request: HttpRequest) -> str | None:
    """A key for an anonymous JSON GET of the list, or None when it must not be cached.

    The query string is normalized (parameters sorted by name, normalized search text) so
    that equivalent requests share one entry; a repeated parameter keeps its values in their
    order, since the last one is the one that counts. Scheme and host are part of the key
    because the pagination links in the body are absolute URLs.
    """
    if request.method != "GET" or "HTTP_AUTHORIZATION" in request.META:
        return None
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    if not _renders_plain_json(request):
        return None
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    params = []
    for name, value in parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True):
        if name == "format":
            return None
        if name == "search":
            try:
                value = _SEARCH.clean(value)
            except ValidationError:
                # Refused by the view (a NUL), yet its normalized text is that of a valid
                # search, whose cached 200 it must not be answered with.
                return None
        params.append((name, value))
    params.sort(key=lambda param: param[0])  # stable: a name's values stay in their order
    identity = f"{request.scheme}://{host}?{urlencode(params)}"
    return LIST_CACHE_PREFIX + hashlib.sha256(identity.encode()).hexdigest()


def _renders_plain_json(request: HttpRequest) -> bool:
    """Whether the list's content negotiation, DRF's as the view runs it, answers this
    request's Accept with plain `application/json`, the only answer kept (`list_cache_store`):
    a request the view would refuse (a 406: `Accept: application/xml`, or `text/html` alone)
    or render otherwise (`application/json; indent=4`) gets the view's own answer, never a
    cached one, so that the answer does not depend on what the cache holds."""
    return _accept_renders_plain_json(request.META.get("HTTP_ACCEPT"))


# Clients send few distinct Accept headers: each one's answer is kept, so that a cached
# list's hit pays no negotiation (the least recently asked dropped past the bound, so that
# varied headers cannot grow it).
@functools.lru_cache(maxsize=64)
def _accept_renders_plain_json(accept: str | None) -> bool:
    from catalog.views.songs import SongListView  # here: the view reads this module's settings

    view = SongListView()
    # A request with this Accept alone: `format=` is left out of the key before this is
    # asked, and nothing else of a request counts in the negotiation.
    bare = HttpRequest()
    if accept is not None:
        bare.META["HTTP_ACCEPT"] = accept
    asked = Request(bare)
    try:
        _renderer, media_type = view.get_content_negotiator().select_renderer(asked, view.get_renderers())
    except NotAcceptable:
        return False
    return media_type == JSON


def list_cache_store(key: str, response) -> None:
    """Keep a rendered 200 JSON response of the list under `key`."""
    headers = {name: response[name] for name in KEPT_HEADERS if name in response}
    expires_at = _now() + LIST_CACHE_SECONDS
    cache.set(key, (response.content, headers, expires_at), LIST_CACHE_SECONDS)


# Each process also keeps the entries it has served in memory, until the moment the shared
# entry expires (so no copy lives longer than LIST_CACHE_SECONDS after it was rendered): a
# popular search then costs no Redis round trip at all, which is most of a hit's cost.
LOCAL_ENTRIES = 512
# Wall-clock time, shared by every process that reads the entries.
_now = time.time
_local: OrderedDict[str, tuple[bytes, dict, float]] = OrderedDict()
_local_lock = threading.Lock()


def _local_get(key: str, now: float) -> tuple[bytes, dict, float] | None:
    entry = _local.get(key)
    if entry is not None and entry[2] > now:
        return entry
    return None


def _local_put(key: str, entry: tuple[bytes, dict, float]) -> None:
    with _local_lock:
        _local[key] = entry
        _local.move_to_end(key)
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)


def list_cache_clear_local() -> None:
    """Forget this process's copies (the shared cache is left alone)."""
    with _local_lock:
        _local.clear()


def list_cache_response(key: str) -> HttpResponse | None:
    now = _now()
    entry = _local_get(key, now)
    if entry is None:
        cached = cache.get(key)
        if not isinstance(cached, tuple) or len(cached) != 3 or cached[2] <= now:
            return None
        entry = cached
        _local_put(key, entry)
    content, headers, _expires_at = entry
    response = HttpResponse(content, headers=headers)
    response["X-Cache"] = "hit"
    # The clickjacking middleware, which the hit skips, would have said the same.
    response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    return response


class SongListCacheMiddleware:
    """Answers a cached anonymous GET of the song list before the rest of the stack runs,
    and keeps the list's rendered 200 JSON responses to such requests."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._list_path: str | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._list_path is None:
            self._list_path = reverse("song-list")
        key = list_cache_key(request) if request.path == self._list_path else None
        if key is None:
            return self.get_response(request)
        hit = list_cache_response(key)
        if hit is not None:
            return hit
        response = self.get_response(request)
        if response.status_code == 200 and getattr(response, "accepted_media_type", "") == JSON:
            list_cache_store(key, response)
        return response
