"""Representations of songs, artists and genres.

Songs, artists and genres come from the catalog's selectors with what they carry besides
their columns already attached (`songs_attach`, `artists_attach`): these serializers read
attributes and never query.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import RATING_PRIOR_MEAN, RATING_PRIOR_WEIGHT, Song


class ArtistBriefSerializer(serializers.Serializer):
    """An artist credited on a song."""

    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_field(ArtistBriefSerializer(many=True))
class ArtistCreditsField(serializers.ReadOnlyField):
    """The song's artists in credit order, as `songs_attach` sets them."""


@extend_schema_field(serializers.ListField(child=serializers.CharField()))
class NamesField(serializers.ReadOnlyField):
    """A list of names, as the selectors set it."""


# Field types whose representation of a model value is the value itself (or None).
_PLAIN_FIELDS = (
    serializers.ReadOnlyField,
    serializers.IntegerField,
    serializers.FloatField,
    serializers.BooleanField,
    serializers.CharField,
)


# A read-only serializer that renders its declared fields, in their order, from their
# sources, with each field's own representation, but reads plain attributes of plain types
# directly: DRF's per-field machinery (`get_attribute`, `to_representation`, the None
# check) costs several times more than the attribute read for a page of a hundred songs
# with thirty fields (bench/search.py renders pages). Any other field (nested, method,
# dotted source) takes DRF's path. The readers are built once per class, from the fields
# of its first instance: a field here must not depend on the serializer's context.
# (A comment, not a docstring: the schema would show it.)
class AttributeSerializer(serializers.Serializer):
    # Set on each subclass by _readers (declared here, not set: a subclass must not find its
    # parent's).
    _field_readers: ClassVar[list[tuple[str, Callable[[Any], Any]]]]

    def _readers(self) -> list[tuple[str, Callable[[Any], Any]]]:
        cls = type(self)
        readers = cls.__dict__.get("_field_readers")
        if readers is None:
            readers = []
            for field in self._readable_fields:
                if isinstance(field, _PLAIN_FIELDS) and len(field.source_attrs) == 1:
                    readers.append((field.field_name, attrgetter(field.source_attrs[0])))
                else:
                    readers.append((field.field_name, _drf_reader(field)))
            cls._field_readers = readers
        return readers

    def to_representation(self, instance: Any) -> dict:
        return {name: read(instance) for name, read in self._readers()}


def _drf_reader(field: serializers.Field) -> Callable[[Any], Any]:
    def read(instance: Any) -> Any:
        value = field.get_attribute(instance)
        return None if value is None else field.to_representation(value)

    return read


class SongSerializer(AttributeSerializer, serializers.ModelSerializer):
    """A song with its audio features and rating aggregates; a value its source did not
    give is null."""

    artists = ArtistCreditsField(source="artist_credits")
    genres = NamesField(source="genre_names")
    rating_score = serializers.FloatField(
        read_only=True,
        help_text=(
            f"Bayesian average: (sum of scores + {RATING_PRIOR_WEIGHT} x {RATING_PRIOR_MEAN}) / "
            f"(number of ratings + {RATING_PRIOR_WEIGHT})."
        ),
    )
    my_rating = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The caller's own score of this song (1-5); null when anonymous or not rated.",
    )

    class Meta:
        model = Song
        fields = [
            "id",
            "spotify_id",
            "title",
            "artists",
            "album",
            "genres",
            "popularity",
            "explicit",
            "danceability",
            "energy",
            "key",
            "loudness",
            "mode",
            "speechiness",
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
            "my_rating",
        ]
        read_only_fields = fields


class ArtistSerializer(AttributeSerializer):
    """An artist; its genres are those of its songs."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    genres = NamesField(source="genre_names", help_text="The genres of its songs, most songs first.")
    song_count = serializers.IntegerField(read_only=True, help_text="Songs it is credited on.")


class ArtistDetailSerializer(ArtistSerializer):
    """An artist with its top songs."""

    genres = NamesField(help_text="The genres of its songs, most songs first.")
    top_songs = SongSerializer(
        many=True,
        read_only=True,
        help_text="Its most popular songs (unknown popularity last), then by rating score.",
    )


class GenreSerializer(AttributeSerializer):
    """A genre and how many songs it has."""

    name = serializers.CharField(read_only=True, help_text="Normalised name: lowercase, single spaces.")
    song_count = serializers.IntegerField(read_only=True)
