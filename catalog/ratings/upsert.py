"""Storing one vote: create or replace a user's rating of a song.

`upsert_portable` is portable ORM code; on PostgreSQL `rating_upsert` gives
`upsert_postgresql` instead, one statement, which bench/README.md ("Ratings",
"PostgreSQL-only paths") measured against it. Both raise RaterNotActiveError, or ValidationError
naming `song`, when a party is missing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from catalog.models import Rating, Song

SONG_NOT_FOUND = "Song {song_id} does not exist."
NOT_STORED = "The rating could not be stored; please retry."

Upsert = Callable[..., tuple[Rating, bool]]


class RaterNotActiveError(Exception):
    """The rating's user does not exist or is deactivated (its token outlived it)."""


def raise_missing_party(*, user_id: int, song_id: int) -> None:
    """Raise RaterNotActiveError or a ValidationError naming `song` if either is missing."""
    if not get_user_model().objects.filter(pk=user_id, is_active=True).exists():
        raise RaterNotActiveError(user_id)
    if not Song.objects.filter(pk=song_id).exists():
        raise ValidationError({"song": [SONG_NOT_FOUND.format(song_id=song_id)]})


def upsert_portable(*, user_id: int, song_id: int, score: int) -> tuple[Rating, bool]:
    """Precondition: inside a transaction. The checks are explicit because foreign keys are
    only verified at the outermost commit (and a deactivated user is no foreign key error);
    a concurrent insert of the same pair is resolved by update_or_create's retry."""
    raise_missing_party(user_id=user_id, song_id=song_id)
    return Rating.objects.update_or_create(user_id=user_id, song_id=song_id, defaults={"score": score})


def upsert_postgresql(*, user_id: int, song_id: int, score: int) -> tuple[Rating, bool]:
    """One statement, atomic by itself. Selecting the song and the active user makes a missing
    one insert nothing (instead of failing at commit), and xmax = 0 holds only for a row this
    statement inserted."""
    sql = f"""
        INSERT INTO {Rating._meta.db_table} (user_id, song_id, score, created_at, updated_at)
        SELECT u.id, s.id, %(score)s, %(now)s, %(now)s
        FROM {Song._meta.db_table} AS s, {get_user_model()._meta.db_table} AS u
        WHERE s.id = %(song_id)s AND u.id = %(user_id)s AND u.is_active
        ON CONFLICT (user_id, song_id) DO UPDATE
            SET score = EXCLUDED.score, updated_at = EXCLUDED.updated_at
        RETURNING id, created_at, updated_at, (xmax = 0) AS created
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"user_id": user_id, "song_id": song_id, "score": score, "now": timezone.now()})
        row = cursor.fetchone()
    if row is None:
        raise_missing_party(user_id=user_id, song_id=song_id)
        raise ValidationError(NOT_STORED)
    rating_id, created_at, updated_at, created = row
    rating = Rating(
        id=rating_id,
        user_id=user_id,
        song_id=song_id,
        score=score,
        created_at=created_at,
        updated_at=updated_at,
    )
    return rating, created


def rating_upsert() -> Upsert:
    """The upsert for the current database."""
    return upsert_postgresql if connection.vendor == "postgresql" else upsert_portable
