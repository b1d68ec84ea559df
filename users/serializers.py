"""HTTP shapes of users and auth. Validation of input lives here; writes go to users.services."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import TokenError

from music_discovery.fields import AwareDateTimeField, StrictCharField, StrictIntegerField
from users import selectors, services
from users.models import Profile, User, email_key, email_normalize
from users.moods import MOODS
from users.tokens import RefreshToken
from users.validators import MAX_PASSWORD_LENGTH

_LIST_BOUND = (
    f" At most {services.PROFILE_LIST_MAX_ITEMS} entries once blanks and repeats are dropped, "
    f"each of at most {services.PROFILE_ITEM_MAX_LENGTH} characters."
)


def _profile_list(help_text: str) -> serializers.ListField:
    # `default=list` applies on create and PUT (a list not sent is emptied) but DRF skips
    # defaults on PATCH, which is what makes a PATCH of the profile merge the fields given.
    # The number of entries is bounded by services.profile_list_normalize, once blanks and
    # repeats are dropped (a list's raw length, by the body's size).
    return serializers.ListField(
        child=StrictCharField(allow_blank=True, max_length=services.PROFILE_ITEM_MAX_LENGTH),
        default=list,
        help_text=help_text + _LIST_BOUND,
    )


class ProfileSerializer(serializers.ModelSerializer):
    favorite_genres = _profile_list("Free-text genres; trimmed, blanks and repeats dropped.")
    favorite_artists = _profile_list("Free-text artist names; trimmed, blanks and repeats dropped.")
    moods = _profile_list(f"Moods from the fixed vocabulary: {', '.join(MOODS)}; repeats dropped.")

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


class UsernameField(StrictCharField):
    """A username as Django's own forms take it: NFKC-normalised (AbstractBaseUser.
    normalize_username: a fullwidth `ａdmin` is `admin`) before any validator sees it."""

    def to_internal_value(self, data: Any) -> str:
        return User.normalize_username(super().to_internal_value(data))


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

    username = UsernameField(
        max_length=User._meta.get_field("username").max_length,
        validators=[User.username_validator],
        help_text=(
            "150 characters or fewer: letters, digits and @/./+/-/_. NFKC-normalised, and unique "
            "whatever the case of any letter (`Admin` is taken when `admin` exists, `STRASSE` when "
            "`straße` does)."
        ),
    )
    password = StrictCharField(
        write_only=True,
        trim_whitespace=False,
        max_length=MAX_PASSWORD_LENGTH,
        style={"input_type": "password"},
        help_text="Checked by the configured password validators, then stored hashed.",
    )
    profile = ProfileSerializer(required=False)
    # The model's names as strings only, too (a number is never a valid email).
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
    }

    class Meta:
        model = User
        fields: tuple[str, ...] = ("username", "email", "password", "first_name", "last_name", "profile")
        extra_kwargs = {"email": {"required": True, "allow_blank": False}}

    def validate_email(self, value: str) -> str:
        return email_normalize(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Whether the caller may change credentials comes first: an answer about the username
        # or the email (taken or free) is given only to someone allowed to change it.
        self.check_credential_change(attrs)
        self._check_free(attrs)
        self._check_password(attrs)
        return attrs

    def check_credential_change(self, attrs: dict[str, Any]) -> None:
        """Raise a ValidationError if the caller may not change what `attrs` changes."""

    def _check_free(self, attrs: dict[str, Any]) -> None:
        # The database's constraints compare the keys; this friendly check does the same.
        account = self.instance if self.instance is not None else User()
        errors = account.taken(
            **{field: attrs[field] for field in ("username", "email") if attrs.get(field) is not None}
        )
        if errors:
            raise serializers.ValidationError(errors)

    def _check_password(self, attrs: dict[str, Any]) -> None:
        password = attrs.get("password")
        if password is None:
            return
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


CURRENT_PASSWORD_REQUIRED = (
    "Your current password is required to change the password, the email or the username."
)

# Fields whose presence in a change puts the request under the strict `auth` throttle:
# each answer tells whether an email is taken or a password is right.
CREDENTIAL_FIELDS = frozenset({"email", "password", "current_password"})


class UserCreateSerializer(UserWriteSerializer):
    """Registration: username, email and password are required."""


def _password_field(help_text: str, *, required: bool = True) -> StrictCharField:
    # Never trimmed: a password is kept exactly as typed everywhere (users.validators).
    return StrictCharField(
        write_only=True,
        required=required,
        trim_whitespace=False,
        max_length=MAX_PASSWORD_LENGTH,
        style={"input_type": "password"},
        help_text=help_text,
    )


class UserUpdateSerializer(UserWriteSerializer):
    """PUT and PATCH: the password is optional; sending one changes it.

    A new password, email or username needs the account's current password in the same body,
    so that a stolen access token cannot take the account over. Staff changing another
    user's account they may change (a reset: users.selectors.user_changeable_by) do not need
    it; the serializer's context must hold the request.
    """

    password = _password_field(
        "A new password, checked by the password validators; omit to keep the current one.",
        required=False,
    )
    current_password = _password_field(
        "The account's current password: required with a new `password`, `email` or `username` "
        "(except for staff resetting another account they may change).",
        required=False,
    )

    class Meta(UserWriteSerializer.Meta):
        fields = (*UserWriteSerializer.Meta.fields, "current_password")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The current password goes on to the write only when this change needs it: the
        # write checks it again, against the account's row locked (services.user_update).
        attrs = super().validate(attrs)
        current_password = attrs.pop("current_password", None)
        if self._needs_checking(attrs):
            attrs["current_password"] = current_password
        return attrs

    def check_credential_change(self, attrs: dict[str, Any]) -> None:
        if not self._needs_checking(attrs):
            return
        current_password = attrs.get("current_password")
        if current_password is None:
            raise serializers.ValidationError({"current_password": [CURRENT_PASSWORD_REQUIRED]})
        if not self._account().check_password(current_password):
            raise serializers.ValidationError({"current_password": [services.CURRENT_PASSWORD_WRONG]})

    def _needs_checking(self, attrs: dict[str, Any]) -> bool:
        return self._changes_credentials(attrs) and self._needs_current_password()

    def _changes_credentials(self, attrs: dict[str, Any]) -> bool:
        # Another address unless its key is the same (users.models.email_key: only the case
        # of its letters or its Unicode form differs).
        email = attrs.get("email")
        new_email = email is not None and email_key(email) != email_key(self._account().email)
        # The username signs in, compared exactly (case included): renamed, the account is
        # lost to its owner, with no recovery by name.
        username = attrs.get("username")
        new_username = username is not None and username != self._account().username
        return "password" in attrs or new_email or new_username

    def _needs_current_password(self) -> bool:
        # A reset without the password only by someone who may change another's account.
        actor = self.context["request"].user
        account = self._account()
        return actor.pk == account.pk or not selectors.user_changeable_by(actor=actor, account=account)

    def _account(self) -> User:
        # An update is always built on the account it changes (the view's get_object).
        return cast(User, self.instance)


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField(help_text="The refresh token to revoke.")

    def validate_refresh(self, value: str) -> RefreshToken:
        try:
            # SimpleJWT annotates the encoded token as a Token; it is the string sent.
            return RefreshToken(value)  # type: ignore[arg-type]
        except TokenError as error:
            raise serializers.ValidationError(services.TOKEN_INVALID) from error


class TokenPairSerializer(serializers.Serializer):
    """What both token endpoints answer (documentation only)."""

    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)


class TokenObtainPairSerializer(jwt_serializers.TokenObtainPairSerializer):
    """SimpleJWT's login, with the password compared exactly as typed (SimpleJWT trims it;
    registration and changes keep it untrimmed), and the username NFKC-normalised as at
    registration, then compared exactly, case included (as Django's login form does)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[self.username_field] = UsernameField(
            write_only=True,
            help_text="Trimmed and NFKC-normalised as at registration, then compared exactly, case included.",
        )
        self.fields["password"] = StrictCharField(
            write_only=True, trim_whitespace=False, style={"input_type": "password"}
        )


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """SimpleJWT's refresh, through users.services.token_refresh: the token is spent
    atomically (one winner among concurrent uses), and a deleted account is a 401."""

    token_class = RefreshToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        # A TokenError (invalid, expired, spent) becomes SimpleJWT's 401 in its view.
        return services.token_refresh(refresh=self.token_class(attrs["refresh"]))


class BlockInputSerializer(serializers.Serializer):
    artist = StrictIntegerField(min_value=1, max_value=2**63 - 1, required=False, help_text="An artist's id.")
    song = StrictIntegerField(min_value=1, max_value=2**63 - 1, required=False, help_text="A song's id.")
    genre = StrictCharField(max_length=100, required=False, help_text="A genre's name (any case).")
    until = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="When the block ends (ISO 8601, in the future); omitted or null: for good.",
    )


class BlockSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=["artist", "song", "genre"], read_only=True)
    target = serializers.IntegerField(read_only=True, help_text="The artist's, song's or genre's id.")
    name = serializers.CharField(read_only=True, help_text="The artist's or genre's name, the song's title.")
    until = serializers.DateTimeField(read_only=True, allow_null=True)
    active = serializers.BooleanField(read_only=True, help_text="False once `until` has passed.")
    created_at = serializers.DateTimeField(read_only=True)
