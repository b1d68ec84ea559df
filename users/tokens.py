"""SimpleJWT's tokens, refusing a token whose user claim is not a user id.

A token is only ever signed here, but a claim of another type (from an older release, a bug,
or a leaked key) must be a 401 like any other bad token, never a 500 from the user lookup.
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


def token_user_id(payload: dict[str, Any]) -> int:
    """The user id a token names. Raises TokenError when the claim is missing or not an id."""
    claim = payload.get(api_settings.USER_ID_CLAIM)
    if isinstance(claim, int) and not isinstance(claim, bool):
        claim = str(claim)
    if not isinstance(claim, str) or not _USER_ID.fullmatch(claim):
        raise TokenError("Token contained no recognizable user identification")
    return int(claim)


class _UserIdChecked(tokens.Token):
    def verify(self) -> None:
        super().verify()
        token_user_id(self.payload)


class AccessToken(_UserIdChecked, tokens.AccessToken):
    pass


class RefreshToken(_UserIdChecked, tokens.RefreshToken):
    pass
