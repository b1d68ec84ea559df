"""The bounded ranking of a song search on PostgreSQL: `ranked_page`, which ranks what the
ways of finding matches (`search_ways`) read, and `RankedSongSearch`, which pages a search
without ranking every match.

The rules (what matches, the relevance order) are `search_postgres`'s.
"""

from __future__ import annotations

import operator
from dataclasses import replace
from functools import reduce
from typing import Any

from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.lookups import Exact, GreaterThan, LessThanOrEqual

from catalog.models import Song
from catalog.selectors.counts import EXACT_COUNT_LIMIT, count_up_to
from catalog.selectors.lookups import Like
from catalog.selectors.search_postgres import Reading, popular_first, prefix_key, prefix_q, ties_sql
from catalog.selectors.search_text import escape_like
from catalog.selectors.search_ways import Bounds, Ranking, find_ways, match_split, rank
from catalog.selectors.search_words import ParsedQuery
from catalog.selectors.search_words_postgres import reread_postgres

# Up to this many estimated matches a search is ranked in one statement at once; above it,
# tier by tier as far as a page needs.
SMALL_RESULT = 300
# Each way of finding matches (`search_ways`) looks at this many songs at most, so that a
# page of a search costs the same however many songs match it (ranking one costs ~10 us,
# most of it the trigram similarity: bench/README.md, "Search").
RANK_AT_MOST = 300
# The mixed ways (terms split between a title and artist names) read at most this many
# songs each: they check every song term by term.
MIXED_AT_MOST = 100
# A search expected to match at most this many songs (by the word list, or in a set of at
# most EXACT_COUNT_LIMIT songs) has its ways read up to this many songs each: when that finds
# every match, at most this many, all are ranked (an exact count) though a way met
# RANK_AT_MOST; leaving some out would hide them from every page. Reading further costs
# every search whose ways meet RANK_AT_MOST (bench/README.md, "Search").
WHOLE_AT_MOST = 2 * RANK_AT_MOST


def ranked_page(
    queryset: QuerySet[Song],
    parsed: ParsedQuery,
    *,
    any_term: bool = False,
    exclude_prefixes: bool = False,
    limit: int | None = None,
    widen: bool = False,
    split: bool | None = None,
) -> Ranking:
    """The songs with every term (any term with `any_term`) in relevance order, at most
    `limit` of them, without the titles starting with the query with `exclude_prefixes`.

    One statement: each way of finding matches reads at most RANK_AT_MOST songs (with
    `widen`, WHOLE_AT_MOST) through an index, and only those are checked and ranked, so a
    common word costs no more than a rare one. When a way read as many songs as it may,
    there may be matches it did not reach: the ranking is then of the matches found, not
    of all (`whole` False).

    `split` (`Reading.split`), once decided: False, the ways of one place only; True, the
    mixed ways only. None: the mixed ways when the others find nothing (`Ranking.split`)."""
    groups = [[i] for i in range(len(parsed.variants))] if any_term else [list(range(len(parsed.variants)))]
    if exclude_prefixes:
        # Before the bounds: the songs read are then all past the prefix tiers.
        queryset = queryset.exclude(prefix_q(parsed))
    bounds = Bounds(RANK_AT_MOST, MIXED_AT_MOST, WHOLE_AT_MOST if widen else None)
    ranking = Ranking([], [], 0, True)
    if not split:
        ways = [way for terms in groups for way in find_ways(queryset, parsed, terms, bounds)]
        ranking = rank(queryset, parsed, ways, limit, bounds.whole, any_term=any_term)
        if ranking.found or split is False:
            return ranking
    # Terms split between a title and artist names are looked for only when no song has
    # them all in its title or in one artist's name.
    mixed = [way for terms in groups for way in find_ways(queryset, parsed, terms, bounds, mixed=True)]
    if not mixed:
        return ranking
    found = rank(queryset, parsed, mixed, limit, bounds.whole, any_term=any_term)
    return replace(found, whole=found.whole and ranking.whole, split=True)


def small_set(queryset: QuerySet[Song], parsed: ParsedQuery, *, within_set: bool) -> bool:
    """Whether `queryset`, a set its own index lists (`within_set`), holds at most
    EXACT_COUNT_LIMIT songs while the word list expects more than SMALL_RESULT matches in the
    whole catalog: such a set is searched like a small result."""
    return (
        within_set
        and parsed.estimated_matches() > SMALL_RESULT
        and count_up_to(queryset, EXACT_COUNT_LIMIT) <= EXACT_COUNT_LIMIT
    )


def reads_widely(queryset: QuerySet[Song], parsed: ParsedQuery, *, within_set: bool) -> bool:
    """Whether the ways read up to WHOLE_AT_MOST songs each (`ranked_page`'s `widen`), for
    deciding how a query reads (`search_reading`) in every order alike."""
    return parsed.estimated_matches() <= WHOLE_AT_MOST or small_set(queryset, parsed, within_set=within_set)


def search_reading(
    queryset: QuerySet[Song], parsed: ParsedQuery, *, widen: bool, unmatched: bool = False
) -> Reading:
    """How the songs of `queryset` match `parsed` (`Reading`), as the bounded ways of
    finding them (`search_ways.match_split`) tell: with every term in one place, else split
    between the title and several names; if no song has every term either way, the query
    read again (`search_words.reread`) the same way; else any term will do. The one rule
    for a search in relevance order (`RankedSongSearch`) and in any other
    (`search.song_search_matches`), so that both list the same songs. `unmatched`: a
    ranking of `parsed` found no song with every term already. `widen`: the ways read as far
    as the ranking's do (`reads_widely`), so that every order finds what it finds (the songs
    a way reads are filtered by the request only after they are read)."""
    if len(parsed.variants) < 2:
        # One term: its songs hold it (in one place), and there is nothing to read again.
        return Reading(parsed)
    bounds = Bounds(RANK_AT_MOST, MIXED_AT_MOST, WHOLE_AT_MOST if widen else None)
    split = None if unmatched else match_split(queryset, parsed, bounds)
    if split is not None:
        return Reading(parsed, split=split)
    again = reread_postgres(queryset.db, parsed)
    if again is not None and (split := match_split(queryset, again, bounds)) is not None:
        return Reading(again, split=split)
    return Reading(parsed, any_term=True)


class RankedIds:
    """A search's matches in relevance order as a paginator wants them: `count_bounded()`
    and slices, a slice reading only its own songs. Here every match's id, known at once
    (the Python ranking of the SQLite path); `RankedSongSearch` reads them as pages need."""

    ordered = True

    def __init__(self, queryset: QuerySet[Song], ids: list[int]) -> None:
        self.queryset = queryset
        self.ids = ids

    def count_bounded(self) -> tuple[int, bool]:
        return len(self.ids), True

    def count(self) -> int:
        return self.count_bounded()[0]

    def __len__(self) -> int:
        return self.count()

    def ranked_ids(self, start: int, stop: int) -> list[int]:
        """Ids of the matches from `start` to `stop` in relevance order."""
        return self.ids[start:stop]

    def __getitem__(self, index: slice) -> list[Song]:
        if not isinstance(index, slice):
            raise TypeError(f"{type(self).__name__} only supports slices")
        start = index.start or 0
        stop = index.stop if index.stop is not None else start + RANK_AT_MOST
        ids = self.ranked_ids(start, stop)
        songs = {song.pk: song for song in self.queryset.filter(pk__in=ids).order_by()}
        return [songs[song_id] for song_id in ids if song_id in songs]


class RankedSongSearch(RankedIds):
    """A relevance-ranked search that the paginator can slice without ranking every match.

    A search the word list expects to match at most SMALL_RESULT songs is ranked in one
    statement, which gives its exact count too when every match was reached. A larger one
    is fetched tier by tier, each in its own order and only as far as the requested page
    needs: titles equal to the query, then titles starting with it, each most popular first
    and read at most as far as the page (PostgreSQL sorts a rare prefix's range of the title
    index, and walks the songs most popular first for a common one until the page is full),
    then the remaining matches ranked by `ranked_page`, which only pages past the first two
    tiers pay for.
    The order is the same as `song_search`'s, with one bound: past the first two tiers, only
    the matches that `ranked_page`'s bounded scans reach are ranked (all of them when
    reading up to WHOLE_AT_MOST songs a way reaches every match), and only they are listed
    and counted (`count_bounded`)."""

    def __init__(self, queryset: QuerySet[Song], parsed: ParsedQuery, *, within_set: bool = False) -> None:
        """`within_set`: `queryset` is a set that its own index lists (a genre's, an
        artist's songs). The word list estimates matches in the whole catalog; such a set
        holding at most EXACT_COUNT_LIMIT songs (counted through that index, no further) is
        ranked in one statement like a small result."""
        super().__init__(queryset, [])
        self.parsed = parsed
        # Ids of every match in order, when one statement ranked them all.
        self.complete: list[int] | None = None
        # Past the prefix tiers, the bounded ranking, once made.
        self.rest: list[int] | None = None
        self.any_term = False
        # Whether the terms are split between the title and several names (`Reading`);
        # None until decided.
        self.split: bool | None = None
        self.estimate = parsed.estimated_matches()
        # The page the paginator will ask for (`expect_page`), and the last read (`_first`).
        self.expected_stop = 0
        self.read: tuple[int, list[int], Ranking | None] | None = None
        several = len(parsed.variants) > 1
        small = small_set(queryset, parsed, within_set=within_set)
        # Whether the ways read up to WHOLE_AT_MOST songs (`ranked_page`, `reads_widely`).
        self.widen = widen = small or self.estimate <= WHOLE_AT_MOST
        if self.estimate <= SMALL_RESULT or small:
            ranking = ranked_page(queryset, parsed, widen=widen)
            self.split = ranking.split
            if not ranking.found and several:
                # The same rule as `search_reading`'s, whose first look this ranking was.
                self._settle(search_reading(queryset, parsed, widen=widen, unmatched=True), small)
                ranking = ranked_page(
                    queryset, self.parsed, any_term=self.any_term, widen=self.widen, split=self.split
                )
            if ranking.whole:
                self.complete = ranking.ids
            else:
                # More matches than the bounded ways read: the prefix tiers come from their
                # own index scans, the rest from this ranking.
                self.rest = ranking.past_prefixes
        else:
            self._settle(search_reading(queryset, parsed, widen=widen), small)

    def _settle(self, reading: Reading, small: bool) -> None:
        """Search the query as `reading` reads it: read again, or any term will do (many
        more songs may match then), or its terms split."""
        self.parsed, self.any_term, self.split = reading.parsed, reading.any_term, reading.split
        self.estimate = self.parsed.estimated_any() if self.any_term else self.parsed.estimated_matches()
        self.widen = small or self.estimate <= WHOLE_AT_MOST

    def expect_page(self, *, start: int, stop: int) -> None:
        """The page the paginator will ask for, and count before: the count is then read
        with it (`count_bounded`)."""
        self.expected_stop = stop

    def count_bounded(self) -> tuple[int, bool]:
        """(songs the pages list, whether they are every match), from the reads of the
        expected page and the song after it: when those reach past the prefix tiers, the
        songs of the prefix tiers and of the bounded ranking past them (whether a way met
        its bound says whether that is every match); while the prefix tiers fill them, at
        least those songs (not every match: reading the whole tiers and ranking the rest to
        count them would cost a common word's first page several times its own cost:
        bench/README.md, "Search", "The count of a search by relevance")."""
        if self.complete is not None:
            return len(self.complete), True
        ids, rest = self._first(self.expected_stop + 1)
        if rest is None:
            return len(ids), False
        return len(ids) - len(rest.ids) + rest.found, rest.whole

    def _prefix_scans(self) -> tuple[list[QuerySet[Song]], list[QuerySet[Song]]]:
        """The exact and prefix tiers: (the exact scans, the prefix scans), each a scan of
        songs most popular first (ties by title and id), to be merged in that order.

        There are as many exact values and prefixes as texts (`ParsedQuery.texts`: the query,
        its correction, its accented forms); an OR of them would make PostgreSQL walk the
        whole index in order, so each gets its own scan. A prefix that extends another adds
        nothing to it, and disjoint prefixes are disjoint ranges: no song is listed twice."""
        key = prefix_key()
        texts = self.parsed.texts
        # The titles equal to a text as the prefix range cut at the text (`LIKE 'you%'` and
        # `<= 'you'`), not `= 'you'`, and ordered by the key first though it is one value
        # there: an equality, or popularity first, makes the planner walk the popularity
        # index instead, which for a common title reads far more (bench/README.md, "Accents
        # folded"; 80,000 songs read at 1M to find the 113 titled "Love").
        exact: list[QuerySet[Song]] = [
            self.queryset.filter(Like(key, escape_like(text) + "%"), LessThanOrEqual(key, text))
            .alias(search_key=key)
            .order_by("search_key", popular_first(), "id")
            for text in texts
        ]
        scans: list[QuerySet[Song]] = []
        for prefix in texts:
            if any(prefix != other and prefix.startswith(other) for other in texts):
                continue
            # The range past the titles equal to the prefix, which the exact scans listed:
            # a bound of the index scan, where excluding them read each one (thousands of
            # songs titled "You") before the first title only starting with it.
            longer = [Q(Exact(key, text)) for text in texts if text != prefix and text.startswith(prefix)]
            past: QuerySet[Song] = self.queryset.filter(
                Like(key, escape_like(prefix) + "%"), GreaterThan(key, prefix)
            )
            if longer:
                past = past.exclude(reduce(operator.or_, longer))
            # The planner sorts the prefix's range, or walks the songs most popular first
            # for a common prefix (migration 0020 keeps its estimate of the range close), in
            # an index holding the title's key after popularity (migration 0021): the walk
            # tests each title there and reads only the rows it lists.
            scans.append(past.alias(search_key=key).order_by(popular_first(), "search_key", "id"))
        return exact, scans

    def _prefix_ids(self, count: int) -> list[int]:
        """The first `count` ids of the exact and prefix tiers, in one round trip: each
        tier's scans merged as one array, most popular first (`popular_first`, then by
        title and id), the exact tier's before the prefix tier's."""
        parts: list[str] = []
        params: list[Any] = []
        for scans in self._prefix_scans():
            if not scans:
                continue
            merged = []
            for scan in scans:
                sql, scan_params = scan.values_list("id", "popularity", "title")[
                    :count
                ].query.sql_with_params()
                merged.append(f"({sql})")
                params.extend(scan_params)
            parts.append(
                f"ARRAY(SELECT e.id FROM ({' UNION ALL '.join(merged)}) AS e"
                f" ORDER BY e.popularity DESC NULLS LAST, {ties_sql('e')} LIMIT {int(count)})"
            )
        with connections[self.queryset.db].cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts)}", params)
            return [song_id for tier in cursor.fetchone() for song_id in tier][:count]

    def _rest(self, count: int) -> Ranking:
        """The first `count` matches past the prefix tiers, best first, with how many there
        are (`found`, `whole`)."""
        if self.rest is not None:
            return Ranking(self.rest[:count], self.rest[:count], len(self.rest), False)
        return ranked_page(
            self.queryset,
            self.parsed,
            any_term=self.any_term,
            exclude_prefixes=True,
            limit=count,
            widen=self.widen,
            split=self.split,
        )

    def _first(self, stop: int) -> tuple[list[int], Ranking | None]:
        """The ids of the first `stop` matches in relevance order, and the ranking past the
        prefix tiers when it was needed (None when the prefix tiers fill them), read once
        for a count and the slices within it."""
        if self.read is None or self.read[0] < stop:
            ids = self._prefix_ids(stop)
            rest = None
            if len(ids) < stop:
                rest = self._rest(stop - len(ids))
                ids.extend(rest.ids)
            self.read = (stop, ids, rest)
        return self.read[1][:stop], self.read[2]

    def ranked_ids(self, start: int, stop: int) -> list[int]:
        if self.complete is not None:
            return self.complete[start:stop]
        return self._first(stop)[0][start:stop]
