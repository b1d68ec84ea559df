"""Response shapes of a user's statistics, export and import (the OpenAPI schema's source)."""

from __future__ import annotations

from rest_framework import serializers

from analytics.platform_serializers import ActionCountsSerializer


class TopSongSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    artists = serializers.ListField(child=serializers.CharField(), help_text="Credited artists, main first.")
    score = serializers.IntegerField(help_text="Weighted activity (analytics/scoring.py).")
    plays = serializers.IntegerField()
    likes = serializers.IntegerField()
    skips = serializers.IntegerField()
    shares = serializers.IntegerField()
    last_at = serializers.DateTimeField(help_text="The user's latest event on the song.")


class RankedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    score = serializers.IntegerField(help_text="Weighted activity on their songs (analytics/scoring.py).")


class RecentEventSerializer(serializers.Serializer):
    song = serializers.IntegerField()
    title = serializers.CharField()
    action = serializers.ChoiceField(choices=["play", "like", "skip", "share"])
    occurred_at = serializers.DateTimeField()


class UserStatsSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    totals = ActionCountsSerializer(help_text="Events by action, all time.")
    listening_ms = serializers.IntegerField(help_text="Sum of the durations of the songs played.")
    skip_rate = serializers.FloatField(
        allow_null=True, help_text="skips / (plays + skips); null when there are neither."
    )
    streak_days = serializers.IntegerField(
        help_text="Consecutive UTC days with any event, ending today or yesterday (0 otherwise)."
    )
    top_songs = TopSongSerializer(many=True, help_text="Best weighted score first; positive scores only.")
    top_artists = RankedSerializer(many=True, help_text="Artists credited on the user's songs, best first.")
    top_genres = RankedSerializer(many=True, help_text="Genres of the user's songs, best first.")
    recent = RecentEventSerializer(many=True, help_text="The latest 20 events, newest first.")


class ExportLineSerializer(serializers.Serializer):
    """One line of an export: the fields POST /api/analytics/activity/ takes, and received_at."""

    song = serializers.IntegerField()
    spotify_id = serializers.CharField(allow_null=True)
    action = serializers.ChoiceField(choices=["play", "like", "skip", "share"])
    occurred_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    event_id = serializers.CharField(allow_null=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        # `context` is a Serializer attribute of its own: the field is added by name here.
        fields = super().get_fields()
        fields["context"] = serializers.DictField(help_text="As the client sent it.")
        return fields


class ImportedSerializer(serializers.Serializer):
    matched = serializers.IntegerField(
        help_text="Listens matched to a catalog song (stored now, or already stored: duplicates)."
    )
    unmatched = serializers.IntegerField(help_text="Listens that matched no song: not stored.")
    duplicates = serializers.IntegerField(
        help_text="Matched listens already stored for the caller (an earlier import of them)."
    )
    stored = serializers.IntegerField(help_text="Plays stored by this request: matched - duplicates.")
    too_old = serializers.IntegerField(
        help_text="Listens older than the events' retention (ANALYTICS_RETENTION_MONTHS): not stored, "
        "counted in no other field."
    )


class ImportErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    index = serializers.IntegerField(required=False, help_text="Position of the bad listen (0-based).")
    line = serializers.IntegerField(required=False, help_text="Its line (1-based), in JSON lines.")
    field = serializers.CharField(allow_null=True)


class ImportFileSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A ListenBrainz listens export (JSON array or JSON lines).")
