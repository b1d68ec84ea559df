"""Reads on users: who can see which account."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import QuerySet

from users.models import Profile, User


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


def profile_get(*, user_id: int) -> Profile | None:
    """The music profile of user `user_id`; None when there is no such user or profile."""
    return Profile.objects.filter(user_id=user_id).first()


def user_ids_existing(*, ids: Collection[int]) -> set[int]:
    """The ids among `ids` that name an account, in one query."""
    return set(User.objects.filter(id__in=list(ids)).values_list("id", flat=True)) if ids else set()


def user_count() -> int:
    """How many accounts exist (exact: platform totals are cached by their readers)."""
    return User.objects.count()
