from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import RATING_PRIOR_MEAN, RATING_PRIOR_WEIGHT, Artist, Song
from catalog.selectors.songs import SIMILAR_DEFAULT_LIMIT, SIMILAR_MAX_LIMIT, songs_with_artists


class ArtistBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Artist
        fields = ["id", "name"]


class ArtistSerializer(serializers.ModelSerializer):
    class Meta:
        model = Artist
        fields = ["id", "spotify_id", "name"]


class SongSerializer(serializers.ModelSerializer):
    artists = serializers.SerializerMethodField()
    rating_score = serializers.FloatField(
        read_only=True,
        help_text=(
            f"Bayesian average: (sum of scores + {RATING_PRIOR_WEIGHT} x {RATING_PRIOR_MEAN}) / "
            f"(number of ratings + {RATING_PRIOR_WEIGHT})."
        ),
    )

    class Meta:
        model = Song
        fields = [
            "id",
            "spotify_id",
            "title",
            "artists",
            "danceability",
            "energy",
            "key",
            "loudness",
            "mode",
            "acousticness",
            "instrumentalness",
            "liveness",
            "valence",
            "tempo",
            "duration_ms",
            "time_signature",
            "num_bars",
            "num_sections",
            "num_segments",
            "average_rating",
            "total_ratings",
            "rating_score",
        ]
        read_only_fields = fields

    def to_representation(self, song: Song) -> dict:
        # Every field is a read-only model attribute (artists aside): reading them directly,
        # instead of through DRF field objects that each serializer instance builds and
        # deep-copies, makes a page of songs several times cheaper to render. The declared
        # fields still describe the schema and fix the order of the keys.
        return {
            name: self.get_artists(song) if name == "artists" else getattr(song, name)
            for name in self.Meta.fields
        }

    @extend_schema_field(ArtistBriefSerializer(many=True))
    def get_artists(self, song: Song) -> list[dict]:
        # Lists set this for a whole page at once (selectors.songs.songs_with_artists); a
        # song that comes without it costs one query here.
        credits = getattr(song, "artist_credits", None)
        if credits is None:
            credits = songs_with_artists([song])[0].artist_credits
        return credits


class SimilarSongSerializer(serializers.Serializer):
    song = SongSerializer()
    score = serializers.FloatField(help_text="1.0: identical audio-feature profile, less when further.")


class SimilarSongsSerializer(serializers.Serializer):
    results = SimilarSongSerializer(many=True)


class SimilarQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False,
        default=SIMILAR_DEFAULT_LIMIT,
        min_value=1,
        help_text=f"How many songs, default {SIMILAR_DEFAULT_LIMIT}; above {SIMILAR_MAX_LIMIT} is capped.",
    )

    def validate_limit(self, value: int) -> int:
        return min(value, SIMILAR_MAX_LIMIT)
