"""Typo-tolerant song search and artist search: the entry points.

How a query's terms are resolved (typo corrections, terms that cannot match) is
`search_words`; the relevance order and the bounded ranking on PostgreSQL are
`search_postgres`. A query made only of 1-2 character terms has no complete trigram: it is
matched whole (`search_short`), to the artist it names and as a title prefix.

SQLite (the embedded default) and any other database: the same rules in Python over the
filtered rows (`search_python`); correct, not fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import connections
from django.db.models import Case, F, IntegerField, Q, QuerySet, When
from django.db.models.functions import Collate, Lower

from catalog.models import Artist, Song
from catalog.selectors.lookups import ILike, InList, Like
from catalog.selectors.search_accents import accented_texts
from catalog.selectors.search_postgres import FetchedSongs, Reading, candidates, ranked
from catalog.selectors.search_python import python_parser, python_ranked
from catalog.selectors.search_ranking import RankedIds, RankedSongSearch, reads_widely, search_reading
from catalog.selectors.search_short import (
    NamedFirst,
    named_unless_trigrams,
    short_search,
    short_search_ranked,
)
from catalog.selectors.search_text import (
    MIN_TRIGRAM_TERM,
    escape_like,
    normalize_query,
    query_terms,
    song_query,
)
from catalog.selectors.search_words import ParsedQuery
from catalog.selectors.search_words_postgres import parse_postgres
from catalog.selectors.songs import COMMON_SUBSTRING_SHARE

__all__ = [
    "RankedIds",
    "RankedSongSearch",
    "SearchMatches",
    "artist_search",
    "corrected_query",
    "song_search",
    "song_search_matches",
    "song_search_ranked",
    "song_search_top",
]

# The SQLite path's queryset in relevance order (`song_search`) holds at most this many
# songs, each with its position in the SQL; pages and orderings use every match.
PYTHON_MAX_RESULTS = 1000


def song_search(queryset: QuerySet[Song], query: str) -> QuerySet[Song]:
    """`queryset` narrowed to songs matching `query`, best match first.

    Any string is accepted: it is normalized and bounded first; a query with no letter or
    digit matches nothing.
    """
    text = song_query(query)
    terms = query_terms(text)
    if not terms:
        return queryset.none()
    if connections[queryset.db].vendor == "postgresql":
        return _song_search_postgres(queryset, text, terms)
    return _song_search_python(queryset, text, terms)


@dataclass(frozen=True)
class SearchMatches:
    """A search's matches, unranked, for a caller that orders them by something else: the
    songs a search in relevance order lists, every one of them (`search_postgres.candidates`
    as `search_ranking.search_reading` reads the query, the rule of `RankedSongSearch` too).

    `share`: the share of the catalog's songs the title-word list expects to match
    (PostgreSQL only; 0 elsewhere). `walkable`, when that share is over
    COMMON_SUBSTRING_SHARE outside a set: the same matches with the artists' songs fetched
    first (`candidates`' `common`), for plans that test rows one by one and stop early (a
    walk of an index in the wanted order, a bounded count); None otherwise."""

    songs: QuerySet[Song]
    share: float = 0.0
    walkable: QuerySet[Song] | None = None


def song_search_matches(queryset: QuerySet[Song], query: str, *, within_set: bool = False) -> SearchMatches:
    """The songs of `queryset` matching `query` (`within_set` is `candidates`')."""
    text = song_query(query)
    terms = query_terms(text)
    if not terms:
        return SearchMatches(queryset.none())
    if connections[queryset.db].vendor != "postgresql":
        return SearchMatches(queryset.filter(InList(F("id"), python_ranked(queryset, text, terms))))
    parsed = parse_postgres(queryset.db, text, terms)
    if not parsed.matchable:
        return SearchMatches(queryset.none())
    if not parsed.variants:
        return SearchMatches(_song_search_postgres(queryset, text, terms))
    named = named_unless_trigrams(queryset, text, terms)
    reading = _reading(queryset, parsed, named, within_set=within_set)
    # Every term's estimate, any term or not: the thresholds on it were measured so
    # (bench/README.md, "Ordered searches of common words").
    share = reading.parsed.estimated_matches() / parsed.songs if parsed.songs > 0 else 0.0
    fetched: FetchedSongs = {}  # each term's artists' songs fetched once for both statements
    songs = _with_named(
        queryset, candidates(queryset, reading, within_set=within_set, fetched=fetched), named
    )
    if within_set or share <= COMMON_SUBSTRING_SHARE:
        return SearchMatches(songs, share)
    walkable = _with_named(queryset, candidates(queryset, reading, common=True, fetched=fetched), named)
    return SearchMatches(songs, share, walkable)


def _reading(queryset: QuerySet[Song], parsed: ParsedQuery, named: list[int], *, within_set: bool) -> Reading:
    """`search_reading` of the songs other than those of an artist the query names, which
    come first whatever else matches, as `song_search_ranked` reads them (its ways reading
    as far: `reads_widely`)."""
    others = queryset.exclude(InList(F("id"), named)) if named else queryset
    return search_reading(others, parsed, widen=reads_widely(others, parsed, within_set=within_set))


def artist_search(queryset: QuerySet[Artist], query: str) -> QuerySet[Artist]:
    """Artists whose name contains `query`, or a form of it whose words are accented
    differently (`search_accents.accented_texts`), served by the trigram index on PostgreSQL: the exact
    name first, then names starting with it, then the rest by name."""
    text = normalize_query(query)
    if not query_terms(text):
        return queryset.none()
    lowered = Lower("name")
    texts = accented_texts(queryset.db, [text])[0]
    if len(text) < MIN_TRIGRAM_TERM:
        matched = queryset.filter(
            reduce(or_, (Q(Like(Collate(lowered, "C"), escape_like(t) + "%")) for t in texts))
        )
    else:
        matched = queryset.filter(reduce(or_, (Q(ILike(F("name"), f"%{escape_like(t)}%")) for t in texts)))
        if len(texts) > 1 and (common := _common_pattern(texts)):
            # One pattern for the index, the forms checked on what it finds: an OR of the
            # forms' patterns was planned as a scan of every name (bench/README.md).
            matched = matched.filter(ILike(F("name"), f"%{common}%"))
    return matched.annotate(
        search_rank=Case(
            When(reduce(or_, (Q(Like(lowered, escape_like(t))) for t in texts)), then=0),
            When(reduce(or_, (Q(Like(lowered, escape_like(t) + "%")) for t in texts)), then=1),
            default=2,
            output_field=IntegerField(),
        )
    ).order_by("search_rank", "name", "id")


def _common_pattern(texts: list[str]) -> str | None:
    """A LIKE pattern all of `texts` (forms of one text: as long as it, letter for letter)
    match, `_` where they differ; None when it keeps no MIN_TRIGRAM_TERM letters in a row,
    which no trigram of an index could serve."""
    letters = [chars[0] if len(set(chars)) == 1 else None for chars in zip(*texts, strict=True)]
    runs = "".join(" " if c is None else "x" for c in letters).split()
    if not runs or max(map(len, runs)) < MIN_TRIGRAM_TERM:
        return None
    return "".join("_" if c is None else escape_like(c) for c in letters)


def _song_search_postgres(queryset: QuerySet[Song], text: str, terms: list[str]) -> QuerySet[Song]:
    parsed = parse_postgres(queryset.db, text, terms)
    if not parsed.matchable:
        return queryset.none()
    if not parsed.variants:
        return short_search(queryset, text)
    named = named_unless_trigrams(queryset, text, terms)
    reading = _reading(queryset, parsed, named, within_set=False)
    matches = _with_named(queryset, candidates(queryset, reading), named)
    return ranked(matches, reading.parsed, named, any_term=reading.any_term)


def _with_named(queryset: QuerySet[Song], matches: QuerySet[Song], named: list[int]) -> QuerySet[Song]:
    """`matches` and the songs of the artist so named (`named_unless_trigrams`)."""
    return matches | queryset.filter(InList(F("id"), named)) if named else matches


def song_search_ranked(
    queryset: QuerySet[Song], query: str, *, within_set: bool = False
) -> RankedIds | QuerySet[Song]:
    """Like `song_search`, for a paginated list in relevance order of every match: on
    PostgreSQL a `RankedSongSearch` that fetches only the tiers a page needs (`within_set`:
    see its constructor); elsewhere every match ranked in Python."""
    text = song_query(query)
    terms = query_terms(text)
    if not terms:
        return queryset.none()
    if connections[queryset.db].vendor != "postgresql":
        return RankedIds(queryset, python_ranked(queryset, text, terms))
    parsed = parse_postgres(queryset.db, text, terms)
    if not parsed.matchable:
        return queryset.none()
    if not parsed.variants:
        return short_search_ranked(queryset, text)
    named = named_unless_trigrams(queryset, text, terms)
    if named:
        others = queryset.exclude(InList(F("id"), named))
        return NamedFirst(queryset, named, RankedSongSearch(others, parsed, within_set=within_set))
    return RankedSongSearch(queryset, parsed, within_set=within_set)


def _song_search_python(queryset: QuerySet[Song], text: str, terms: list[str]) -> QuerySet[Song]:
    return _in_order(queryset, python_ranked(queryset, text, terms)[:PYTHON_MAX_RESULTS])


def _in_order(queryset: QuerySet[Song], ids: list[int]) -> QuerySet[Song]:
    """The songs of `ids` in that order (`search_rank`: the position)."""
    if not ids:
        return queryset.none()
    return (
        queryset.filter(pk__in=ids)
        .annotate(
            search_rank=Case(
                *(When(pk=song_id, then=position) for position, song_id in enumerate(ids)),
                output_field=IntegerField(),
            )
        )
        .order_by("search_rank", "id")
    )


def corrected_query(using: str, query: str) -> str:
    """`query` normalized, as song search corrects it (`ParsedQuery.corrected`: each term no
    word starts with as its best correction, accents folded: `beyonse` is `beyonce`)."""
    text = song_query(query)
    terms = query_terms(text)
    if not terms:
        return text
    vendor = connections[using].vendor
    parsed = (
        parse_postgres(using, text, terms) if vendor == "postgresql" else python_parser(using)(text, terms)
    )
    return parsed.corrected if parsed.variants else text


def song_search_top(
    queryset: QuerySet[Song], query: str, *, limit: int = PYTHON_MAX_RESULTS
) -> QuerySet[Song]:
    """The best `limit` matches as a plain queryset in relevance order, for callers that
    need a queryset (the admin): ranking every match of a common word at a million songs
    takes seconds, the tiers of `song_search_ranked` take milliseconds."""
    ranked = song_search_ranked(queryset, query)
    if not isinstance(ranked, RankedIds):
        return ranked
    return _in_order(queryset, ranked.ranked_ids(0, limit))
