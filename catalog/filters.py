"""Query parameters of /api/songs/ and /api/artists/.

Every value is validated by a form field: a bad value is a 400 naming the parameter, and
numeric bounds keep absurd values (1e400, 10**30) away from the database drivers.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, ClassVar

import django_filters
from django import forms
from django.db.models import QuerySet

from catalog.models import Artist, Song
from catalog.selectors.search import RankedSongSearch, artist_search, song_search, song_search_ranked
from catalog.selectors.search_text import MAX_QUERY_LENGTH, normalize_query
from catalog.selectors.songs import song_title_contains

# (field, lowest accepted bound, highest accepted bound) of each range filter.
RANGE_FIELDS: list[tuple[str, float, float]] = [
    ("danceability", -1e6, 1e6),
    ("energy", -1e6, 1e6),
    ("loudness", -1e6, 1e6),
    ("acousticness", -1e6, 1e6),
    ("instrumentalness", -1e6, 1e6),
    ("liveness", -1e6, 1e6),
    ("valence", -1e6, 1e6),
    ("tempo", -1e6, 1e6),
    ("duration_ms", -(2**31), 2**31 - 1),
]

ORDERING_FIELDS = [
    "title",
    "average_rating",
    "total_ratings",
    "rating_score",
    "tempo",
    "energy",
    "danceability",
    "valence",
    "duration_ms",
]


class SearchField(forms.CharField):
    """Search text, normalized before validation: control characters (NUL included) are
    dropped and the length bounded, so any typed text is a valid search."""

    def to_python(self, value):
        return normalize_query(super().to_python(value) or "")


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField


class IntegerFilter(django_filters.NumberFilter):
    # The stubs pin NumberFilter's field to DecimalField; any number field works.
    field_class = forms.IntegerField  # type: ignore[assignment]


class StableOrderingFilter(django_filters.OrderingFilter):
    """`ordering=a,-b`: any listed field, `-` for descending; unknown fields are a 400.
    The id is always the last key, so pages never overlap or skip rows on ties."""

    def filter(self, qs: QuerySet, value):
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        return qs.order_by(*ordering, "id")


class CachedFormFilterSet(django_filters.FilterSet):
    """Builds its form class once per class (per set of filters) instead of once per
    request: the fields depend on nothing but the declarations.

    With `only_given=True` it copies, validates and applies only the filters whose
    parameters `data` has (a filter whose parameter is absent does nothing anyway): copying
    every filter and form field per request cost ~1.5 ms for the songs' thirty filters,
    more than most searches. The browsable API's filter form, which must show every field,
    builds the filter set without it."""

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


def _range_filters() -> dict[str, django_filters.NumberFilter]:
    filters = {}
    for field, low, high in RANGE_FIELDS:
        kind = IntegerFilter if field == "duration_ms" else django_filters.NumberFilter
        for prefix, lookup, words in (("min", "gte", "at least"), ("max", "lte", "at most")):
            filters[f"{prefix}_{field}"] = kind(
                field_name=field, lookup_expr=lookup, min_value=low, max_value=high, label=f"{field} {words}"
            )
    return filters


# min_<feature> / max_<feature>, generated: one pair per numeric audio feature.
# (mypy cannot follow a class built by type(): it checks SongFilter against the base.)
if TYPE_CHECKING:
    _RangeFilterSet = CachedFormFilterSet
else:
    _RangeFilterSet = type("_RangeFilterSet", (CachedFormFilterSet,), _range_filters())


class SongFilter(_RangeFilterSet):
    key = IntegerFilter(min_value=-1, max_value=11, help_text="Pitch class, -1 (none) to 11.")
    mode = IntegerFilter(min_value=0, max_value=1, help_text="0 minor, 1 major.")
    time_signature = IntegerFilter(min_value=0, max_value=12)
    spotify_id = django_filters.CharFilter(max_length=64)
    title = django_filters.CharFilter(
        method="filter_title",
        max_length=MAX_QUERY_LENGTH,
        help_text="Case-insensitive substring of the title (index-served on PostgreSQL).",
    )
    # Declared after the plain filters: the search ranks what they left.
    search = SearchFilter(
        method="filter_search",
        help_text=(
            "Typo-tolerant search of titles and artist names, best match first unless "
            f"`ordering` is given. Cut to {MAX_QUERY_LENGTH} characters; a query with no "
            "letter or digit matches nothing."
        ),
    )
    ordering = StableOrderingFilter(
        fields=ORDERING_FIELDS,
        help_text=(
            "Comma-separated fields, `-` prefix for descending; ties are broken by id. "
            "An unknown field is a 400. Without it, a search comes by relevance, else by id."
        ),
    )

    class Meta:
        model = Song
        fields: list[str] = []

    def relevance_results(self) -> RankedSongSearch | QuerySet[Song]:
        """The filtered songs for a paginated list. A search without `ordering` comes in
        relevance order, ranked (on PostgreSQL) only as far as the requested page needs."""
        data = self.form.cleaned_data
        if not data.get("search") or data.get("ordering"):
            return self.qs
        # Built by the view, always with a queryset.
        assert self.queryset is not None
        queryset = self.queryset.all()
        for name, value in data.items():
            if name not in ("search", "ordering"):
                queryset = self.filters[name].filter(queryset, value)
        return song_search_ranked(queryset, data["search"])

    def filter_title(self, queryset: QuerySet[Song], name: str, value: str) -> QuerySet[Song]:
        return song_title_contains(queryset, value)

    def filter_search(self, queryset: QuerySet[Song], name: str, value: str) -> QuerySet[Song]:
        # With an explicit `ordering`, relevance would be computed only to be thrown away.
        return song_search(queryset, value, ranked=not self.form.cleaned_data.get("ordering"))


class ArtistFilter(CachedFormFilterSet):
    search = SearchFilter(
        method="filter_search",
        help_text="Substring of the name, case-insensitive; exact and prefix matches first.",
    )

    class Meta:
        model = Artist
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Artist], name: str, value: str) -> QuerySet[Artist]:
        return artist_search(queryset, value)
