"""A search with a term of 1-2 characters ("AC/DC", "P!nk", "ne-yo", "JAY-Z", "the xx"):
such a term has no complete trigram, so the query is also matched whole, and the songs of
the artist it names (`named_artist_ids`: the whole name, or the name's words) come first,
most popular first, then by title (lowercased, byte by byte), then id. When every
term is that short, the titles starting with the query follow, by title (equal titles most
popular first); otherwise the other matches, in relevance order (`search.song_search_ranked`).

The titles come from an index-ordered prefix scan on PostgreSQL, which stops at the page;
the SQLite path applies the same rule in Python (`search_python.python_ranked`)."""

from __future__ import annotations

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from catalog.models import Artist, Song, SongArtist
from catalog.naming import name_key
from catalog.selectors.counts import queryset_count_bounded
from catalog.selectors.lookups import EqualsAnyOf, InList, Like
from catalog.selectors.refs import artist_keys_accented
from catalog.selectors.search_postgres import popular_first, popular_named_first, prefix_key
from catalog.selectors.search_ranking import RankedIds
from catalog.selectors.search_text import MIN_TRIGRAM_TERM, escape_like, title_words
from catalog.selectors.songs import TitleKey

# How many names holding a query's words in order are read to find those that are exactly
# its words (`named_artist_ids`); a name is rarely spelled more than a few ways.
NAMED_CANDIDATES = 200


def named_artist_ids(text: str) -> list[int]:
    """The artists a query (`normalize_query`'s text) names: the one whose whole name it is
    (`name_key`, found by its unique index; or but for its accents: `refs.artist_keys_accented`),
    else those whose name's words are the query's
    words in the same order (`title_words`, the search's word rule), so that `jay z` names
    JAY-Z and `ac dc` AC/DC: looked for among the first NAMED_CANDIDATES names (in the
    order of the name prefix index, lowercased byte by byte) whose first word is the
    query's and that hold the others in order."""
    exact = list(Artist.objects.filter(name_key=name_key(text)).values_list("id", flat=True))
    if not exact:
        # Else the whole name but for its accents (`ze felipe`: Zé Felipe, `pe`: Pé).
        keys = list(artist_keys_accented([text]).values())
        exact = list(Artist.objects.filter(name_key__in=keys).values_list("id", flat=True)) if keys else []
    words = title_words(text)
    if exact or len(words) < 2:
        return exact
    # The names whose first word is the query's, when a space or an ASCII punctuation mark
    # from "!" to "/" ends it: one contiguous range of the index, byte by byte.
    names = Artist.objects.alias(name_order=TitleKey("name")).filter(
        name_order__gte=words[0] + " ", name_order__lt=words[0] + "0"
    )
    holding = names.filter(Like(TitleKey("name"), "%".join(map(escape_like, words)) + "%"))
    candidates = holding.order_by("name_order")[:NAMED_CANDIDATES]
    return [pk for pk, name in candidates.values_list("id", "name") if title_words(name) == words]


def named_song_ids(queryset: QuerySet[Song], text: str) -> list[int]:
    """The songs of `queryset` credited to the artists `text` names (`named_artist_ids`),
    most popular first, then by title."""
    artists = named_artist_ids(text)
    if not artists:
        return []
    credited = SongArtist.objects.filter(InList(F("artist_id"), artists)).values("song_id")
    named = queryset.filter(EqualsAnyOf(F("id"), credited)).alias(search_key=prefix_key())
    return list(named.order_by(popular_first(), "search_key", "id").values_list("id", flat=True))


def _prefixed(queryset: QuerySet[Song], text: str) -> QuerySet[Song]:
    """The titles starting with `text`, in the order of their index."""
    return (
        queryset.alias(search_key=prefix_key())
        .filter(Like(prefix_key(), escape_like(text) + "%"))
        .order_by("search_key", popular_first(), "id")
    )


def short_search(queryset: QuerySet[Song], text: str, named: list[int] | None = None) -> QuerySet[Song]:
    """The matches as one queryset in that order (`search_rank` 0 for the artist's songs,
    1 for titles), for callers that need a queryset or sort the matches themselves.
    `named`: `named_song_ids`, when already read."""
    named = named_song_ids(queryset, text) if named is None else named
    if not named:
        return _prefixed(queryset, text).annotate(search_rank=Value(1))
    is_named = Q(InList(F("id"), named))
    return (
        queryset.alias(search_key=prefix_key())
        .filter(Q(Like(prefix_key(), escape_like(text) + "%")) | is_named)
        .annotate(
            search_rank=Case(When(is_named, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("search_rank", popular_named_first(named), "search_key", popular_first(), "id")
    )


def named_unless_trigrams(queryset: QuerySet[Song], text: str, terms: list[str]) -> list[int]:
    """`named_song_ids` when a term of the query is too short for trigrams (only then would
    its words not count otherwise), else none."""
    if all(len(term) >= MIN_TRIGRAM_TERM for term in terms):
        return []
    return named_song_ids(queryset, text)


class NamedFirst(RankedIds):
    """The matches for a paginated list when an artist is so named: its songs, then the
    others (`rest`) without them, read only as far as a page needs: the titles' prefix scan
    in index order (a sort of both would read every title starting with the query: a tenth
    of the catalog for an artist named "A"), or a ranked search's tiers."""

    def __init__(self, queryset: QuerySet[Song], named: list[int], rest: QuerySet[Song] | RankedIds) -> None:
        super().__init__(queryset, named)
        self.rest = rest

    def expect_page(self, *, start: int, stop: int) -> None:
        expect = getattr(self.rest, "expect_page", None)
        if expect is not None:
            expect(start=max(start - len(self.ids), 0), stop=max(stop - len(self.ids), 0))

    def count_bounded(self) -> tuple[int, bool]:
        if isinstance(self.rest, RankedIds):
            rest, exact = self.rest.count_bounded()
        else:
            rest, exact = queryset_count_bounded(self.rest)
        return len(self.ids) + rest, exact

    def ranked_ids(self, start: int, stop: int) -> list[int]:
        ids = self.ids[start:stop]
        if start + len(ids) < stop:
            first, last = max(start - len(self.ids), 0), stop - len(self.ids)
            if isinstance(self.rest, RankedIds):
                ids += self.rest.ranked_ids(first, last)
            else:
                ids += self.rest.values_list("id", flat=True)[first:last]
        return ids


def short_search_ranked(queryset: QuerySet[Song], text: str) -> RankedIds | QuerySet[Song]:
    """`short_search` for a paginated list in that order."""
    named = named_song_ids(queryset, text)
    if not named:
        return short_search(queryset, text, named)
    return NamedFirst(queryset, named, _prefixed(queryset, text).exclude(InList(F("id"), named)))
