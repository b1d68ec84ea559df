"""Typo-tolerant song search and artist search: the entry points.

How a query's terms are resolved (typo corrections, terms that cannot match) is
`search_words`; the relevance order and the bounded ranking on PostgreSQL are
`search_postgres`. A query made only of 1-2 character terms has no complete trigram: it is
matched whole (`search_short`), to the artist it names and as a title prefix.

SQLite (the embedded default): the same rules in Python over the filtered rows; correct,
not fast.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import partial, reduce
from operator import or_

from django.db import connections
from django.db.models import Case, F, IntegerField, Q, QuerySet, When
from django.db.models.functions import Collate, Lower

from catalog.models import Artist, Song, SongArtist
from catalog.selectors.lookups import ILike, InList, Like
from catalog.selectors.search_accents import accented_texts
from catalog.selectors.search_postgres import FetchedSongs, candidates, ranked
from catalog.selectors.search_ranking import RankedIds, RankedSongSearch
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
    similarity,
    song_query,
    title_words,
)
from catalog.selectors.search_words import ParsedQuery, Parser, parse_postgres, parse_python, reread
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
    """A search's matches, unranked, for a caller that orders them by something else.

    `songs`: the matches as `search_postgres.candidates` finds them for a sort of them all.
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
        return SearchMatches(queryset.filter(InList(F("id"), _python_ranked(queryset, text, terms))))
    parsed = parse_postgres(queryset.db, text, terms)
    if not parsed.matchable:
        return SearchMatches(queryset.none())
    if not parsed.variants:
        return SearchMatches(_song_search_postgres(queryset, text, terms))
    share = parsed.estimated_matches() / parsed.songs if parsed.songs > 0 else 0.0
    fetched: FetchedSongs = {}  # each term's artists' songs fetched once for both statements
    named = named_unless_trigrams(queryset, text, terms)
    songs = _with_named(
        queryset, candidates(queryset, parsed, within_set=within_set, fetched=fetched)[0], named
    )
    if within_set or share <= COMMON_SUBSTRING_SHARE:
        return SearchMatches(songs, share)
    walkable = _with_named(queryset, candidates(queryset, parsed, common=True, fetched=fetched)[0], named)
    return SearchMatches(songs, share, walkable)


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
    matches, any_term = candidates(queryset, parsed)
    return ranked(_with_named(queryset, matches, named), parsed, named, any_term=any_term)


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
        return RankedIds(queryset, _python_ranked(queryset, text, terms))
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


# ---------------------------------------------------------------------------------------
# SQLite and anything else: the same rules in Python
# ---------------------------------------------------------------------------------------
def _in_one_place(lowered: str, names: list[str], parsed: ParsedQuery) -> bool:
    """Whether the title holds every term, or one artist's name every term that some name
    holds and the title the others (PostgreSQL's ways other than the mixed ones)."""
    in_title = [any(v in lowered for v in variants) for variants in parsed.variants]
    if all(in_title):
        return True
    return any(
        all(
            any(v in name for v in variants) if named else held
            for variants, named, held in zip(parsed.variants, parsed.in_artist_names, in_title, strict=True)
        )
        for name in names
    )


def _python_rank(
    title: str, names: list[str], parsed: ParsedQuery, *, named: bool = False, any_term: bool = False
) -> tuple[int, int] | None:
    """(tier, number of terms matched), or None when the song does not match at all.
    `named`: the song is credited to an artist that a query with a 1-2 character term
    names (`search_short.named_artist_ids`); `any_term`: `relevance_sql`'s."""
    lowered = title.lower()
    if named:
        return (-1, len(parsed.variants))
    if not parsed.variants:
        return (1, 0) if lowered.startswith(parsed.text) else None
    matched = 0
    for variants in parsed.variants:
        if any(v in lowered or any(v in name for name in names) for v in variants):
            matched += 1
    if not matched:
        return None
    if lowered in parsed.texts:
        return (0, matched)
    if any(lowered.startswith(text) for text in parsed.texts):
        return (1, matched)
    starting = parsed.starting(lowered)
    short = 0 if any_term else parsed.short_words_held(lowered)
    if all(starting) and (any_term or short == len(parsed.short_terms)):
        return (2, matched)
    if (
        not any_term
        and (short or any(starting))
        and all(
            starts or not any(v in lowered for v in variants)
            for starts, variants in zip(starting, parsed.variants, strict=True)
        )
    ):
        return (3, matched)  # some words in the title, the other terms in an artist's name
    if not any(v in lowered for variants in parsed.variants for v in variants):
        return (4, matched)  # found through an artist's name alone
    return (5, matched)


def _song_search_python(queryset: QuerySet[Song], text: str, terms: list[str]) -> QuerySet[Song]:
    return _in_order(queryset, _python_ranked(queryset, text, terms)[:PYTHON_MAX_RESULTS])


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


def _python_parser(using: str) -> Parser:
    """`parse_python` over every title's and name's words, read from the database once (a
    query read again, `search_words.reread`, is parsed over the same words)."""
    title_counts = Counter(
        w for title in Song.objects.using(using).values_list("title", flat=True) for w in title_words(title)
    )
    artist_names = [name.lower() for name in Artist.objects.using(using).values_list("name", flat=True)]
    return partial(parse_python, title_counts=title_counts, artist_names=artist_names)


def corrected_query(using: str, query: str) -> str:
    """`query` normalized, as song search corrects it (`ParsedQuery.corrected`: each term no
    word starts with as its best correction, accents folded: `beyonse` is `beyonce`)."""
    text = song_query(query)
    terms = query_terms(text)
    if not terms:
        return text
    vendor = connections[using].vendor
    parsed = (
        parse_postgres(using, text, terms) if vendor == "postgresql" else _python_parser(using)(text, terms)
    )
    return parsed.corrected if parsed.variants else text


def _order(
    item: tuple[tuple[int, int], str, int],
    *,
    parsed: ParsedQuery,
    corrected: str,
    popularity: dict[int, int | None],
    any_term: bool,
) -> tuple:
    """The Python ranking's sort key of a match (`_python_rank`'s tier, its title and id),
    `relevance_sql`'s order."""
    (tier, _), title, song_id = item
    lowered = title.lower()
    missing = 0
    if any_term and tier != -1:
        missing = sum(not any(v in lowered for v in variants) for variants in parsed.variants)
    # An artist so named (tier -1), or found through an artist's name alone (tier 4):
    # its songs most popular first, as `search_postgres.popular_named_first` and
    # `relevance_sql` order them, as are the titles equal to the query or a form of it
    # (tier 0) and those starting with it (tier 1), but for a query of 1-2 letter words,
    # whose titles come by title as `search_short`'s index-ordered scan lists them;
    # the titles holding some of the query's words, the other terms in an artist's name
    # (tier 3), as `search_postgres._held_sql` orders them; ties as `popular_first` orders
    # them.
    song_popularity = popularity[song_id]
    popular = -song_popularity if song_popularity is not None else 1
    closeness: float | tuple[int, int, int, float] = (
        -similarity(lowered, corrected) if tier in (2, 5) else 0.0
    )
    if tier == 3:
        first, short, starting = parsed.words_held(lowered)
        every_term = starting == len(parsed.variants)
        known = song_popularity if song_popularity is not None else -1
        then = 0.495 * similarity(lowered, corrected) if every_term else known / 202
        closeness = (-first, -short, -starting, -then)
    by_popularity = tier in (-1, 0, 4) or (tier == 1 and bool(parsed.variants))
    return (missing, tier, closeness, popular if by_popularity else 0, lowered, popular, song_id)


def _python_ranked(queryset: QuerySet[Song], text: str, terms: list[str]) -> list[int]:
    """Every match's id, best first."""
    rows = list(queryset.order_by().values_list("id", "title", "popularity"))
    parse = _python_parser(queryset.db)
    parsed = parse(text, terms)
    if not parsed.matchable:
        return []
    corrected = parsed.corrected
    names: dict[int, list[str]] = {}
    if parsed.variants:
        for song_id, name in SongArtist.objects.filter(song__in=queryset.order_by().values("id")).values_list(
            "song_id", "artist__name"
        ):
            names.setdefault(song_id, []).append(name.lower())

    named = set(named_unless_trigrams(queryset, text, terms))
    popularity = {song_id: song_popularity for song_id, _, song_popularity in rows}

    songs = [(song_id, title) for song_id, title, _ in rows]

    def ranks(
        parsed: ParsedQuery, songs: list[tuple[int, str]], any_term: bool = False
    ) -> list[tuple[tuple[int, int], str, int]]:
        found = (
            (_python_rank(t, names.get(i, []), parsed, named=i in named, any_term=any_term), t, i)
            for i, t in songs
        )
        return [(rank, title, song_id) for rank, title, song_id in found if rank is not None]

    ranked = ranks(parsed, songs)
    if not ranked:
        return []
    best_coverage = max(rank[1] for rank, _, _ in ranked)
    if parsed.variants and best_coverage < len(parsed.variants):
        # No song has every term as typed: the query read again (`search_words.reread`).
        again = reread(parsed, parse)
        reranked = ranks(again, songs) if again is not None else []
        if again is not None and any(rank[1] == len(again.variants) for rank, _, _ in reranked):
            parsed, ranked, best_coverage = again, reranked, len(again.variants)
    if parsed.variants and best_coverage == len(parsed.variants):
        # Same as PostgreSQL: when some songs have every term, only they are results, and
        # of those, the ones with the terms split between the title and several artist
        # names only when no song has them in one place.
        ranked = [item for item in ranked if item[0][1] == best_coverage]
        in_one_place = [
            item
            for item in ranked
            if item[2] in named or _in_one_place(item[1].lower(), names.get(item[2], []), parsed)
        ]
        ranked = in_one_place or ranked

    # No song has every term: the titles holding more terms first, an artist so named aside
    # (`relevance_sql`'s `any_term`).
    any_term = bool(parsed.variants) and best_coverage < len(parsed.variants)
    if any_term:
        # The same matches (whether a song matches does not depend on it), tiered again.
        ranked = ranks(parsed, [(song_id, title) for _, title, song_id in ranked], any_term=True)

    order = partial(_order, parsed=parsed, corrected=corrected, popularity=popularity, any_term=any_term)
    ranked.sort(key=order)
    return [song_id for _, _, song_id in ranked]


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
