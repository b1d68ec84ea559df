"""Password rules of our own, beside Django's validators in AUTH_PASSWORD_VALIDATORS."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from users.models import User


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
