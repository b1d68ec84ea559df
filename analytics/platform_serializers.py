"""The platform reads' query parameters and answers (summary, trends), for validation and
the OpenAPI schema."""

from __future__ import annotations

from rest_framework import serializers

from analytics.scoring import ACTION_WEIGHTS
from analytics.selectors.trends import DEFAULT_LIMIT, DEFAULT_WINDOW, MAX_LIMIT, WINDOW_DAYS
from music_discovery.fields import QueryIntegerField

WEIGHTS_TEXT = ", ".join(f"{action} {weight:+d}" for action, weight in ACTION_WEIGHTS.items())


class TrendsQuerySerializer(serializers.Serializer):
    window = serializers.ChoiceField(
        choices=list(WINDOW_DAYS),
        default=DEFAULT_WINDOW,
        help_text="day: today (UTC); week: the last 7 days; month: the last 30; all: every day.",
    )
    limit = QueryIntegerField(
        min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT, help_text="Items of each kind."
    )


class _Ranked(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.IntegerField(help_text=f"Weighted activity in the window ({WEIGHTS_TEXT}).")
    previous_score = serializers.IntegerField(
        allow_null=True, help_text="Score in the window of the same length just before (null for `all`)."
    )
    change = serializers.IntegerField(
        allow_null=True, help_text="score - previous_score: positive when rising (null for `all`)."
    )


class TrendingSongSerializer(_Ranked):
    title = serializers.CharField()
    artists = serializers.ListField(child=serializers.CharField(), help_text="Credited artists, in order.")


class TrendingNameSerializer(_Ranked):
    name = serializers.CharField()


class TrendsSerializer(serializers.Serializer):
    window = serializers.ChoiceField(choices=list(WINDOW_DAYS))
    songs = TrendingSongSerializer(many=True)
    artists = TrendingNameSerializer(
        many=True, help_text="Each gets the full score of every song crediting it."
    )
    genres = TrendingNameSerializer(many=True)


class ActionCountsSerializer(serializers.Serializer):
    play = serializers.IntegerField()
    like = serializers.IntegerField()
    skip = serializers.IntegerField()
    share = serializers.IntegerField()


class SummarySerializer(serializers.Serializer):
    users = serializers.IntegerField()
    songs = serializers.IntegerField()
    ratings = serializers.IntegerField()
    activities = serializers.IntegerField(help_text="Listening events counted so far, all actions.")
    activities_by_action = ActionCountsSerializer()
    active_users_24h = serializers.IntegerField(help_text="Users with an event in the last 24 hours.")
    active_users_7d = serializers.IntegerField(help_text="Users with an event in the last 7 days.")
    as_of = serializers.DateTimeField(help_text="When these figures were computed.")
