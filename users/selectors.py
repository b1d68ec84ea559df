"""Reads on users: who can see which account, profiles, what a listener has blocked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.selectors.refs import labels_of
from users.models import Block, Profile, User


def user_list() -> QuerySet[User]:
    """Every user with their profile, in a stable order for pagination."""
    return User.objects.select_related("profile").order_by("id")


def user_list_visible(*, actor: User) -> QuerySet[User]:
    """The accounts `actor` may read: all of them for staff, otherwise only their own.
    Anything outside this set must look exactly like a missing id (404). Which of them
    `actor` may also change or delete: `user_changeable_by`."""
    users = user_list()
    if actor.is_staff:
        return users
    return users.filter(pk=actor.pk)


def user_changeable_by(*, actor: User, account: User) -> bool:
    """Whether `actor` may change or delete `account`: their own account always; another
    one only as staff, and another staff or superuser account only as a superuser (staff
    without it could otherwise reset a superuser's password and email, and take it over)."""
    if actor.pk == account.pk:
        return True
    if not actor.is_staff:
        return False
    return actor.is_superuser or not (account.is_staff or account.is_superuser)


def profile_get(*, user_id: int) -> Profile | None:
    """The music profile of user `user_id`; None when there is no such user or profile."""
    return Profile.objects.filter(user_id=user_id).first()


def user_ids_existing(*, ids: Collection[int]) -> set[int]:
    """The ids among `ids` that name an account, in one query."""
    return set(User.objects.filter(id__in=list(ids)).values_list("id", flat=True)) if ids else set()


def user_count() -> int:
    """How many accounts exist (exact: platform totals are cached by their readers)."""
    return User.objects.count()


def user_readable(*, actor: Any, user_id: int) -> bool:
    """Whether `actor` may read `user_id`'s own resources (statistics, recommendations,
    export): the contract's *owner*, themself or staff. Anything else must look like a
    missing id (404). The actor's own id asks the database nothing: authentication has just
    read their row."""
    if actor.pk == user_id:
        return True
    return user_list_visible(actor=actor).filter(pk=user_id).exists()


@dataclass(frozen=True)
class BlockSet:
    """What a listener has blocked, now: ids of artists, songs and genres."""

    artist_ids: frozenset[int] = frozenset()
    song_ids: frozenset[int] = frozenset()
    genre_ids: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.artist_ids or self.song_ids or self.genre_ids)


def blocks_active(*, user_id: int | None, now: dt.datetime | None = None) -> BlockSet:
    """`user_id`'s blocks in force at `now` (expired ones are ignored); none for the anonymous."""
    if user_id is None:
        return BlockSet()
    now = now or timezone.now()
    rows = Block.objects.filter(Q(until__isnull=True) | Q(until__gt=now), user_id=user_id)
    artists: set[int] = set()
    songs: set[int] = set()
    genres: set[int] = set()
    for artist_id, song_id, genre_id in rows.values_list("artist_id", "song_id", "genre_id"):
        if artist_id is not None:
            artists.add(artist_id)
        elif song_id is not None:
            songs.add(song_id)
        else:
            genres.add(genre_id)
    return BlockSet(artist_ids=frozenset(artists), song_ids=frozenset(songs), genre_ids=frozenset(genres))


def blocks_of(*, user_id: int) -> QuerySet[Block]:
    """Every block of `user_id`, expired ones too, newest first."""
    return Block.objects.filter(user_id=user_id)


def blocks_described(blocks: list[Block], *, now: dt.datetime | None = None) -> list[dict]:
    """`blocks` as `{id, kind, target, name, until, active, created_at}` (at most three
    queries for the names, whatever their number)."""
    now = now or timezone.now()
    labels = labels_of(
        artist_ids=[b.artist_id for b in blocks if b.artist_id],
        song_ids=[b.song_id for b in blocks if b.song_id],
        genre_ids=[b.genre_id for b in blocks if b.genre_id],
    )
    described = []
    for block in blocks:
        if block.artist_id:
            kind, target, names = "artist", block.artist_id, labels.artists
        elif block.song_id:
            kind, target, names = "song", block.song_id, labels.songs
        else:
            kind, target, names = "genre", int(block.genre_id or 0), labels.genres
        described.append(
            {
                "id": block.pk,
                "kind": kind,
                "target": target,
                "name": names.get(target, ""),
                "until": block.until,
                "active": block.until is None or block.until > now,
                "created_at": block.created_at,
            }
        )
    return described
