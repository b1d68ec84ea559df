"""Who is calling: for views behind IsAuthenticated, whichever app they are in."""

from __future__ import annotations

from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.request import Request


def caller_id(request: Request) -> int:
    """The caller's user id. Only views behind
    IsAuthenticated call it, so the caller is never anonymous here."""
    user_id = request.user.pk
    if user_id is None:
        raise NotAuthenticated()
    return int(user_id)


def owner_only(request: Request, user_id: int) -> int:
    """`user_id` when the caller is that user; anyone else, staff included, gets a 404 (a
    listener's own resources: their list, blocks, playlists)."""
    if caller_id(request) != user_id:
        raise NotFound()
    return user_id
