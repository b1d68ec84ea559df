"""The ways of finding a song search's matches on PostgreSQL, each reading a bounded number
of songs through an index, and the one statement that checks and ranks (or counts) what
they read. `search_ranking` decides the bounds and pages the result.

The rules (what matches, the relevance order) are `search_postgres`'s.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from functools import reduce

from django.db import connections
from django.db.models import F, Q, QuerySet

from catalog.models import Song
from catalog.selectors.lookups import ILike
from catalog.selectors.search_postgres import holds_sql, relevance_sql, ties_sql
from catalog.selectors.search_text import escape_like
from catalog.selectors.search_words import ParsedQuery

# Songs of at most this many artists whose name holds the terms are looked at.
ARTISTS_AT_MOST = 200


@dataclass(frozen=True)
class Bounds:
    """How many songs a way reads at most: `songs` for the ways of one place (a title, one
    artist's name), `mixed` for the mixed ways, which check every song term by term. With
    `whole`, the ways of one place that check nothing further read up to that many songs:
    when that finds every match, at most `whole` of them, all are ranked; else only the
    first `songs` each way read."""

    songs: int
    mixed: int
    whole: int | None = None


@dataclass(frozen=True)
class Way:
    """A way of finding songs with some terms: `songs`, SQL of songs `id, title, popularity` that an
    index finds (for an artists' way, the songs to keep of those credited to the artists
    whose name meets `names`, an SQL condition on `a`, a row of catalog_artist), of which
    it reads up to `read` and ranks up to `bound`; `check`, SQL true when a read song (`x`)
    has the rest of the terms."""

    songs: str
    params: list
    bound: int
    read: int
    check: str = "true"
    check_params: list = field(default_factory=list)
    names: str | None = None
    names_params: list = field(default_factory=list)


def _check_sql(
    parsed: ParsedQuery, terms: list[int], row: str, *, names: bool = True
) -> tuple[str, list[str]]:
    """SQL true when the song `row` (an alias with `id` and `title`) has each of `terms`
    (indexes into parsed.variants) in its title, or (with `names`) in a credited artist's
    name; evaluated per row."""
    parts, params = [], []
    for index in terms:
        title, patterns = holds_sql(parsed.variants[index], f"{row}.title")
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


def _artists_way(
    base: QuerySet, parsed: ParsedQuery, terms: list[int], bound: tuple[int, int], check: tuple[str, list]
) -> Way:
    """The songs credited to (at most ARTISTS_AT_MOST) artists whose name holds every term
    of `terms` (`bound`: the Way's `bound` and `read`), each to meet `check` (SQL on `x`,
    and its parameters): one trigram scan of the names, then the credits' artist index and
    the songs' primary key (`_fenced` writes the statement)."""
    conditions, patterns = [], []
    for i in terms:
        sql, term_patterns = holds_sql(parsed.variants[i], "a.name")
        conditions.append(sql)
        patterns.extend(term_patterns)
    songs, params = base.query.sql_with_params()
    return Way(songs, list(params), *bound, check[0], check[1], " AND ".join(conditions), patterns)


def _mixed_ways(
    base: QuerySet, parsed: ParsedQuery, terms: list[int], named: list[int], bound: int
) -> list[Way]:
    """For several terms of which some are in names, the songs whose terms are split between
    the title and the names otherwise, checked term by term (title or a credited artist's
    name): the songs of the artists whose name holds the rarest name term, and of those
    whose name holds the first (people type the artist first: `pearl jam given`, where an
    artist's name holds "given" too and none "pearl" and "jam" and "given"), or the first
    two, or all but the last (an artist of several words: `raul seixas american`, where
    artists named "Raul" or "American" have other songs), and the titles holding the rarest
    title term."""
    ways = []
    name_counts = parsed.name_occurrences or (1,) * len(parsed.variants)
    rarest_name = min(named, key=lambda i: name_counts[i])
    if len(named) > 1:
        leading = [named[:k] for k in dict.fromkeys([2, len(named) - 1]) if 2 <= k < len(named)]
        for name_terms in dict.fromkeys(map(tuple, [[rarest_name], [named[0]], *leading])):
            others = _check_sql(parsed, [i for i in terms if i not in name_terms], "x")
            ways.append(_artists_way(base, parsed, list(name_terms), (bound, bound), others))
    title_counts = parsed.occurrences or (1,) * len(parsed.variants)
    in_titles = [i for i in terms if title_counts[i] > 0]
    if in_titles:
        rarest_title = min(in_titles, key=lambda i: title_counts[i])
        sql, title_params = base.filter(_title_any_q(parsed.variants[rarest_title])).query.sql_with_params()
        check, check_params = _check_sql(parsed, [i for i in terms if i != rarest_title], "x")
        ways.append(Way(sql, list(title_params), bound, bound, check, check_params))
    return ways


def find_ways(
    queryset: QuerySet[Song], parsed: ParsedQuery, terms: list[int], bounds: Bounds, *, mixed: bool = False
) -> list[Way]:
    """The ways of finding songs that have every term of `terms`:
    - titles holding every term: one trigram index scan reads only such rows;
    - when some terms are in artist names: the songs of the artists whose name holds all
      of those, whose titles must hold the others (an artist's name typed, or a title's
      words and an artist's name);
    - with `mixed`, for several terms of which some are in names, `_mixed_ways`, at most
      `bounds.mixed` songs each. Without `mixed`, none: `[]` when there would be no mixed
      way."""
    base = queryset.order_by().values_list("id", "title", "popularity")
    titled = base.filter(*(_title_any_q(parsed.variants[i]) for i in terms))
    titled_sql, titled_params = titled.query.sql_with_params()
    # Only a way whose every song read is a match reads further for `bounds.whole`: one
    # that checks its songs may read many that are not (a common name word's songs whose
    # titles must hold a rare one), and reaching every match through it is not worth that.
    wide = (bounds.songs, max(bounds.songs, bounds.whole or 0))
    ways = [Way(titled_sql, list(titled_params), *wide)]
    named = [i for i in terms if parsed.in_artist_names[i]]
    if not named:
        return [] if mixed else ways
    in_titles = [i for i in terms if i not in named]
    others = _check_sql(parsed, in_titles, "x", names=False)
    ways.append(
        _artists_way(base, parsed, named, (bounds.songs, bounds.songs) if in_titles else wide, others)
    )
    if not mixed:
        return ways
    return _mixed_ways(base, parsed, terms, named, bounds.mixed) if len(terms) > 1 else []


def _fenced(ways: list[Way]) -> tuple[str, list, list[str], list[tuple[str, str]]]:
    """The ways' songs as MATERIALIZED common table expressions: (`WITH ...`, its
    parameters, per way the SQL reading at most `read` of them, and per artists' way SQL
    true when its artists or credits were read up to the way's `bound`, and `read`: there
    may be more).

    Planned apart from the LIMIT that bounds them, each keeps its index scan: with the
    LIMIT in view PostgreSQL may prefer reading the table in order until the LIMIT is met,
    which a rare word never meets (a whole-table scan, 0.9 s at 1M songs). Read lazily, a
    bitmap scan still stops at the bound. So are an artists' way's names: where the planner
    expects more names than the LIMIT (a common pattern, several corrections ORed), it would
    read the names in table order, and where few names hold the terms that is every name.
    The credits are counted before the songs are filtered and merged: a song credited to
    two of the artists, or left out by the request's filters, takes a credit all the same."""
    ctes, params, reads, cuts = [], [], [], []
    for i, way in enumerate(ways):
        if way.names is None:
            ctes.append(f"way{i} AS MATERIALIZED ({way.songs})")
        else:
            names = f"(SELECT count(*) FROM (SELECT 1 FROM names{i} LIMIT {ARTISTS_AT_MOST}) AS n)"
            names += f" >= {ARTISTS_AT_MOST}"
            # Cut at its names, the way is not whole however many credits it reads.
            read = (
                f"CASE WHEN {names} THEN {way.bound} ELSE {way.read} END"
                if way.read > way.bound
                else way.read
            )
            ctes += [
                f"names{i} AS MATERIALIZED (SELECT a.id FROM catalog_artist a WHERE {way.names})",
                f"credits{i} AS MATERIALIZED (SELECT sa.song_id FROM catalog_songartist sa WHERE sa.artist_id"
                f" = ANY(ARRAY(SELECT n.id FROM names{i} AS n LIMIT {ARTISTS_AT_MOST})) LIMIT {read})",
                f"way{i} AS MATERIALIZED (SELECT b.id, b.title, b.popularity FROM ({way.songs}) AS b"
                f" WHERE b.id = ANY(ARRAY(SELECT c.song_id FROM credits{i} AS c)))",
            ]
            params.extend(way.names_params)
            credits = f"(SELECT count(*) FROM credits{i})"
            cuts.append((f"{names} OR {credits} >= {way.bound}", f"{names} OR {credits} >= {way.read}"))
        params.extend(way.params)
        reads.append(f"SELECT w.id, w.title, w.popularity FROM way{i} AS w LIMIT {way.read}")
    return "WITH " + ", ".join(ctes), params, reads, cuts


def _read_sql(ways: list[Way], whole: int | None) -> tuple[str, list, str, list]:
    """`WITH ...` with its parameters, and a relation `d` of the songs the ways read with
    its parameters: `id, title, popularity`, `listed` when the song has every term and is ranked (read
    within its way's `bound`, or every match was found within `whole`), `whole` when the
    listed songs are every match.

    Per way, `cut` says it read as many songs as its `bound` (`wide`: as its `read`), or, on
    a row of its own with a NULL id, that an artists' way's names or credits did: a way
    whose songs were all left out by the request's filters may still have been cut."""
    with_sql, with_params, reads, cuts = _fenced(ways)
    branches, params = [], []
    for way, read in zip(ways, reads, strict=True):
        branches.append(
            f"SELECT x.id, x.title, x.popularity, x.rn <= {way.bound} AS near, x.n >= {way.bound} AS cut,"
            f" x.n >= {way.read} AS wide, {way.check} AS ok FROM (SELECT y.id, y.title, y.popularity,"
            f" row_number() OVER () AS rn, count(*) OVER () AS n FROM ({read}) AS y) AS x"
        )
        params.extend(way.check_params)
    branches += [f"SELECT NULL, NULL, NULL, false, {cut}, {wide}, false" for cut, wide in cuts]
    grouped = (
        "SELECT u.id, u.title, u.popularity, bool_or(u.near) AS near, bool_or(u.cut) AS cut,"
        f" bool_or(u.wide) AS wide, bool_or(u.ok) AS ok FROM ({' UNION ALL '.join(branches)}) AS u"
        " GROUP BY u.id, u.title, u.popularity"
    )
    fits = "false"
    if whole is not None:
        fits = f"(NOT bool_or(c.wide) OVER () AND count(*) FILTER (WHERE c.ok) OVER () <= {whole})"
    listed = (
        f"(SELECT c.id, c.title, c.popularity, c.ok AND (c.near OR {fits}) AS listed,"
        f" {fits} OR NOT bool_or(c.cut) OVER () AS whole FROM ({grouped}) AS c) AS d"
    )
    return with_sql, with_params, listed, params


@dataclass(frozen=True)
class Ranking:
    # Matches in relevance order, and those of them past the exact and prefix tiers.
    ids: list[int]
    past_prefixes: list[int]
    # How many matches are ranked, and whether they are every match there is.
    found: int
    whole: bool
    # Whether they are the mixed ways' (the terms split between the title and several names).
    split: bool = False


def rank(
    queryset: QuerySet[Song],
    parsed: ParsedQuery,
    ways: list[Way],
    limit: int | None,
    whole: int | None,
    *,
    any_term: bool = False,
) -> Ranking:
    """The matches the ways read, best first, at most `limit` of them, in one statement
    (`whole`: `Bounds.whole`; `any_term`: the ways find songs with any term, ranked as
    `relevance_sql` ranks them then). Only the matches ranked pay for the relevance: its
    trigram similarity is most of a ranking's cost."""
    with_sql, with_params, listed, listed_params = _read_sql(ways, whole)
    relevance, relevance_params = relevance_sql(parsed, "d.title", "d.popularity", any_term=any_term)
    sql = (
        f"{with_sql} SELECT d.id, d.listed, count(*) FILTER (WHERE d.listed) OVER (), d.whole,"
        f" CASE WHEN d.listed THEN {relevance} END AS relevance FROM {listed}"
        f" ORDER BY d.listed DESC, relevance, {ties_sql('d')}"
    )
    # In the text: the ways, the relevance (in the SELECT list), then the checks.
    params = [*with_params, *relevance_params, *listed_params]
    if limit is not None:
        sql += " LIMIT %s"
        params.append(max(limit, 1))
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return Ranking([], [], 0, True)
    matches = [(song_id, relevance) for song_id, listed, _, _, relevance in rows if listed]
    return Ranking(
        ids=[song_id for song_id, _ in matches],
        past_prefixes=[song_id for song_id, relevance in matches if relevance >= 2],
        found=int(rows[0][2]),
        whole=bool(rows[0][3]),
    )


def match_split(queryset: QuerySet[Song], parsed: ParsedQuery, bounds: Bounds) -> bool | None:
    """Where the ways find a song with every term: False when the ways of one place (the
    title, or one artist's name and the title) find one, True when only the mixed ways do
    (the terms split between the title and several names), None when none does. One
    statement; the first song found ends each look, and the mixed ways are read only when
    the others found none."""
    terms = list(range(len(parsed.variants)))
    one_place = find_ways(queryset, parsed, terms, bounds)
    ways = [*one_place, *find_ways(queryset, parsed, terms, bounds, mixed=True)]
    with_sql, params, reads, _ = _fenced(ways)
    looks: list[list[str]] = [[], []]
    for index, (way, read) in enumerate(zip(ways, reads, strict=True)):
        looks[index >= len(one_place)].append(f"SELECT 1 FROM ({read}) AS x WHERE {way.check}")
        params.extend(way.check_params)
    found = [f"EXISTS ({' UNION ALL '.join(look)})" if look else "false" for look in looks]
    with connections[queryset.db].cursor() as cursor:
        # An uncorrelated EXISTS is run when the CASE first needs it: the mixed ways' only
        # when the ways of one place found nothing.
        cursor.execute(f"{with_sql} SELECT CASE WHEN {found[0]} THEN 0 WHEN {found[1]} THEN 1 END", params)
        place = cursor.fetchone()[0]
    return None if place is None else bool(place)
