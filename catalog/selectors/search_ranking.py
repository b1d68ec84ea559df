"""The bounded ranking of a song search on PostgreSQL: the ways of finding matches, each
reading a bounded number of songs through an index, one statement that checks and ranks
them, and `RankedSongSearch`, which pages a search without ranking every match.

The rules (what matches, the relevance order) are `search_postgres`'s.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db import connections
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.lookups import Exact

from catalog.models import Song
from catalog.selectors.counts import EXACT_COUNT_LIMIT, count_up_to
from catalog.selectors.lookups import EqualsAnyOf, ILike, Like
from catalog.selectors.search_postgres import exact_q, prefix_key, prefix_q, relevance_sql
from catalog.selectors.search_text import escape_like
from catalog.selectors.search_words import ParsedQuery

# Up to this many estimated matches a search is ranked whole, in one statement that also
# counts them; above it, without other filters, the estimate is the count.
SMALL_RESULT = 300
# Each way of finding matches (below) looks at this many songs at most, so that a page of
# a search costs the same however many songs match it (ranking one costs ~10 us, most of it
# the trigram similarity: bench/README.md, "Search").
RANK_AT_MOST = 300
# The mixed ways (terms split between a title and artist names) read at most this many
# songs each: they check every song term by term.
MIXED_AT_MOST = 100
# Songs of at most this many artists whose name holds the terms are looked at.
ARTISTS_AT_MOST = 200


def _title_sql(variants: list[str], title: str) -> tuple[str, list[str]]:
    patterns = [f"%{escape_like(v)}%" for v in variants]
    return "(" + " OR ".join(f"{title} ILIKE %s" for _ in patterns) + ")", patterns


def _check_sql(
    parsed: ParsedQuery, terms: list[int], row: str, *, names: bool = True
) -> tuple[str, list[str]]:
    """SQL true when the song `row` (an alias with `id` and `title`) has each of `terms`
    (indexes into parsed.variants) in its title, or (with `names`) in a credited artist's
    name; evaluated per row."""
    parts, params = [], []
    for index in terms:
        title, patterns = _title_sql(parsed.variants[index], f"{row}.title")
        if names and parsed.in_artist_names[index]:
            # OFFSET 0 keeps the check per row: PostgreSQL would otherwise be free to
            # compute the songs of every artist whose name holds the word (thousands for a
            # common one) once and hash them, on an estimate of a few dozen.
            name_sql = " OR ".join("a.name ILIKE %s" for _ in patterns)
            title = (
                f"({title} OR EXISTS (SELECT 1 FROM catalog_songartist sa JOIN catalog_artist a"
                f" ON a.id = sa.artist_id WHERE sa.song_id = {row}.id AND ({name_sql}) OFFSET 0))"
            )
            patterns = patterns * 2
        parts.append(title)
        params.extend(patterns)
    return " AND ".join(parts) or "true", params


def _title_any_q(variants: list[str]) -> Q:
    return reduce(operator.or_, (Q(ILike(F("title"), f"%{escape_like(v)}%")) for v in variants))


def _songs_of_artists(base: QuerySet, parsed: ParsedQuery, terms: list[int], bound: int) -> tuple[str, list]:
    """SQL of at most `bound` songs credited to (at most ARTISTS_AT_MOST) artists whose
    name holds every term of `terms`: one trigram scan of the names, then the credits'
    artist index and the songs' primary key.

    The names are fenced off from their LIMIT as the ways are (`_fenced`): when the planner
    expects more names than the LIMIT (statistics say a pattern is common, several
    corrections are ORed), it would read the names in table order until the LIMIT is met,
    and where few names hold the terms that is every name."""
    conditions, patterns = [], []
    for i in terms:
        sql, term_patterns = _title_sql(parsed.variants[i], "a.name")
        conditions.append(sql)
        patterns.extend(term_patterns)
    artists = (
        f"WITH named AS MATERIALIZED (SELECT a.id FROM catalog_artist a WHERE {' AND '.join(conditions)})"
        f" SELECT named.id FROM named LIMIT {ARTISTS_AT_MOST}"
    )
    credits = "SELECT sa.song_id FROM catalog_songartist sa"
    songs = f"{credits} WHERE sa.artist_id = ANY(ARRAY({artists})) LIMIT {bound}"
    sql, params = base.filter(EqualsAnyOf(F("id"), RawSQL(songs, patterns))).query.sql_with_params()
    return sql, list(params)


Way = tuple[str, list, str, list, int]


def _ways(
    queryset: QuerySet[Song], parsed: ParsedQuery, terms: list[int], *, mixed: bool = False
) -> list[Way]:
    """The ways of finding songs that have every term of `terms`, each as (SQL of songs
    `id, title` that indexes find, its parameters, the SQL that checks the rest of the
    terms on each of them, its parameters, `bound`: how many of its songs are read):
    - titles holding every term: one trigram index scan reads only such rows;
    - when some terms are in artist names: the songs of the artists whose name holds all
      of those, whose titles must hold the others (an artist's name typed, or a title's
      words and an artist's name);
    - with `mixed`, for several terms of which some are in names, the songs whose terms
      are split between the title and the names otherwise, at most MIXED_AT_MOST songs
      each, checked term by term (title or a credited artist's name): the songs of the
      artists whose name holds the rarest name term, and the titles holding the rarest
      title term. Without `mixed`, none: `[]` when there would be no mixed way."""
    base = queryset.order_by().values_list("id", "title")
    titled = base.filter(*(_title_any_q(parsed.variants[i]) for i in terms))
    titled_sql, titled_params = titled.query.sql_with_params()
    ways: list[Way] = [(titled_sql, list(titled_params), "true", [], RANK_AT_MOST)]
    named = [i for i in terms if parsed.in_artist_names[i]]
    if not named:
        return [] if mixed else ways
    others = [i for i in terms if i not in named]
    sql, params = _songs_of_artists(base, parsed, named, RANK_AT_MOST)
    check, check_params = _check_sql(parsed, others, "x", names=False)
    ways.append((sql, params, check, check_params, RANK_AT_MOST))
    if len(terms) < 2:
        return [] if mixed else ways
    if not mixed:
        return ways
    name_counts = parsed.name_occurrences or (1,) * len(parsed.variants)
    rarest_name = min(named, key=lambda i: name_counts[i])
    ways = []
    if len(named) > 1:
        sql, params = _songs_of_artists(base, parsed, [rarest_name], MIXED_AT_MOST)
        check, check_params = _check_sql(parsed, [i for i in terms if i != rarest_name], "x")
        ways.append((sql, params, check, check_params, MIXED_AT_MOST))
    title_counts = parsed.occurrences or (1,) * len(parsed.variants)
    in_titles = [i for i in terms if title_counts[i] > 0]
    if in_titles:
        rarest_title = min(in_titles, key=lambda i: title_counts[i])
        sql, title_params = base.filter(_title_any_q(parsed.variants[rarest_title])).query.sql_with_params()
        check, check_params = _check_sql(parsed, [i for i in terms if i != rarest_title], "x")
        ways.append((sql, list(title_params), check, check_params, MIXED_AT_MOST))
    return ways


@dataclass(frozen=True)
class Ranking:
    # Matches in relevance order, and those of them past the exact and prefix tiers.
    ids: list[int]
    past_prefixes: list[int]
    # How many matches were ranked, and whether they are every match there is.
    ranked: int
    whole: bool


def ranked_page(
    queryset: QuerySet[Song],
    parsed: ParsedQuery,
    *,
    any_term: bool = False,
    exclude_prefixes: bool = False,
    limit: int | None = None,
) -> Ranking:
    """The songs with every term (any term with `any_term`) in relevance order, at most
    `limit` of them, without the titles starting with the query with `exclude_prefixes`.

    One statement: each way of finding matches (`_ways`) reads at most RANK_AT_MOST songs
    through an index, and only those are checked and ranked, so a common word costs no
    more than a rare one. When a way read as many songs as it may, there may be matches it
    did not reach: the ranking is then of the matches found, not of all."""
    groups = [[i] for i in range(len(parsed.variants))] if any_term else [list(range(len(parsed.variants)))]
    if exclude_prefixes:
        # Before the bounds: the songs read are then all past the prefix tiers.
        queryset = queryset.exclude(prefix_q(parsed))
    ranking = _rank(
        queryset, parsed, [way for terms in groups for way in _ways(queryset, parsed, terms)], limit
    )
    if ranking.ids:
        return ranking
    # Terms split between a title and artist names are looked for only when no song has
    # them all in its title or in one artist's name.
    mixed = [way for terms in groups for way in _ways(queryset, parsed, terms, mixed=True)]
    if not mixed:
        return ranking
    found = _rank(queryset, parsed, mixed, limit)
    return Ranking(found.ids, found.past_prefixes, found.ranked, found.whole and ranking.whole)


def _fenced(ways: list[Way]) -> tuple[str, list, list[str]]:
    """The ways' songs as MATERIALIZED common table expressions (`WITH ...`, its parameters,
    and per way the SQL reading at most its bound of them). Planned apart from the LIMIT
    that bounds them, each keeps its index scan: with the LIMIT in view PostgreSQL may
    prefer reading the table in order until the LIMIT is met, which a rare word never
    meets (a whole-table scan, 0.9 s at 1M songs). Read lazily, a bitmap scan still stops
    at the bound."""
    ctes, params, reads = [], [], []
    for i, (sql, way_params, _, _, bound) in enumerate(ways):
        ctes.append(f"way{i} AS MATERIALIZED ({sql})")
        params.extend(way_params)
        reads.append(f"SELECT w.id, w.title FROM way{i} AS w LIMIT {bound}")
    return "WITH " + ", ".join(ctes), params, reads


def _rank(queryset: QuerySet[Song], parsed: ParsedQuery, ways: list[Way], limit: int | None) -> Ranking:
    with_sql, with_params, reads = _fenced(ways)
    branches, params = [], []
    for (_, _, check, check_params, bound), read in zip(ways, reads, strict=True):
        branches.append(
            f"SELECT x.id, x.title, x.cut, {check} AS ok"
            f" FROM (SELECT y.id, y.title, count(*) OVER () >= {bound} AS cut"
            f" FROM ({read}) AS y) AS x"
        )
        params.extend(check_params)
    relevance, relevance_params = relevance_sql(parsed, "c.title")
    sql = (
        f"{with_sql} SELECT c.id, c.ok, count(*) FILTER (WHERE c.ok) OVER (), bool_or(c.cut) OVER (),"
        f" CASE WHEN c.ok THEN {relevance} END AS relevance FROM ("
        "SELECT u.id, u.title, bool_or(u.cut) AS cut, bool_or(u.ok) AS ok FROM ("
        + " UNION ALL ".join(branches)
        + ") AS u GROUP BY u.id, u.title) AS c"
        + ' ORDER BY c.ok DESC, relevance, lower(c.title) COLLATE "C", c.id'
    )
    # In the text: the ways, the relevance (in the SELECT list), then the checks.
    params = [*with_params, *relevance_params, *params]
    if limit is not None:
        sql += " LIMIT %s"
        params.append(max(limit, 1))
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return Ranking([], [], 0, True)
    matches = [(song_id, relevance) for song_id, ok, _, _, relevance in rows if ok]
    return Ranking(
        ids=[song_id for song_id, _ in matches],
        past_prefixes=[song_id for song_id, relevance in matches if relevance >= 2],
        ranked=int(rows[0][2]),
        whole=not rows[0][3],
    )


def has_match(queryset: QuerySet[Song], parsed: ParsedQuery) -> bool:
    """Whether one of `_ways` finds a song with every term: the first one found ends it."""
    terms = list(range(len(parsed.variants)))
    ways = [*_ways(queryset, parsed, terms), *_ways(queryset, parsed, terms, mixed=True)]
    with_sql, params, reads = _fenced(ways)
    branches = []
    for (_, _, check, check_params, _), read in zip(ways, reads, strict=True):
        branches.append(f"SELECT 1 FROM ({read}) AS x WHERE {check}")
        params.extend(check_params)
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"{with_sql} SELECT EXISTS ({' UNION ALL '.join(branches)})", params)
        return bool(cursor.fetchone()[0])


class RankedSongSearch:
    """A relevance-ranked search that the paginator can slice without ranking every match.

    A search the word list expects to match at most SMALL_RESULT songs is ranked in one
    statement, which gives its exact count too when every match was reached. A larger one
    is fetched tier by tier, each in its own order and only as far as the requested page
    needs: titles equal to the query (btree), titles starting with it (btree range in index
    order, so a common word like "love" costs one short index scan), then the remaining
    matches ranked by `ranked_page`, which only pages past the first two tiers pay for.
    The order is the same as `song_search`'s, with one bound: past the first two tiers, only
    the matches that `ranked_page`'s bounded scans reach are ranked."""

    ordered = True

    def __init__(self, queryset: QuerySet[Song], parsed: ParsedQuery, *, within_set: bool = False) -> None:
        """`within_set`: `queryset` is a set that its own index lists (a genre's, an
        artist's songs). The word list estimates matches in the whole catalog; such a set
        holding at most EXACT_COUNT_LIMIT songs (counted through that index, no further) is
        ranked in one statement like a small result, whose count is then exact (or, when a
        way read as many songs as it may, at most the set)."""
        self.queryset = queryset
        self.parsed = parsed
        # Ids of every match in order, when one statement ranked them all.
        self.complete: list[int] | None = None
        # Past the prefix tiers, the bounded ranking, once made.
        self.rest: list[int] | None = None
        self.any_term = False
        self.estimate = parsed.estimated_matches()
        self.ranked_count = 0
        several = len(parsed.variants) > 1
        in_set = None
        if within_set and self.estimate > SMALL_RESULT:
            counted = count_up_to(queryset, EXACT_COUNT_LIMIT)
            in_set = counted if counted <= EXACT_COUNT_LIMIT else None
        if in_set is not None or self.estimate <= SMALL_RESULT:
            ranking = ranked_page(queryset, parsed)
            if not ranking.ids and several:
                self.any_term, self.estimate = True, parsed.estimated_any()
                ranking = ranked_page(queryset, parsed, any_term=True)
            self.ranked_count = ranking.ranked
            if ranking.whole:
                self.complete = ranking.ids
            else:
                # More matches than the bounded ways read: the prefix tiers come from their
                # own index scans, the rest from this ranking.
                self.rest = ranking.past_prefixes
        elif several and not has_match(queryset, parsed):
            self.any_term, self.estimate = True, parsed.estimated_any()
        if in_set is not None:
            self.estimate = min(self.estimate, in_set)

    def count(self) -> int:
        return self.count_bounded()[0]

    def count_bounded(self) -> tuple[int, bool]:
        """Counting a common word's matches costs more than the page itself (tens of
        thousands of rows to recheck): the word list's estimate is the count unless one
        statement ranked every match."""
        if self.complete is not None:
            return len(self.complete), True
        return max(int(self.estimate), self.ranked_count), False

    def _prefix_scans(self) -> list[QuerySet[Song]]:
        """The exact and prefix tiers, each an index-ordered scan of song ids.

        Without a correction, titles equal to the query and titles starting with it are one
        scan of the prefix range: the equal ones sort first in it. With a correction there
        are two exact values and two prefixes; an OR of them would make PostgreSQL walk the
        whole index in order, so each gets its own scan, in key order (a prefix that extends
        another adds nothing to it, and disjoint prefixes are ordered ranges)."""
        key = prefix_key()
        texts = sorted({self.parsed.text, self.parsed.corrected})
        if len(texts) == 1:
            scan = self.queryset.filter(Like(key, escape_like(texts[0]) + "%")).alias(search_key=key)
            return [scan.order_by("search_key", "id")]
        scans = [self.queryset.filter(Exact(key, text)).order_by("id") for text in texts]
        for prefix in texts:
            if any(prefix != other and prefix.startswith(other) for other in texts):
                continue
            scans.append(
                self.queryset.filter(Like(key, escape_like(prefix) + "%"))
                .exclude(exact_q(self.parsed))
                .alias(search_key=key)
                .order_by("search_key", "id")
            )
        return scans

    def _prefix_ids(self, count: int) -> list[int]:
        """The first `count` ids of the exact and prefix tiers, in one round trip: each
        scan as an array, which keeps the scan's order."""
        parts: list[str] = []
        params: list[Any] = []
        for scan in self._prefix_scans():
            sql, scan_params = scan.values_list("id", flat=True)[:count].query.sql_with_params()
            parts.append(f"ARRAY({sql})")
            params.extend(scan_params)
        with connections[self.queryset.db].cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts)}", params)
            return [song_id for tier in cursor.fetchone() for song_id in tier][:count]

    def _rest_ids(self, count: int) -> list[int]:
        """The matches past the prefix tiers, best first."""
        if self.rest is not None:
            return self.rest[:count]
        return ranked_page(
            self.queryset, self.parsed, any_term=self.any_term, exclude_prefixes=True, limit=count
        ).ids

    def __len__(self) -> int:
        return self.count()

    def ranked_ids(self, start: int, stop: int) -> list[int]:
        """Ids of the matches from `start` to `stop` in relevance order."""
        if self.complete is not None:
            return self.complete[start:stop]
        ids = self._prefix_ids(stop)
        if len(ids) < stop:
            ids.extend(self._rest_ids(stop - len(ids)))
        return ids[start:stop]

    def __getitem__(self, index: slice) -> list[Song]:
        if not isinstance(index, slice):
            raise TypeError("RankedSongSearch only supports slices")
        start = index.start or 0
        stop = index.stop if index.stop is not None else start + RANK_AT_MOST
        ids = self.ranked_ids(start, stop)
        songs = {song.pk: song for song in self.queryset.filter(pk__in=ids).order_by()}
        return [songs[song_id] for song_id in ids if song_id in songs]
