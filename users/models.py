from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """The project's user. Username (NFKC-normalised, as AbstractBaseUser.clean does) and
    email are each unique whatever their case."""

    email = models.EmailField("email address")

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="users_user_username_ci_unique",
                violation_error_message="A user with that username already exists.",
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="users_user_email_ci_unique",
                violation_error_message="A user with that email already exists.",
            ),
        ]


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
