"""HTTP shapes of users and auth. Validation of input lives here; writes go to users.services."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from users import services
from users.models import Profile, User
from users.moods import MOODS


def _profile_list(help_text: str) -> serializers.ListField:
    # `default=list` applies on create and PUT (a list not sent is emptied) but DRF skips
    # defaults on PATCH, which is what makes a PATCH of the profile merge the fields given.
    return serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=services.PROFILE_ITEM_MAX_LENGTH),
        max_length=services.PROFILE_LIST_MAX_ITEMS,
        default=list,
        help_text=help_text,
    )


class ProfileSerializer(serializers.ModelSerializer):
    favorite_genres = _profile_list("Free-text genres; trimmed, blanks and repeats dropped.")
    favorite_artists = _profile_list("Free-text artist names; trimmed, blanks and repeats dropped.")
    moods = _profile_list(f"Moods from the fixed vocabulary: {', '.join(MOODS)}.")

    class Meta:
        model = Profile
        fields = ("favorite_genres", "favorite_artists", "moods")

    def _normalized(self, values: list[str], field: str) -> list[str]:
        try:
            return services.profile_field_normalize(field, values)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict[field]) from error

    def validate_favorite_genres(self, value: list[str]) -> list[str]:
        return self._normalized(value, "favorite_genres")

    def validate_favorite_artists(self, value: list[str]) -> list[str]:
        return self._normalized(value, "favorite_artists")

    def validate_moods(self, value: list[str]) -> list[str]:
        return self._normalized(value, "moods")


class UserSerializer(serializers.ModelSerializer):
    """A user as the API shows it. Never the password, never the permission flags."""

    profile = ProfileSerializer(read_only=True)

    class Meta:
        model = User
        fields = ("id", "username", "email", "first_name", "last_name", "profile", "date_joined")
        read_only_fields = fields

    def to_representation(self, instance: User) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Accounts made outside the API (createsuperuser) may have no profile row yet.
        if data["profile"] is None:
            data["profile"] = {field: [] for field in services.PROFILE_FIELDS}
        return data


class UserWriteSerializer(serializers.ModelSerializer):
    """What a client may write on a user, on registration and on update.

    Only the fields listed here can be written: anything else a client sends (`id`,
    `is_staff`, `is_superuser`, `date_joined`...) is ignored by construction.
    """

    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        max_length=256,
        style={"input_type": "password"},
        help_text="Checked by the configured password validators, then stored hashed.",
    )
    profile = ProfileSerializer(required=False)

    class Meta:
        model = User
        fields = ("username", "email", "password", "first_name", "last_name", "profile")
        extra_kwargs = {"email": {"required": True, "allow_blank": False}}

    def validate_email(self, value: str) -> str:
        email = User.objects.normalize_email(value)
        # The database constraint compares lower(email); this friendly check does the same.
        others = User.objects.filter(email__iexact=email)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(services.EMAIL_TAKEN)
        return email

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        password = attrs.get("password")
        if password is not None:
            # The similarity validator compares with the account as it will be after this write.
            candidate = User(
                **{
                    field: attrs.get(field, getattr(self.instance, field, ""))
                    for field in ("username", "email", "first_name", "last_name")
                }
            )
            try:
                password_validation.validate_password(password, user=candidate)
            except DjangoValidationError as error:
                raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs


class UserCreateSerializer(UserWriteSerializer):
    """Registration: username, email and password are required."""


class UserUpdateSerializer(UserWriteSerializer):
    """PUT and PATCH: the password is optional; sending one changes it."""

    password = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        max_length=256,
        style={"input_type": "password"},
        help_text="A new password, checked by the password validators; omit to keep the current one.",
    )


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField(help_text="The refresh token to revoke; it must be the caller's own.")

    def validate_refresh(self, value: str) -> RefreshToken:
        # Whose token it is, services.user_logout checks (with the same answer as here).
        try:
            return RefreshToken(value)
        except TokenError as error:
            raise serializers.ValidationError(services.TOKEN_INVALID) from error


class TokenPairSerializer(serializers.Serializer):
    """What both token endpoints answer (documentation only)."""

    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """SimpleJWT's refresh, except that a token of a deleted account is a 401, not a 500."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        try:
            return super().validate(attrs)
        except User.DoesNotExist as error:
            raise AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            ) from error
