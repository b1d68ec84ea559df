"""Reads on users: who can see which account."""

from __future__ import annotations

from django.db.models import QuerySet

from users.models import User


def user_list() -> QuerySet[User]:
    """Every user with their profile, in a stable order for pagination."""
    return User.objects.select_related("profile").order_by("id")


def user_list_visible(*, actor: User) -> QuerySet[User]:
    """The accounts `actor` may read and change: all of them for staff, otherwise only
    their own. Anything outside this set must look exactly like a missing id (404)."""
    users = user_list()
    if actor.is_staff:
        return users
    return users.filter(pk=actor.pk)
