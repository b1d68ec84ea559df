"""Writes on users and their profiles, and the revocation of their refresh tokens.

Every function here is the single place its write happens: the API, the admin actions and
management commands all come through them, so the normalisation and the uniqueness rules
cannot be bypassed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import exceptions as jwt_exceptions
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch, get_md5_hash_password

from catalog.ratings.selectors import rating_list
from catalog.ratings.services import song_ratings_mark_dirty_on_commit
from catalog.selectors.refs import genre_ids_by_name, genre_key, labels_of, name_key, song_refs
from music_discovery.exceptions import AccountGoneError
from music_discovery.signals import account_deleting, signals_changed
from users.models import EMAIL_TAKEN, USERNAME_TAKEN, Block, Profile, User, email_normalize
from users.moods import MOODS
from users.selectors import blocks_described
from users.tokens import RefreshToken, token_user_id

# Bounds on the free-text profile lists: enough for any real taste, small enough that a
# profile stays a few kilobytes and the recommender never iterates a huge list.
PROFILE_LIST_MAX_ITEMS = 50
PROFILE_ITEM_MAX_LENGTH = 100

PROFILE_FIELDS = ("favorite_genres", "favorite_artists", "moods")

# How each database names the email key's unique constraint in its error: PostgreSQL by the
# constraint's name, SQLite by the column.
EMAIL_CONSTRAINT_NAMES = ("users_user_email_key_unique", "users_user.email_key")
CURRENT_PASSWORD_WRONG = "Your current password is not correct."
TOKEN_INVALID = "Token is invalid or expired."
NO_ACTIVE_ACCOUNT = "No active account found for the given token."
# SimpleJWT's words for an access token issued before a password change.
PASSWORD_CHANGED = "The user's password has been changed."


def unknown_moods_message(unknown: Iterable[str]) -> str:
    return f"Unknown mood(s): {', '.join(sorted(set(unknown)))}. Allowed moods: {', '.join(MOODS)}."


def profile_list_normalize(values: Iterable[str], *, field: str) -> list[str]:
    """Strip each entry, drop the blank ones and the repeats (compared as the catalog matches
    names, `name_key`: case and Unicode form aside; first spelling wins), then enforce the
    bounds. Raises ValidationError keyed by `field`."""
    if not isinstance(values, list | tuple):
        raise ValidationError({field: ["Expected a list of strings."]})
    cleaned: list[str] = []
    seen: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            raise ValidationError({field: ["Each entry must be a string."]})
        value = " ".join(value.split())
        key = name_key(value)
        if not value or key in seen:
            continue
        if len(value) > PROFILE_ITEM_MAX_LENGTH:
            raise ValidationError(
                {field: [f"Each entry must have at most {PROFILE_ITEM_MAX_LENGTH} characters."]}
            )
        seen.add(key)
        cleaned.append(value)
    if len(cleaned) > PROFILE_LIST_MAX_ITEMS:
        raise ValidationError(
            {
                field: [
                    f"At most {PROFILE_LIST_MAX_ITEMS} entries are allowed "
                    "(counted once blanks and repeats are dropped)."
                ]
            }
        )
    return cleaned


def moods_normalize(values: Iterable[str]) -> list[str]:
    """Moods are matched case-insensitively against users.moods.MOODS and stored lower-case."""
    moods = [mood.lower() for mood in profile_list_normalize(values, field="moods")]
    unknown = [mood for mood in moods if mood not in MOODS]
    if unknown:
        raise ValidationError({"moods": [unknown_moods_message(unknown)]})
    return moods


def profile_field_normalize(field: str, values: Iterable[str]) -> list[str]:
    """One profile list, normalized by its field's rules (moods: the fixed vocabulary)."""
    if field == "moods":
        return moods_normalize(values)
    return profile_list_normalize(values, field=field)


def _profile_values(profile: dict[str, list[str]]) -> dict[str, list[str]]:
    return {
        field: profile_field_normalize(field, profile[field]) for field in PROFILE_FIELDS if field in profile
    }


def _integrity_error_as_validation_error(error: IntegrityError) -> ValidationError:
    """Both uniqueness rules are checked before writing, but two concurrent requests can
    pass that check together: the database constraint decides, and the loser gets the same
    400 it would have got a moment later."""
    # Only the first line: it names the constraint; PostgreSQL's DETAIL line quotes the
    # conflicting values, which are user input.
    message = str(error).splitlines()[0].lower() if str(error) else ""
    if any(name in message for name in EMAIL_CONSTRAINT_NAMES):
        return ValidationError({"email": [EMAIL_TAKEN]})
    # users_user_username_key_unique (username_key), or the exact unique index of
    # AbstractUser's field (users_user_username_key on PostgreSQL, users_user.username on SQLite).
    if "username" in message:
        return ValidationError({"username": [USERNAME_TAKEN]})
    return ValidationError("This change conflicts with another user's data.")


def user_register(
    *,
    username: str,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    profile: dict[str, list[str]] | None = None,
) -> User:
    """Create a user and their profile together. The username is NFKC-normalised and, like
    the email, unique whatever its case. The password must already have passed the password
    validators (the caller knows which errors to show and where)."""
    profile_values = _profile_values(profile or {})
    user = User(
        username=User.normalize_username(username),
        email=email_normalize(email),
        first_name=first_name,
        last_name=last_name,
    )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            Profile.objects.create(user=user, **profile_values)
    except IntegrityError as error:
        raise _integrity_error_as_validation_error(error) from error
    return user


def user_update(
    *,
    user: User,
    username: str | None = None,
    email: str | None = None,
    password: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    profile: dict[str, list[str]] | None = None,
    current_password: str | None = None,
) -> User:
    """Change the fields given (None leaves a field as it is). Profile lists given replace
    the stored ones; lists not given are kept. A new password revokes every refresh token
    the user holds, so a stolen session ends with the password change.

    `current_password`, when given, is checked against the account's row locked for the
    change: of concurrent changes made with the same current password, the first wins and
    the others get a 400 on `current_password` (checked before the lock only, each would
    have been answered 200 and all but the last overwritten)."""
    profile_values = _profile_values(profile or {})
    changed = _fields_set(
        user=user,
        username=None if username is None else User.normalize_username(username),
        email=None if email is None else email_normalize(email),
        first_name=first_name,
        last_name=last_name,
    )
    if password is not None:
        user.set_password(password)
        changed.append("password")
    try:
        with transaction.atomic():
            if current_password is not None:
                _current_password_check(user_id=user.pk, password=current_password)
            if changed:
                user.save(update_fields=changed)
            if profile_values:
                user_profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
                for field, values in profile_values.items():
                    setattr(user_profile, field, values)
                user_profile.save(update_fields=list(profile_values))
                # Replaces any copy cached by select_related, so the caller sees the new lists.
                user.profile = user_profile
                # The list's moods, genres and artists (and its reasons) come from the profile.
                signals_changed(user_id=user.pk)
            if password is not None:
                user_tokens_revoke(user=user)
    except IntegrityError as error:
        user.refresh_from_db()
        raise _integrity_error_as_validation_error(error) from error
    return user


def _fields_set(*, user: User, **values: str | None) -> list[str]:
    """Set on `user` the values given (None: unchanged) that differ; their names."""
    changed = [
        field for field, value in values.items() if value is not None and getattr(user, field) != value
    ]
    for field in changed:
        setattr(user, field, values[field])
    return changed


def _current_password_check(*, user_id: int, password: str) -> None:
    stored = User.objects.select_for_update().filter(pk=user_id).values_list("password", flat=True).first()
    if stored is None or not check_password(password, stored):
        raise ValidationError({"current_password": [CURRENT_PASSWORD_WRONG]})


def user_delete(*, user: User) -> None:
    """Delete the account and everything that cascades from it (profile, ratings...).
    Its refresh tokens are blacklisted first: the token rows outlive the user, and a
    refresh token of a deleted user must be refused as such. The songs it had rated get
    their aggregates recomputed after the commit, as for any other removed rating.

    The account's row is locked first: a rating or a list request of that user committed
    until then is deleted with it; one committing after waits for the deletion (its
    foreign key's check locks the row) and then fails as the write of an account that no
    longer exists (a 401: `music_discovery.exceptions`). Without the lock, a write that
    committed between Django's collecting the rows to delete and deleting the account made
    the deletion fail at commit, and the account stayed."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).exists()
        rated_song_ids = list(rating_list(user_id=user.pk).values_list("song_id", flat=True))
        user_tokens_revoke(user=user)
        # Counts of the account's rows kept beyond the cascade's reach (per song) go with it.
        account_deleting(user_id=user.pk)
        user.delete()
        song_ratings_mark_dirty_on_commit(song_ids=rated_song_ids)


def account_hold(*, user_id: int) -> None:
    """Within the caller's transaction, hold the account's row as a foreign key's check does
    (FOR KEY SHARE: the account's writes share it, `user_delete`'s lock waits for them and
    they for it), for writes that reference the account without a foreign key (events).
    Raises AccountGoneError when the account no longer exists, deleted meanwhile."""
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {User._meta.db_table} WHERE id = %s{lock}", [user_id])
        if cursor.fetchone() is None:
            raise AccountGoneError(user_id)


def user_tokens_revoke(*, user: User) -> int:
    """Blacklist every unexpired refresh token issued to the user. Returns how many."""
    with transaction.atomic():
        outstanding = OutstandingToken.objects.filter(
            user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
        )
        created = BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
        )
    return len(created)


def refresh_token_claim(*, refresh: RefreshToken) -> None:
    """Blacklist a refresh token that is being used, or raise TokenError if another request
    already did. The blacklist row is the claim: its unique token column lets exactly one of
    any number of concurrent requests insert it, so a token is spent once. Call inside the
    transaction that issues whatever the token is exchanged for."""
    payload = refresh.payload
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=payload[jwt_settings.JTI_CLAIM],
        defaults={
            "user": User.objects.filter(pk=token_user_id(payload)).first(),
            "token": str(refresh),
            "created_at": refresh.current_time,
            "expires_at": datetime_from_epoch(payload["exp"]),
        },
    )
    _, claimed = BlacklistedToken.objects.get_or_create(token=outstanding)
    if not claimed:
        raise TokenError(TOKEN_INVALID)


def token_refresh(*, refresh: RefreshToken) -> dict[str, str]:
    """Exchange a valid refresh token for a new access and refresh token pair; the one given
    is spent (refresh_token_claim), so of concurrent exchanges of one token exactly one
    succeeds. Raises TokenError for a spent token, AuthenticationFailed for an account that
    is gone or inactive, or whose password changed since the token was issued: it carries a
    digest of the password's hash, as access tokens do (`CHECK_REVOKE_TOKEN`), so a password
    changed anywhere (the admin, `manage.py changepassword`) ends the sessions before it,
    not only a change through `user_update`, which also blacklists them."""
    with transaction.atomic():
        user = User.objects.filter(pk=token_user_id(refresh.payload)).first()
        if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed(NO_ACTIVE_ACCOUNT, "no_active_account")
        if jwt_settings.CHECK_REVOKE_TOKEN and refresh.payload.get(
            jwt_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            # SimpleJWT's own exception: its body carries the code, as for an access token.
            raise jwt_exceptions.AuthenticationFailed(PASSWORD_CHANGED, "password_changed")
        refresh_token_claim(refresh=refresh)
        rotated = RefreshToken.for_user(user)
    return {"access": str(rotated.access_token), "refresh": str(rotated)}


def user_logout(*, user: User, refresh: RefreshToken) -> None:
    """Blacklist one refresh token of `user`. Another user's token gets the answer an
    invalid one gets (ValidationError, nothing revoked): one user cannot log another out,
    and learns nothing about whether that token is valid."""
    if token_user_id(refresh.payload) != user.pk:
        raise ValidationError({"refresh": [TOKEN_INVALID]})
    try:
        with transaction.atomic():
            refresh_token_claim(refresh=refresh)
    except TokenError as error:
        raise ValidationError({"refresh": [TOKEN_INVALID]}) from error


def _block_target(*, artist_id: int | None, song_id: int | None, genre: str | None) -> dict[str, Any]:
    """The block's one target as model fields, checked to exist; ValidationError otherwise."""
    named = [
        name
        for name, value in (("artist", artist_id), ("song", song_id), ("genre", genre))
        if value is not None
    ]
    if len(named) != 1:
        raise ValidationError({"non_field_errors": ["Name exactly one of artist, song or genre."]})
    if artist_id is not None:
        if artist_id not in labels_of(artist_ids=[artist_id]).artists:
            raise ValidationError({"artist": [f"No artist has id {artist_id}."]})
        return {"artist_id": artist_id}
    if song_id is not None:
        if not song_refs(ids=[song_id]):
            raise ValidationError({"song": [f"No song has id {song_id}."]})
        return {"song_id": song_id}
    assert genre is not None
    found = genre_ids_by_name([genre_key(genre)])
    if not found:
        raise ValidationError({"genre": [f"No genre is named {genre!r}."]})
    return {"genre_id": next(iter(found.values()))}


def block_set(
    *,
    user_id: int,
    artist_id: int | None = None,
    song_id: int | None = None,
    genre: str | None = None,
    until: dt.datetime | None = None,
) -> tuple[Block, bool]:
    """Block one artist, song or genre for `user_id`, until `until` (for good: None); a
    block of the same target is replaced. Returns (block, created). Their recommendations
    no longer hold it from the next request on."""
    if until is not None and until <= timezone.now():
        raise ValidationError({"until": ["Must be in the future."]})
    target = _block_target(artist_id=artist_id, song_id=song_id, genre=genre)
    with transaction.atomic():
        block, created = Block.objects.update_or_create(defaults={"until": until}, user_id=user_id, **target)
        signals_changed(user_id=user_id)
    return block, created


def block_remove(*, user_id: int, block_id: int) -> bool:
    """Lift one of `user_id`'s blocks; False when they have no such block."""
    with transaction.atomic():
        deleted, _ = Block.objects.filter(user_id=user_id, pk=block_id).delete()
        if deleted:
            signals_changed(user_id=user_id)
    return bool(deleted)


def song_snooze(*, user_id: int, song_id: int, until: dt.datetime) -> dict[str, Any]:
    """Block a song for `user_id` until `until` (a recommended song snoozed); the block as
    `users.selectors.blocks_described` shows it."""
    block, _ = block_set(user_id=user_id, song_id=song_id, until=until)
    return blocks_described([block])[0]
