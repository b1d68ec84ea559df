import unicodedata
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

USERNAME_TAKEN = "A user with that username already exists."


def username_key(username: str) -> str:
    """What two usernames must not share: the name case-folded, then NFKC-normalised again
    (Unicode's caseless match of identifiers). Folded in Python, so that both databases
    compare every letter alike: SQLite's lower() folds ASCII only, and neither database's
    lower() makes `STRASSE` of `straße`."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


class User(AbstractUser):
    """The project's user. Username (NFKC-normalised, as AbstractBaseUser.clean does) and
    email are each unique whatever their case: the username by `username_key`, kept in a
    column of its own by `save`, the email by lower(email)."""

    email = models.EmailField("email address")
    # Case folding can make a name longer (`ß` → `ss`), up to three characters from one.
    username_key = models.CharField(max_length=450, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                fields=["username_key"],
                name="users_user_username_key_unique",
                violation_error_message=USERNAME_TAKEN,
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="users_user_email_ci_unique",
                violation_error_message="A user with that email already exists.",
            ),
        ]

    def save(self, **kwargs: Any) -> None:
        self.username_key = username_key(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_key"}
        super().save(**kwargs)

    def validate_constraints(self, exclude: Any = None) -> None:
        # Forms leave username_key out (it is not editable), which would leave its constraint
        # unchecked: the admin's forms would meet it as an IntegrityError. Checked here as
        # the username's own rule instead.
        super().validate_constraints(exclude=exclude)
        if exclude and "username" in exclude:
            return
        others = type(self)._default_manager.filter(username_key=username_key(self.username))
        if others.exclude(pk=self.pk).exists():
            raise ValidationError({"username": [USERNAME_TAKEN]})


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
