"""Rating input and output shapes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from music_discovery.fields import QueryIntegerField, StrictIntegerField

# Ids are PostgreSQL bigints: anything larger cannot name a song and must not reach the database.
MAX_ID = 2**63 - 1


class RatingInputSerializer(serializers.Serializer):
    song = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="Id of the song to rate.")
    score = StrictIntegerField(min_value=1, max_value=5, help_text="Stars, an integer from 1 to 5.")


# A plain Serializer: a ModelSerializer would rebuild its fields from the model on every vote.
class RatingSerializer(serializers.Serializer):
    """The caller's rating of a song."""

    song = serializers.IntegerField(source="song_id", read_only=True, help_text="Id of the rated song.")
    score = serializers.IntegerField(read_only=True, help_text="Stars, 1 to 5.")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class RatingListQuerySerializer(serializers.Serializer):
    song = QueryIntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Only the caller's rating of this song."
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # An empty `?song=` means no filter, as an empty filter field does everywhere in DRF.
        if hasattr(data, "get") and data.get("song") == "":
            data = {key: value for key, value in data.items() if key != "song"}
        return super().to_internal_value(data)
