import contextlib
import unicodedata
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models

from users.validators import MaximumLengthValidator, UsernameValidator

USERNAME_TAKEN = "A user with that username already exists."
EMAIL_TAKEN = "A user with that email already exists."
TAKEN = {"username": USERNAME_TAKEN, "email": EMAIL_TAKEN}


def username_key(username: str) -> str:
    """What two usernames must not share: the name case-folded, then NFKC-normalised again
    (Unicode's caseless match of identifiers). Folded in Python, so that both databases
    compare every letter alike: SQLite's lower() folds ASCII only, and neither database's
    lower() makes `STRASSE` of `straße`."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def email_normalize(email: str) -> str:
    """An email as stored: the domain lower-cased (Django's rule) and the whole address in
    NFC, so that an accent typed as one character or as a letter and a combining mark is
    one spelling. Nothing beyond NFC: a compatibility form (`ｂob`) may be another mailbox."""
    return unicodedata.normalize("NFC", UserManager.normalize_email(email))


def email_key(email: str) -> str:
    """What two emails must not share: the address NFKC-normalised and lower-cased (not
    case-folded: `glaß.com` and `glass.com` are two domains), its domain's punycode read
    as the letters it encodes (`xn--exmple-cua.org` is `exämple.org`)."""
    local, at, domain = unicodedata.normalize("NFKC", email).lower().rpartition("@")
    # Not punycode, or not valid punycode: compared as written.
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("ascii").decode("idna")
    return f"{local}{at}{domain}".lower()


class AccountManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> "User":
        # `manage.py createsuperuser` checks only that no account has this exact username:
        # one that another account holds by its key (`ADA` beside `ada`), or a taken email,
        # would reach the database's constraints as an IntegrityError and a traceback. A
        # ValidationError is what the command reports as an error message.
        errors = self.model(username=username, email=email or "").taken(username=username, email=email or "")
        if errors:
            raise ValidationError(errors)
        # `--noinput` runs no password validator: the bound every other path keeps (a longer
        # password is one the API's `current_password` would never take).
        if password is not None:
            MaximumLengthValidator().validate(password)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """The project's user. Username (NFKC-normalised, as AbstractBaseUser.clean does) and
    email are each unique whatever their case: by `username_key` and `email_key`, kept in
    columns of their own by `save`, so that both databases decide alike."""

    username_validator = UsernameValidator()
    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        help_text="Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.",
        validators=[username_validator],
        error_messages={"unique": USERNAME_TAKEN},
    )
    email = models.EmailField("email address")
    username_key = models.TextField(editable=False)
    email_key = models.TextField(editable=False)

    objects: ClassVar[AccountManager] = AccountManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                fields=["username_key"],
                name="users_user_username_key_unique",
                violation_error_message=USERNAME_TAKEN,
            ),
            models.UniqueConstraint(
                fields=["email_key"],
                name="users_user_email_key_unique",
                violation_error_message=EMAIL_TAKEN,
            ),
        ]

    def key_for(self, field: str, value: str | None = None) -> str:
        """The key this account stores for its `field` ("username" or "email") holding
        `value` (by default, what it holds): that value's key, or, for an account that shared
        it with an older one when migration `users 0005` ran, the key it was given then (the
        key, a space and its id) while its value still has that key."""
        key = (username_key if field == "username" else email_key)(
            getattr(self, field) if value is None else value
        )
        stored = getattr(self, f"{field}_key")
        return stored if self.pk is not None and stored == f"{key} {self.pk}" else key

    def keyed(self) -> "User":
        """This account with its keys set as `save` sets them; for writes that bypass `save`
        (`bulk_create`)."""
        self.username_key = self.key_for("username")
        self.email_key = self.key_for("email")
        return self

    def save(self, **kwargs: Any) -> None:
        self.keyed()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            keys = {"username": "username_key", "email": "email_key"}
            kwargs["update_fields"] = {*update_fields, *(keys[f] for f in keys if f in update_fields)}
        super().save(**kwargs)

    def validate_constraints(self, exclude: Any = None) -> None:
        # Forms leave the keys out (they are not editable), which would leave their
        # constraints unchecked: the admin's forms would meet them as an IntegrityError.
        # Checked here as the rules of the username and of the email instead.
        super().validate_constraints(exclude=exclude)
        errors = self.taken(
            **{field: getattr(self, field) for field in TAKEN if field not in (exclude or ())}
        )
        if errors:
            raise ValidationError(errors)

    def taken(self, **values: str) -> dict[str, list[str]]:
        """Of `values` ("username", "email"), those whose key another account holds, each
        with the message saying so: the rule of the keys' unique constraints, checked before
        writing (the admin's forms, the API's serializers)."""
        others = type(self)._default_manager.exclude(pk=self.pk)
        return {
            field: [TAKEN[field]]
            for field, value in values.items()
            if others.filter(**{f"{field}_key": self.key_for(field, value)}).exists()
        }


class Profile(models.Model):
    """A user's music taste: free-text genres and artists, moods from users.moods.MOODS."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    favorite_genres = models.JSONField(default=list, blank=True)
    favorite_artists = models.JSONField(default=list, blank=True)
    moods = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"


class Block(models.Model):
    """Something a listener never wants recommended or shown to them: an artist (on any
    credit of a song, featured ones too), a song or a genre; until a moment, or for good.

    Applied to their recommendations, similar songs and the trends they see
    (`users.selectors.blocks_active`). Catalog rows are named by reference only: this app
    reaches the catalog through its selectors."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks")
    artist = models.ForeignKey(
        "catalog.Artist", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    song = models.ForeignKey(
        "catalog.Song", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    genre = models.ForeignKey(
        "catalog.Genre", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(artist__isnull=False, song__isnull=True, genre__isnull=True)
                    | models.Q(artist__isnull=True, song__isnull=False, genre__isnull=True)
                    | models.Q(artist__isnull=True, song__isnull=True, genre__isnull=False)
                ),
                name="users_block_one_target",
            ),
            models.UniqueConstraint(fields=["user", "artist"], name="users_block_artist_once"),
            models.UniqueConstraint(fields=["user", "song"], name="users_block_song_once"),
            models.UniqueConstraint(fields=["user", "genre"], name="users_block_genre_once"),
        ]

    def __str__(self) -> str:
        target = (
            f"artist {self.artist_id}"
            if self.artist_id
            else f"song {self.song_id}"
            if self.song_id
            else f"genre {self.genre_id}"
        )
        return f"{self.user_id} blocks {target}"
