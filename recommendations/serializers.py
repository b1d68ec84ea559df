"""The recommendation endpoints' requests and answers (`../shared/API.md`, Recommendations)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.serializers.songs import SongSerializer
from music_discovery.fields import QueryIntegerField, StrictCharField, StrictIntegerField
from recommendations.engine import MOOD_TARGETS
from recommendations.lists import DEFAULT_LIMIT
from recommendations.services import MAX_LIMIT, SIMILAR_DEFAULT_LIMIT, SIMILAR_MAX_LIMIT
from users.services import PROFILE_LIST_MAX_ITEMS, moods_normalize

# Seeds a request may name, per kind: enough to steer a list, few enough to check at once.
MAX_SEEDS = 20


# The query serializers read a plain dict (`request.query_params.dict()`): from a QueryDict
# DRF reads an empty `?limit=` as absent, the default, where it is no number (a 400).
class ListQuerySerializer(serializers.Serializer):
    limit = QueryIntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


class TaskQuerySerializer(serializers.Serializer):
    limit = QueryIntegerField(
        min_value=1,
        max_value=MAX_LIMIT,
        required=False,
        help_text="Cut the result to this many songs (a GET's `status_url` names the length it asked).",
    )


@extend_schema_field({"type": "string", "enum": sorted(MOOD_TARGETS)})
class MoodField(StrictCharField):
    """A mood in a request body: any string here, its length and vocabulary checked by the
    serializer as the profile's moods are (a ChoiceField's message would not list the allowed
    ones); the schema still lists them."""


class RefreshSerializer(serializers.Serializer):
    # A JSON body: its values as sent ("5" is no limit, 5 no genre).
    limit = StrictIntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    seed_genres = serializers.ListField(
        child=StrictCharField(max_length=100), max_length=MAX_SEEDS, default=list
    )
    seed_artists = serializers.ListField(
        child=StrictCharField(max_length=500), max_length=MAX_SEEDS, default=list
    )
    seed_songs = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=2**63 - 1), max_length=MAX_SEEDS, default=list
    )
    # Bounded as sent only loosely (the profile's own bound): repeats and blanks are dropped
    # before the vocabulary bounds what is left, as the profile's moods are.
    moods = serializers.ListField(
        child=MoodField(allow_blank=True),
        max_length=PROFILE_LIST_MAX_ITEMS,
        default=list,
        help_text=(
            "Moods as the profile takes them: any case, blanks and repeats dropped; "
            f"at most {PROFILE_LIST_MAX_ITEMS} entries as sent."
        ),
    )

    def validate_moods(self, value: list[str]) -> list[str]:
        # The profile's rule (users.services.moods_normalize): an unknown mood is a 400
        # listing the allowed ones.
        try:
            return moods_normalize(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict["moods"]) from error


class ItemSerializer(serializers.Serializer):
    song = SongSerializer()
    score = serializers.FloatField(
        help_text="The blend's score: higher is a better fit; comparable within one list."
    )
    reasons = serializers.ListField(
        child=serializers.CharField(),
        help_text=(
            "Why the song is there, in words, strongest first; never empty, at most three. A "
            "signal is named when it adds at least 35% of the song's strongest one; a liked "
            "artist or genre also when the song's is at least 35% as liked as the favourite."
        ),
    )


class ListSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    source = serializers.CharField(  # type: ignore[assignment]  # a field, popped by the metaclass
        help_text='"catalog": every song from the loaded catalog; "catalog+spotify": some from Spotify.'
    )
    results = ItemSerializer(many=True)


class TaskAcceptedSerializer(serializers.Serializer):
    task_id = serializers.UUIDField()
    status_url = serializers.CharField(help_text="Where to poll the task: GET it until `state` is final.")


class TaskStatusSerializer(serializers.Serializer):
    task_id = serializers.UUIDField()
    state = serializers.ChoiceField(choices=["pending", "started", "success", "failure"])
    result = ListSerializer(required=False, help_text="The list, once `state` is success.")
    error = serializers.CharField(required=False, help_text="What went wrong, once `state` is failure.")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        return {key: value for key, value in data.items() if value is not None}


class SimilarSongSerializer(serializers.Serializer):
    song = SongSerializer()
    score = serializers.FloatField(
        help_text="1.0: the same sound; 0.5: a standard deviation away on every feature on average."
    )


class SimilarSongsSerializer(serializers.Serializer):
    results = SimilarSongSerializer(many=True)


class SimilarQuerySerializer(serializers.Serializer):
    limit = QueryIntegerField(
        required=False,
        default=SIMILAR_DEFAULT_LIMIT,
        min_value=1,
        help_text=f"How many songs, default {SIMILAR_DEFAULT_LIMIT}; above {SIMILAR_MAX_LIMIT} is capped.",
    )

    def validate_limit(self, value: int) -> int:
        return min(value, SIMILAR_MAX_LIMIT)


class WhyNotSerializer(serializers.Serializer):
    song = serializers.IntegerField()
    in_list = serializers.BooleanField(help_text="Whether the song is in the list as computed now.")
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why, in words; never empty.")
    rank = serializers.IntegerField(
        allow_null=True,
        help_text=(
            "Its place in the list (1 = best) when it is there; else 1 + how many songs the blend "
            "scores above it, those the artist cap holds back included; null when it may be in no list."
        ),
    )
    score = serializers.FloatField(allow_null=True, help_text="Its blended score.")
    cut = serializers.FloatField(allow_null=True, help_text="The score of the list's last song.")


class FeedbackSerializer(serializers.Serializer):
    song = StrictIntegerField(min_value=1, max_value=2**63 - 1, help_text="A song's id.")
    feedback = serializers.ChoiceField(
        choices=["more_like_this", "not_for_me"],
        help_text="more_like_this counts as a like, not_for_me as a skip; the latest per song counts.",
    )


class SnoozeSerializer(serializers.Serializer):
    song = StrictIntegerField(min_value=1, max_value=2**63 - 1, help_text="A song's id.")
    days = StrictIntegerField(min_value=1, max_value=365, help_text="For how many days, 1 to 365.")
