"""Generations: each computation of a listener's list, kept as a record (what was asked,
what came out and why, from which source, how long it took, what went wrong) and as the
state a client polls through `GET /api/recommendations/tasks/{task_id}/`.

The list itself is served from the cache (`recommendations.lists`); a generation keeps its
items compactly (song ids, scores, reasons), enough to show in the admin and to answer a
poll, and old ones are deleted by the build job after RECOMMENDATIONS_KEEP_DAYS.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class GenerationState(models.TextChoices):
    PENDING = "pending"
    STARTED = "started"
    SUCCESS = "success"
    FAILURE = "failure"


class Generation(models.Model):
    # The id a client polls; a UUID so that one user cannot guess another's.
    task_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Who asked, when not the listener themself (staff reading or refreshing a listener's
    # list); null for the listener's own requests and the beat's on their behalf. The task is
    # theirs alone to poll (selectors.generation_of). SET_NULL: the listener's record of
    # their list outlives the staff account that asked for it.
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=8, choices=GenerationState.choices, default=GenerationState.PENDING)
    # What was asked: limit, seed_genres, seed_artists, seed_songs, moods.
    request = models.JSONField(default=dict, blank=True)
    # What came out, best first: [{"song": id, "score": float, "reasons": [str]}].
    items = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When its computation was queued to start: at its creation, unless queued with a
    # countdown (the beat's refresh spreads its work over its period). Until then nobody computes
    # it: a GET must not hand its client such work to poll, nor count it as late
    # (recommendations.lists, `_queued_for` and `generation_given_up`).
    due_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="reco_generation_user_recent")]

    def __str__(self) -> str:
        return f"{self.task_id} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (GenerationState.SUCCESS, GenerationState.FAILURE)


class FeedbackKind(models.TextChoices):
    MORE_LIKE_THIS = "more_like_this"
    NOT_FOR_ME = "not_for_me"


class Feedback(models.Model):
    """A listener's word on a recommended song; the latest per song counts. Used by every
    later list and model build as a signal (`recommendations.selectors.FEEDBACK_INTEREST`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    song = models.ForeignKey("catalog.Song", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=FeedbackKind.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "song"], name="reco_feedback_once")]

    def __str__(self) -> str:
        return f"{self.user_id} on song {self.song_id}: {self.kind}"


class PlaylistKind(models.TextChoices):
    DAILY_MIX = "daily_mix"
    WEEKLY_DISCOVERY = "weekly_discovery"


class Playlist(models.Model):
    """A listener's current playlist of a kind, replaced when it is generated again and
    deleted once it expires (`recommendations.playlists`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=PlaylistKind.choices)
    # [{"song": id, "reasons": [str]}], in play order.
    items = models.JSONField(default=list)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="reco_playlist_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} of {self.user_id} ({self.created_at:%Y-%m-%d})"
