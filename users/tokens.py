"""SimpleJWT's tokens, refusing a token whose user claim is not a user id, whose id (jti)
is not one the blacklist can store, or whose expiry no datetime can hold.

A token is only ever signed here, but a claim of another type (from an older release, a bug,
or a leaked key) must be a 401 like any other bad token, never a 500 from the user lookup or
from the blacklist (SimpleJWT reads `jti` there before its own check that it is present).
SIMPLE_JWT["AUTH_TOKEN_CLASSES"] names AccessToken, so every authentication class that
validates bearer tokens goes through this check.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings

# SimpleJWT writes the id as a string of digits; the database's ids are positive 64-bit.
_USER_ID = re.compile(r"[1-9][0-9]{0,17}")
# OutstandingToken.jti is a CharField(max_length=255); PostgreSQL text cannot hold NUL.
_JTI_MAX_LENGTH = 255
# The last second a datetime can hold (9999-12-31 23:59:59 UTC): SimpleJWT turns `exp` into
# one, and a later one overflows.
_LAST_EPOCH_SECOND = 253_402_300_799


def token_user_id(payload: dict[str, Any]) -> int:
    """The user id a token names. Raises TokenError when the claim is missing or not an id."""
    claim = payload.get(api_settings.USER_ID_CLAIM)
    if isinstance(claim, int) and not isinstance(claim, bool):
        claim = str(claim)
    if not isinstance(claim, str) or not _USER_ID.fullmatch(claim):
        raise TokenError("Token contained no recognizable user identification")
    return int(claim)


def _jti_check(payload: dict[str, Any]) -> None:
    """Raise TokenError unless the token's id is a string the blacklist can store: present,
    at most 255 characters, no NUL character."""
    if api_settings.JTI_CLAIM is None:
        return
    jti = payload.get(api_settings.JTI_CLAIM)
    if not isinstance(jti, str) or len(jti) > _JTI_MAX_LENGTH or "\x00" in jti:
        raise TokenError("Token has no valid id")


def _exp_check(payload: dict[str, Any]) -> None:
    """Raise TokenError unless the expiry is a time a datetime can hold (PyJWT checks only
    that it is a number, and not past)."""
    exp = payload.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float) or not 0 <= exp <= _LAST_EPOCH_SECOND:
        raise TokenError("Token has no valid expiry")


class _ClaimsChecked(tokens.Token):
    def verify(self) -> None:
        # Before SimpleJWT's checks: its blacklist check reads `jti` first (a KeyError when
        # absent), and its expiry check overflows on a time past the year 9999.
        _jti_check(self.payload)
        _exp_check(self.payload)
        super().verify()
        token_user_id(self.payload)


class AccessToken(_ClaimsChecked, tokens.AccessToken):
    pass


# SimpleJWT's own annotations type BlacklistMixin.for_user and Token.for_user differently
# (both return the class they are called on at run time), which mypy flags in any subclass.
class RefreshToken(_ClaimsChecked, tokens.RefreshToken):  # type: ignore[misc]
    pass
