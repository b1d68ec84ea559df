"""Rules of our own: for passwords, beside Django's validators in AUTH_PASSWORD_VALIDATORS,
and for usernames."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

if TYPE_CHECKING:
    from users.models import User


# The longest password any form or endpoint sets, and the longest `current_password` the API
# takes: the same bound everywhere, so that no account can get a password (in the admin, by
# `createsuperuser`) that the API then refuses to hear when it is to be changed.
MAX_PASSWORD_LENGTH = 256


class MaximumLengthValidator:
    message = f"Your password must contain at most {MAX_PASSWORD_LENGTH} characters."

    def validate(self, password: str, user: User | None = None) -> None:
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValidationError(self.message, code="password_too_long")

    def get_help_text(self) -> str:
        return f"Your password can't be longer than {MAX_PASSWORD_LENGTH} characters."


class NotOnlyWhitespaceValidator:
    """A password is kept exactly as typed, spaces included, at registration, on a change and
    at login (no step trims it); a password of nothing but whitespace or invisible format
    characters (zero-width spaces and joiners, the byte order mark: Unicode category Cf,
    which `str.strip` keeps) is refused, as it looks empty in every form and is easily lost."""

    message = "Your password cannot consist only of whitespace."

    def validate(self, password: str, user: User | None = None) -> None:
        if all(char.isspace() or unicodedata.category(char) == "Cf" for char in password):
            raise ValidationError(self.message, code="password_only_whitespace")

    def get_help_text(self) -> str:
        return "Your password can't consist only of whitespace."


@deconstructible
class UsernameValidator(UnicodeUsernameValidator):
    """Django's rule for usernames (letters, digits and @/./+/-/_) less the letters that show
    as nothing: the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), which Unicode counts as
    letters. With them, `ada` plus a filler would look like `ada`, and a filler alone like no
    name at all. (Invisible format characters, Unicode category Cf, are no letters: refused
    by Django's rule already.)"""

    regex = r"^(?:(?![\u115f\u1160\u3164\uffa0])[\w.@+-])+\Z"
    message = (
        "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ "
        "characters; no invisible letter."
    )
