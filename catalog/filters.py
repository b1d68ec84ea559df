"""Query parameters of /api/songs/ and /api/artists/: their names, types, bounds and help.

Every value is validated by a form field: a bad value is a 400 naming the parameter, and
numeric bounds keep absurd values (1e400, 10**30) away from the database drivers. The
filter sets apply the plain narrowing filters the django-filter way, then hand the
narrowed songs, with the search text and ordering, to the one read selector
(`catalog.selectors.songs.song_results`): DRF's filter backend returns what it returns.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, ClassVar

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, ProhibitNullCharactersValidator
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from catalog.models import Artist, Song
from catalog.selectors.artists import ArtistResults, artist_results
from catalog.selectors.refs import genre_key
from catalog.selectors.search_text import MAX_QUERY_LENGTH, normalize_query
from catalog.selectors.songs import ORDERING_FIELDS, SongResults, song_results, song_title_contains

MAX_ID = 2**63 - 1

# (field, lowest accepted bound, highest accepted bound) of each range filter.
RANGE_FIELDS: list[tuple[str, float, float]] = [
    ("danceability", -1e6, 1e6),
    ("energy", -1e6, 1e6),
    ("loudness", -1e6, 1e6),
    ("speechiness", -1e6, 1e6),
    ("acousticness", -1e6, 1e6),
    ("instrumentalness", -1e6, 1e6),
    ("liveness", -1e6, 1e6),
    ("valence", -1e6, 1e6),
    ("tempo", -1e6, 1e6),
    ("duration_ms", -(2**31), 2**31 - 1),
    ("popularity", -(2**15), 2**15 - 1),
]
_INTEGER_FIELDS = {"duration_ms", "popularity"}
# Parameters the selector applies itself rather than as a narrowing filter.
_SELECTOR_PARAMETERS = ("search", "ordering")
# Filters that narrow the songs to a set listed by its own index: `song_results(within_set=)`.
_SET_FILTERS = ("artist", "genre")


class SearchField(forms.CharField):
    """Search text, normalized before validation: a NUL is refused as in every text
    parameter, other control characters are dropped and the length bounded, so any other
    typed text is a valid search."""

    def to_python(self, value):
        text = super().to_python(value) or ""
        # CharField's own NUL check runs after to_python, on text normalize_query has
        # already rid of control characters: it is run here on the text as sent.
        ProhibitNullCharactersValidator()(text)
        return normalize_query(text)


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField


# A number as the loader reads one (catalog.loading): ASCII digits, no `_` separators, no
# fullwidth or other Unicode digits, which Python's int() and float() would take.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class AsciiIntegerField(forms.IntegerField):
    """A whole number in ASCII digits: `1.0`, `1_0` and `１` are refused."""

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and value.strip() and not _INTEGER.fullmatch(value.strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class AsciiNumberField(forms.FloatField):
    """A decimal number in ASCII digits (an exponent allowed): `1_0`, `１`, `nan` and `inf`
    are refused."""

    def to_python(self, value: Any) -> float | None:  # type: ignore[override]
        if isinstance(value, str) and value.strip() and not _NUMBER.fullmatch(value.strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class BoundedNumberFilter(django_filters.NumberFilter):
    """A number filter whose one upper bound is its own `max_value`: django-filter adds a
    1e50 bound to every number filter, so a value past both was refused with two messages
    naming two limits. A filter given no max_value keeps that guard."""

    def get_max_validator(self) -> MaxValueValidator | None:
        return None if "max_value" in self.extra else super().get_max_validator()


class IntegerFilter(BoundedNumberFilter):
    # The stubs pin NumberFilter's field to DecimalField; any number field works.
    field_class = AsciiIntegerField  # type: ignore[assignment]


class DecimalNumberFilter(BoundedNumberFilter):
    field_class = AsciiNumberField  # type: ignore[assignment]


class StrictBooleanField(forms.Field):
    """`true`/`false` (or `1`/`0`), any case; anything else is refused rather than ignored."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        lowered = str(value).strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise ValidationError("Expected true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    # The stubs pin BooleanFilter's field to NullBooleanField; any field giving a bool works.
    field_class = StrictBooleanField  # type: ignore[assignment]


class CachedFormFilterSet(django_filters.FilterSet):
    """Builds its form class once per class (per set of filters) instead of once per
    request: the fields depend on nothing but the declarations.

    With `only_given=True` it copies, validates and applies only the filters whose
    parameters `data` has (a filter whose parameter is absent does nothing anyway): copying
    every filter and form field per request cost more than most searches (bench/README.md)."""

    # Distinct filter sets whose form class is kept per class; past that, built per request.
    FORM_CLASSES_KEPT = 256
    # Set on each subclass by get_form_class (declared here, not set: a subclass must not
    # find its parent's).
    _form_classes: ClassVar[dict[tuple[str, ...], type[forms.Form]]]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, only_given: bool = False):
        if only_given and data is not None and prefix is None:
            self.base_filters = OrderedDict(
                (name, f) for name, f in type(self).base_filters.items() if name in data
            )
        super().__init__(data, queryset, request=request, prefix=prefix)

    def get_form_class(self):
        cls = type(self)
        form_classes = cls.__dict__.get("_form_classes")
        if form_classes is None:
            form_classes = cls._form_classes = {}
        names = tuple(self.filters)
        form_class = form_classes.get(names)
        if form_class is None:
            form_class = super().get_form_class()
            if len(form_classes) < self.FORM_CLASSES_KEPT:
                form_classes[names] = form_class
        return form_class

    def parameter(self, name: str, default: Any = "") -> Any:
        """A validated parameter's value, `default` when absent or empty."""
        value = self.form.cleaned_data.get(name)
        return default if value in (None, "", [], ()) else value

    def viewer_id(self) -> int | None:
        user = getattr(self.request, "user", None)
        return user.pk if user is not None and user.is_authenticated else None


def _range_filters() -> dict[str, django_filters.NumberFilter]:
    filters: dict[str, django_filters.NumberFilter] = {}
    for field, low, high in RANGE_FIELDS:
        kind = IntegerFilter if field in _INTEGER_FIELDS else DecimalNumberFilter
        for prefix, lookup, words in (("min", "gte", "at least"), ("max", "lte", "at most")):
            filters[f"{prefix}_{field}"] = kind(
                field_name=field,
                lookup_expr=lookup,
                min_value=low,
                max_value=high,
                label=f"{field} {words} (songs where it is unknown never match)",
            )
    return filters


# min_<feature> / max_<feature>, generated: one pair per numeric audio feature.
# (mypy cannot follow a class built by type(): it checks SongFilter against the base.)
if TYPE_CHECKING:
    _RangeFilterSet = CachedFormFilterSet
else:
    _RangeFilterSet = type("_RangeFilterSet", (CachedFormFilterSet,), _range_filters())


class SongFilterForm(forms.Form):
    def clean_ordering(self):
        """An empty name between commas (`title,`, `,`) is refused like an unknown one:
        django-filter's choice check lets an empty item through."""
        value = self.cleaned_data.get("ordering")
        if value and not all(value):
            raise ValidationError(
                "Empty field name: separate field names with single commas, none at either end.",
                code="invalid",
            )
        return value


class SongFilter(_RangeFilterSet):
    key = IntegerFilter(min_value=-1, max_value=11, help_text="Pitch class, -1 (none) to 11.")
    mode = IntegerFilter(min_value=0, max_value=1, help_text="0 minor, 1 major.")
    time_signature = IntegerFilter(min_value=0, max_value=12)
    spotify_id = django_filters.CharFilter(max_length=64)
    # extend_schema_field is typed for functions and classes; on a filter it works the same.
    artist = extend_schema_field(OpenApiTypes.INT)(  # type: ignore[type-var]
        IntegerFilter(field_name="credits__artist_id", min_value=1, max_value=MAX_ID, help_text="Artist id.")
    )
    genre = django_filters.CharFilter(
        method="filter_genre",
        max_length=100,
        help_text="Genre name, in any case and spacing, or its words (`Hip Hop` is `hip-hop`).",
    )
    explicit = StrictBooleanFilter(help_text="`true` or `false`; songs whose source did not say never match.")
    title = django_filters.CharFilter(
        method="filter_title",
        max_length=MAX_QUERY_LENGTH,
        help_text="Case-insensitive substring of the title (index-served on PostgreSQL).",
    )
    search = SearchFilter(
        help_text=(
            "Typo-tolerant search of titles and artist names, best match first unless "
            "`ordering` is given: exact titles, titles starting with the query (both most "
            "popular first), titles where every word of the query starts a word, titles "
            "holding some of its words whose other terms are in an artist's name (`hans "
            "zimmer a`: A Dark Knight; a title starting with a word of the query first), "
            "songs found by an artist's name alone (most popular first), then titles holding "
            "a term inside a word; songs of equal relevance by "
            "title, and those of the same title most "
            "popular first. Accents are optional (`beyonce`); a contraction may be typed "
            "without its apostrophe (`dont stop`; `cant stop` in a query of two words or "
            "more), as may a possessive in a query of two words or more (`a hard days "
            "night`), and an apostrophe either way (`'` or `’`). When no song has every term "
            "of a query of two words or more, a term is also read as a word one edit away "
            "that titles hold twice as often (`someone you lived`: Someone You Loved). "
            f"Cut to {MAX_QUERY_LENGTH} characters. A NUL is a 400; other "
            "control characters and surrounding spaces are dropped: nothing left is no "
            "search (every song); something left without a letter or digit matches nothing."
        ),
    )
    ordering = django_filters.OrderingFilter(
        fields=ORDERING_FIELDS,
        help_text=(
            "Comma-separated fields, `-` prefix for descending; ties are broken by id, titles "
            "compare without regard to case, and songs whose popularity is unknown come last "
            "either way. An unknown field is a 400. "
            "Without it, a search comes by relevance, else by id."
        ),
    )

    class Meta:
        model = Song
        fields: list[str] = []
        form = SongFilterForm

    def filter_queryset(self, queryset: QuerySet[Song]) -> SongResults:  # type: ignore[override]
        narrowed = queryset
        for name, value in self.form.cleaned_data.items():
            if name not in _SELECTOR_PARAMETERS:
                narrowed = self.filters[name].filter(narrowed, value)
        return song_results(
            songs=narrowed,
            search=self.parameter("search"),
            ordering=self.parameter("ordering", ()),
            viewer_id=self.viewer_id(),
            within_set=any(self.form.cleaned_data.get(name) for name in _SET_FILTERS),
        )

    def filter_title(self, queryset: QuerySet[Song], name: str, value: str) -> QuerySet[Song]:
        return song_title_contains(queryset, value)

    def filter_genre(self, queryset: QuerySet[Song], name: str, value: str) -> QuerySet[Song]:
        return queryset.filter(genres__name=genre_key(value))


class ArtistFilter(CachedFormFilterSet):
    search = SearchFilter(
        help_text=(
            "Part of the name, any case: the exact name first, then names starting with it, "
            "then the rest; when no name contains it, the names closest to it (typos). "
            "A NUL is a 400."
        ),
    )
    genre = django_filters.CharFilter(
        max_length=100,
        help_text=(
            "Artists with at least one song of this genre (any case and spacing, or its words: "
            "`hip hop` is `hip-hop`)."
        ),
    )

    class Meta:
        model = Artist
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Artist]) -> ArtistResults:  # type: ignore[override]
        return artist_results(
            artists=queryset, search=self.parameter("search"), genre=self.parameter("genre")
        )


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, with filter sets that copy only the filters a request
    names (`CachedFormFilterSet`)."""

    def get_filterset_kwargs(self, request, queryset, view):
        return {**super().get_filterset_kwargs(request, queryset, view), "only_given": True}
