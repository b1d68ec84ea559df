from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """The project's user. Email is required and unique whatever its case."""

    email = models.EmailField("email address")

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
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
