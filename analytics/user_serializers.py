"""Response shapes of a user's statistics, export and import (the OpenAPI schema's source)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from analytics.events_in import MAX_BATCH, MAX_ID
from analytics.platform_serializers import ActionCountsSerializer
from music_discovery.fields import (
    AwareDateTimeField,
    KnownFieldsMixin,
    StrictBooleanField,
    StrictIntegerField,
)


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
        help_text="Consecutive UTC days with any counted event (none kept out of taste), ending today or "
        "yesterday (0 otherwise)."
    )
    top_songs = TopSongSerializer(
        many=True,
        help_text="Best weighted score first; positive scores only. The top lists can trail the "
        "totals by the user rollup job's period (ANALYTICS_USER_ROLLUP_SECONDS).",
    )
    top_artists = RankedSerializer(many=True, help_text="Artists credited on the user's songs, best first.")
    top_genres = RankedSerializer(many=True, help_text="Genres of the user's songs, best first.")
    recent = RecentEventSerializer(many=True, help_text="The latest 20 events, newest first.")


class ExportLineSerializer(serializers.Serializer):
    """One line of an export: the fields POST /api/analytics/activity/ takes, the event's id
    and received_at."""

    id = serializers.IntegerField(help_text="The event's id (what the exclusions endpoint takes).")
    song = serializers.IntegerField()
    spotify_id = serializers.CharField(allow_null=True)
    action = serializers.ChoiceField(choices=["play", "like", "skip", "share"])
    occurred_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    event_id = serializers.CharField(allow_null=True)
    excluded = serializers.BooleanField(help_text="Kept out of the user's taste: counted nowhere.")

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
    import_id = serializers.CharField(
        help_text="This import's id, in the `import` of its events' context: POST it to "
        "/api/analytics/user/{id}/exclusions/ to keep the whole import out of your taste."
    )


class ImportOptionsSerializer(serializers.Serializer):
    excluded = serializers.BooleanField(default=False)


class ImportErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    index = serializers.IntegerField(required=False, help_text="Position of the bad listen (0-based).")
    line = serializers.IntegerField(required=False, help_text="Its line (1-based), in JSON lines.")
    field = serializers.CharField(allow_null=True)


class ImportFileSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A ListenBrainz listens export (JSON array or JSON lines).")


class ExclusionInputSerializer(KnownFieldsMixin, serializers.Serializer):
    """Which of the caller's events to keep out of their taste (or let back in): exactly one
    of `events`, the window `since`..`until`, or `import_id`."""

    events = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        # As many as an ingest batch holds.
        max_length=MAX_BATCH,
        required=False,
        help_text=f"Event ids (the export's `id`), up to {MAX_BATCH}.",
    )
    since = AwareDateTimeField(required=False, help_text="A window's start (inclusive); with `until`.")
    until = AwareDateTimeField(required=False, help_text="A window's end (exclusive); with `since`.")
    import_id = serializers.RegexField(
        r"^[0-9a-f]{32}$", required=False, help_text="An import's id, as the import answered it."
    )
    excluded = StrictBooleanField(
        default=True, help_text="true (the default): keep them out; false: count them again."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        named: list[str] = [key for key in ("events", "import_id") if key in attrs]
        if "since" in attrs or "until" in attrs:
            named.append("since")
        if len(named) != 1:
            raise serializers.ValidationError(
                {"events": "Name the events by exactly one of `events`, `since` and `until`, or `import_id`."}
            )
        if named == ["since"]:
            for key in ("since", "until"):
                if key not in attrs:
                    raise serializers.ValidationError({key: "A window needs both `since` and `until`."})
            if attrs["since"] >= attrs["until"]:
                raise serializers.ValidationError({"until": "Must be after `since`."})
        return attrs


class ExcludedSerializer(serializers.Serializer):
    excluded = serializers.BooleanField(help_text="What the named events are now.")
    matched = serializers.IntegerField(help_text="The caller's events the request named.")
    changed = serializers.IntegerField(
        help_text="Of those, the ones this request changed (the others already were so)."
    )
