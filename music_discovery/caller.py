"""Who is calling: for views behind IsAuthenticated, whichever app they are in."""

from __future__ import annotations

from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request


def caller_id(request: Request) -> int:
    """The caller's user id, from a database user or a token's claim. Only views behind
    IsAuthenticated call it, so the caller is never anonymous here."""
    user_id = request.user.pk
    if user_id is None:
        raise NotAuthenticated()
    return int(user_id)
