"""Typo-tolerant song search and artist search.

Ranking, on both databases: the whole title equal to the query (as typed or corrected)
first, then titles starting with it (both alphabetically, then by id), then titles where
every term starts a word, then the rest (substrings, artist-name matches), these two by
trigram similarity of the title to the corrected query, then id. Every term must match
(title or artist name); when no song has them all, any term will do. A term that can match
nothing at all is left out.

PostgreSQL: each term of 3+ characters is looked up in `catalog_searchword` (the distinct
title words with their frequencies, trigram-indexed, see migration 0003) and
`catalog_artistword` (the same for artist names, 0007). A term no word of either starts
with is treated as a typo and widened to its closest words of either (`word % term`);
titles are then searched for the term or its corrections with `ILIKE '%word%'`, which the
GIN trigram index on `title` serves, and artist names the same way. The word frequencies
estimate the number of matches, which decides how the API pages them (RankedSongSearch).
A query made only of 1-2 character terms has no complete trigram: it is a prefix match on
`lower(title) COLLATE "C"`, served in order by its btree.

SQLite (the embedded default): the same rules in Python over the filtered rows; correct,
not fast.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import reduce

from django.db import connections
from django.db.models import (
    Case,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate, Lower
from django.db.models.lookups import Exact

from catalog.models import Artist, Song, SongArtist
from catalog.selectors.lookups import EqualsAnyOf, ILike, Like
from catalog.selectors.search_text import (
    MIN_TRIGRAM_TERM,
    escape_like,
    normalize_query,
    query_terms,
    similarity,
    title_words,
)
from catalog.selectors.songs import queryset_count_bounded

CORRECTIONS_PER_TERM = 3
# Trigram similarity a word needs to count as a correction of an unknown term. Below
# pg_trgm's default (0.3) so that one swapped letter in a 6-letter word ("lonley") still
# finds its word; only the few best corrections are used.
CORRECTION_THRESHOLD = 0.25
# Corrections clearly worse than the best one are noise ("blnk": blank 0.38, blue 0.25).
CORRECTION_MARGIN = 0.1
# Up to this many estimated matches a search is ranked whole, in one statement that also
# counts them; above it, without other filters, the estimate is the count.
SMALL_RESULT = 2000
# The most matches one ranking statement looks at (see RankedSongSearch._bounded).
RANK_AT_MOST = 3000
# The SQLite path ranks in Python and hands back at most this many songs.
PYTHON_MAX_RESULTS = 1000


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    terms: list[str]
    # Per term of 3+ characters: the term itself, then its corrections when it looks like a typo.
    variants: list[list[str]]
    # Per term of 3+ characters: occurrences in titles of the words containing a variant
    # (PostgreSQL's word list), and the planner's song count; zeros when unknown.
    occurrences: tuple[int, ...] = ()
    songs: float = 0.0
    # False when the query has terms of 3+ characters and none of them can match anything.
    matchable: bool = True
    # Per term of 3+ characters: whether some artist's name contains a variant; when none
    # does, the term is looked for in titles only (one trigram condition instead of an OR).
    in_artist_names: tuple[bool, ...] = ()

    def estimated_any(self) -> float:
        """Songs having at least one term: at most the sum of their frequencies."""
        return min(float(sum(self.occurrences)), self.songs)

    def estimated_matches(self) -> float:
        """Songs having every term, if terms were independent: songs x product of frequencies."""
        if not self.occurrences or self.songs <= 0:
            return 0.0
        estimate = self.songs
        for occurrences in self.occurrences:
            estimate *= min(1.0, occurrences / self.songs)
        return estimate

    @property
    def corrected(self) -> str:
        """The query with each unknown term replaced by its best correction, and terms that
        can match nothing left out."""
        best = {v[0]: v[1] if len(v) > 1 else v[0] for v in self.variants}
        return " ".join(best.get(t, t) for t in self.terms if t in best or len(t) < MIN_TRIGRAM_TERM)

    @property
    def long_terms(self) -> list[str]:
        return [t for t in self.terms if len(t) >= MIN_TRIGRAM_TERM]


def song_search(queryset: QuerySet[Song], query: str, *, ranked: bool = True) -> QuerySet[Song]:
    """`queryset` narrowed to songs matching `query`, best match first.

    Any string is accepted: it is normalized and bounded first; a query with no letter or
    digit matches nothing. With `ranked=False` the matches come unranked (on PostgreSQL),
    for a caller that orders them by something else and should not pay for a ranking.
    """
    text = normalize_query(query)
    terms = query_terms(text)
    if not terms:
        return queryset.none()
    if connections[queryset.db].vendor == "postgresql":
        return _song_search_postgres(queryset, text, terms, ranked=ranked)
    return _song_search_python(queryset, text, terms)


def artist_search(queryset: QuerySet[Artist], query: str) -> QuerySet[Artist]:
    """Artists whose name contains `query` (served by the trigram index on PostgreSQL):
    the exact name first, then names starting with it, then the rest by name."""
    text = normalize_query(query)
    if not query_terms(text):
        return queryset.none()
    lowered = Lower("name")
    prefix = escape_like(text) + "%"
    if len(text) < MIN_TRIGRAM_TERM:
        matched = queryset.filter(Like(Collate(lowered, "C"), prefix))
    else:
        matched = queryset.filter(ILike(F("name"), f"%{escape_like(text)}%"))
    return matched.annotate(
        search_rank=Case(
            When(Like(lowered, escape_like(text)), then=0),
            When(Like(lowered, prefix), then=1),
            default=2,
            output_field=IntegerField(),
        )
    ).order_by("search_rank", "name", "id")


# ---------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------
# Lookups per term and per variant, each with its own parameters, so that the planner sees
# the patterns and serves every lookup from an index: the word lists' C-collation primary
# keys for `word LIKE 'abc%'`, their trigram indexes for `word LIKE '%abc%'` and
# `word % 'abc'`. Patterns computed inside the statement (from an unnest of the terms) were
# left to sequential scans, which a vocabulary of 100k words makes cost ~10 ms each.
_TERM_SQL = f"""
SELECT {{i}} AS ord,
       CASE WHEN EXISTS (SELECT 1 FROM catalog_searchword WHERE word LIKE %(prefix{{i}})s)
              OR EXISTS (SELECT 1 FROM catalog_artistword WHERE word LIKE %(prefix{{i}})s)
            THEN ARRAY[]::text[]
            ELSE ARRAY(
                SELECT c.word FROM (
                    SELECT found.word, max(found.ndoc) AS ndoc, max(found.sim) AS sim,
                           max(max(found.sim)) OVER () AS best
                    FROM (
                        SELECT word, ndoc, similarity(word, %(term{{i}})s) AS sim
                        FROM catalog_searchword WHERE word %% %(term{{i}})s
                        UNION ALL
                        SELECT word, 0, similarity(word, %(term{{i}})s)
                        FROM catalog_artistword WHERE word %% %(term{{i}})s
                    ) found
                    GROUP BY found.word
                ) c
                WHERE c.sim >= c.best - {CORRECTION_MARGIN}
                ORDER BY c.sim DESC, c.ndoc DESC, c.word
                LIMIT {CORRECTIONS_PER_TERM}
            )
       END
"""
# Per variant (a term or a correction): its occurrences in title words, whether an artist's
# name holds it, and the planner's song count. A sum rather than EXISTS for the names: the
# planner expects EXISTS to stop at an early row of a sequential scan, and for a variant no
# name holds that reads the whole list.
_VARIANT_SQL = """
SELECT {i} AS ord,
       (SELECT coalesce(sum(ndoc), 0) FROM catalog_searchword WHERE word LIKE %(inside{i})s),
       (SELECT coalesce(sum(nnames), 0) FROM catalog_artistword WHERE word LIKE %(inside{i})s) > 0,
       (SELECT reltuples FROM pg_class WHERE oid = 'catalog_song'::regclass)
"""


def _each(template: str, count: int) -> str:
    """`template` for items 0 to count - 1, as one statement whose rows come in that order."""
    branches = " UNION ALL ".join(f"({template.format(i=i)})" for i in range(count))
    return f"SELECT * FROM ({branches}) AS each ORDER BY ord"


def _parse_postgres(using: str, text: str, terms: list[str]) -> ParsedQuery:
    """Looks the terms up in the word lists: typo corrections in one round trip, then in
    another the frequencies in titles of the terms and their corrections, and whether
    artist names hold them.

    Terms are runs of letters and digits, and so are the words: neither can hold a LIKE
    wildcard, so they are put into patterns unescaped."""
    long_terms = [t for t in terms if len(t) >= MIN_TRIGRAM_TERM]
    if not long_terms:
        return ParsedQuery(text=text, terms=terms, variants=[])
    with connections[using].cursor() as cursor:
        # Session-wide, for the `%` operator that the word lists' trigram indexes serve.
        cursor.execute(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, false)", [str(CORRECTION_THRESHOLD)]
        )
        params = {}
        for i, term in enumerate(long_terms):
            params[f"prefix{i}"], params[f"term{i}"] = f"{term}%", term
        cursor.execute(_each(_TERM_SQL, len(long_terms)), params)
        term_variants = [
            [term, *(word for word in fixes if word != term)]
            for term, (_, fixes) in zip(long_terms, cursor.fetchall(), strict=True)
        ]
        flat = [variant for variants in term_variants for variant in variants]
        cursor.execute(_each(_VARIANT_SQL, len(flat)), {f"inside{i}": f"%{v}%" for i, v in enumerate(flat)})
        looked_up = iter(cursor.fetchall())
    # Per term: (occurrences of its variants in title words, whether a name holds one).
    found = []
    songs = 0.0
    for variants in term_variants:
        rows = [next(looked_up) for _ in variants]
        found.append((sum(int(occurrences) for _, occurrences, _, _ in rows), any(row[2] for row in rows)))
        songs = max(float(rows[0][3] or 0.0), 0.0)
    # A term that neither it nor its corrections find in a title word or an artist name
    # cannot match: it is left out, so that "love qwxz" finds love songs instead of nothing
    # (or every song with either term).
    alive = [
        (variants, *counts) for variants, counts in zip(term_variants, found, strict=True) if any(counts)
    ]
    return ParsedQuery(
        text=text,
        terms=terms,
        variants=[variants for variants, _, _ in alive],
        occurrences=tuple(occurrences for _, occurrences, _ in alive),
        songs=songs,
        matchable=bool(alive),
        in_artist_names=tuple(in_names for _, _, in_names in alive),
    )


_ARTIST_SONGS_SQL = (
    "SELECT sa.song_id FROM catalog_songartist sa JOIN catalog_artist a ON a.id = sa.artist_id WHERE {}"
)


def _term_q(variants: list[str], in_artist_names: bool = True) -> Q:
    """Title contains a variant, or (when some artist's name has one) an artist credited on
    the song has a name that does.

    The artist side is an uncorrelated `id = ANY(ARRAY(...))`, which PostgreSQL evaluates
    once and ORs with the title's trigram bitmap; an `IN (subquery)` would force a scan.
    Without it, the terms' title conditions meet in one trigram index scan, which reads
    only the rows having every term, instead of a bitmap of each term's rows ANDed."""
    patterns = [f"%{escape_like(v)}%" for v in variants]
    q = Q()
    for pattern in patterns:
        q |= Q(ILike(F("title"), pattern))
    if not in_artist_names:
        return q
    artist_songs = _ARTIST_SONGS_SQL.format(" OR ".join("a.name ILIKE %s" for _ in patterns))
    return q | Q(EqualsAnyOf(F("id"), RawSQL(artist_songs, patterns)))


def _term_qs(parsed: ParsedQuery) -> list[Q]:
    in_names = parsed.in_artist_names or (True,) * len(parsed.variants)
    return [_term_q(v, in_artist) for v, in_artist in zip(parsed.variants, in_names, strict=True)]


def _prefix_key() -> Collate:
    return Collate(Lower("title"), "C")


def _every(queryset: QuerySet[Song], parsed: ParsedQuery) -> QuerySet[Song]:
    """Songs with every long term (or one of its corrections) in the title or an artist's name."""
    return queryset.filter(*_term_qs(parsed))


def _any(queryset: QuerySet[Song], parsed: ParsedQuery) -> QuerySet[Song]:
    """Songs with any of the terms (callers ask only with two or more: for one it is `_every`)."""
    return queryset.filter(reduce(operator.or_, _term_qs(parsed)))


def _candidates(queryset: QuerySet[Song], parsed: ParsedQuery) -> QuerySet[Song]:
    """Songs with every term; songs with any of them when no song has all."""
    every = _every(queryset, parsed)
    # When the word frequencies promise plenty of songs with every term, skip the check.
    if len(parsed.variants) == 1 or parsed.estimated_matches() >= 100 or every.exists():
        return every
    return _any(queryset, parsed)


def _relevance_sql(parsed: ParsedQuery, title: str) -> tuple[str, list[str]]:
    """The relevance tiers as one sort key over the SQL expression `title`, with its
    parameters: 0 when the whole title equals the query (as typed or corrected), 1 when it
    starts with it, then 3 - s when every term (or a correction) starts a word of the
    title and 5 - s for the rest, s being the title's trigram similarity (0 to 1) to the
    corrected query, so that the closer title comes first within its tier. Callers break
    ties by the lowercased title, then id.

    Terms and corrections are runs of letters and digits only: nothing in them needs
    escaping in the word-start regular expressions."""
    lowered = f"lower({title})"
    key = f'{lowered} COLLATE "C"'
    texts = [parsed.text] if parsed.corrected == parsed.text else [parsed.text, parsed.corrected]
    word_starts = ["(^|[^[:alnum:]])(" + "|".join(v) + ")" for v in parsed.variants]
    similarity = f"similarity({lowered}, %s)::float8"
    sql = (
        f"CASE WHEN {' OR '.join(f'{key} = %s' for _ in texts)} THEN 0"
        f" WHEN {' OR '.join(f'{key} LIKE %s' for _ in texts)} THEN 1"
        f" WHEN {' AND '.join(f'{lowered} ~ %s' for _ in word_starts)} THEN 3 - {similarity}"
        f" ELSE 5 - {similarity} END"
    )
    params = [
        *texts,
        *(escape_like(t) + "%" for t in texts),
        *word_starts,
        parsed.corrected,
        parsed.corrected,
    ]
    return sql, params


def _exact_q(parsed: ParsedQuery) -> Q:
    key = _prefix_key()
    q = Q(Exact(key, parsed.text))
    if parsed.corrected != parsed.text:
        q |= Q(Exact(key, parsed.corrected))
    return q


def _prefix_q(parsed: ParsedQuery) -> Q:
    key = _prefix_key()
    q = Q(Like(key, escape_like(parsed.text) + "%"))
    if parsed.corrected != parsed.text:
        q |= Q(Like(key, escape_like(parsed.corrected) + "%"))
    return q


def _song_search_postgres(
    queryset: QuerySet[Song], text: str, terms: list[str], *, ranked: bool = True
) -> QuerySet[Song]:
    parsed = _parse_postgres(queryset.db, text, terms)
    if not parsed.matchable:
        return queryset.none()
    if not parsed.variants:
        # Only 1-2 character terms: an index-ordered prefix scan that stops at the page.
        return (
            queryset.alias(search_key=_prefix_key())
            .filter(Like(_prefix_key(), escape_like(text) + "%"))
            .annotate(search_rank=Value(1))
            .order_by("search_key", "id")
        )
    if not ranked:
        return _candidates(queryset, parsed)
    return _ranked(_candidates(queryset, parsed), parsed)


def _ranked(candidates: QuerySet[Song], parsed: ParsedQuery) -> QuerySet[Song]:
    """Candidates in relevance order, in one statement that ranks every one of them."""
    quote = connections[candidates.db].ops.quote_name
    relevance, params = _relevance_sql(parsed, f"{quote(Song._meta.db_table)}.{quote('title')}")
    return (
        candidates.annotate(search_rank=RawSQL(relevance, params, output_field=FloatField()))
        .alias(search_key=_prefix_key())
        .order_by("search_rank", "search_key", "id")
    )


def _ranked_ids(candidates: QuerySet[Song], parsed: ParsedQuery, limit: int | None = None) -> list[int]:
    """Ids of at most RANK_AT_MOST of `candidates` (the first the trigram index yields), in
    relevance order, at most `limit` of them.

    The bounded candidates are a subquery in FROM that carries the titles to the ranking:
    `id IN (bounded subquery)` would read each of them a second time by primary key,
    which cost more than the search itself (~20 ms for 1,500 matches)."""
    bounded = candidates.order_by().values_list("id", "title")[:RANK_AT_MOST]
    candidates_sql, candidates_params = bounded.query.sql_with_params()
    relevance, relevance_params = _relevance_sql(parsed, "c.title")
    sql = f'SELECT c.id FROM ({candidates_sql}) AS c ORDER BY {relevance}, lower(c.title) COLLATE "C", c.id'
    params = [*candidates_params, *relevance_params]
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    with connections[candidates.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [song_id for (song_id,) in cursor.fetchall()]


def _first_ids(scan: QuerySet[Song]) -> Callable[[int], list[int]]:
    return lambda count: list(scan.values_list("id", flat=True)[:count])


class RankedSongSearch:
    """A relevance-ranked search that the paginator can slice without ranking every match.

    A search the word list expects to match at most SMALL_RESULT songs is ranked whole in
    one statement, which gives its exact count too. A larger one is fetched tier by tier,
    each in its own order and only as far as the requested page needs: titles equal to the
    query (btree), titles starting with it (btree range in index order, so a common word
    like "love" costs one short index scan), then the remaining matches ranked by
    similarity, which only pages past the first two tiers pay for. The order is the same as
    `song_search`'s, with one bound: past the first two tiers, at most RANK_AT_MOST matches
    (the first the trigram index yields) are ranked, so deep pages of a very common word
    are not a full ranking of every song containing it."""

    ordered = True

    def __init__(self, queryset: QuerySet[Song], parsed: ParsedQuery) -> None:
        self.queryset = queryset
        self.parsed = parsed
        # A search the word list expects to match few songs is ranked whole in one
        # statement, which also gives its exact count: ids of every match, in order.
        self.complete: list[int] | None = None
        several = len(parsed.variants) > 1
        every = _every(queryset, parsed)
        self.candidates, self.estimate = every, parsed.estimated_matches()
        if self.estimate <= SMALL_RESULT:
            ids: list[int] | None = _ranked_ids(every, parsed)
            if not ids and several:
                self.candidates, self.estimate = _any(queryset, parsed), parsed.estimated_any()
                ids = _ranked_ids(self.candidates, parsed) if self.estimate <= SMALL_RESULT else None
            if ids is not None and len(ids) < RANK_AT_MOST:
                self.complete = ids
        elif several and not every.exists():
            self.candidates, self.estimate = _any(queryset, parsed), parsed.estimated_any()

    def count(self) -> int:
        return self.count_bounded()[0]

    def count_bounded(self) -> tuple[int, bool]:
        """Counting a common word's matches costs more than the page itself (tens of
        thousands of rows to recheck): when no other filter narrows the search and the word
        list estimates more than SMALL_RESULT matches, that estimate is the count."""
        if self.complete is not None:
            return len(self.complete), True
        if self.estimate > SMALL_RESULT and not self.queryset.query.where:
            return int(self.estimate), False
        return queryset_count_bounded(self.candidates)

    def _tiers(self) -> Iterator[Callable[[int], list[int]]]:
        """Each tier as a function of how many ids it should give at most, built only when
        the page reaches it.

        Without a correction, titles equal to the query and titles starting with it are one
        scan of the prefix range: the equal ones sort first in it. With a correction there
        are two exact values and two prefixes; an OR of them would make PostgreSQL walk the
        whole index in order, so each gets its own scan, in key order (a prefix that extends
        another adds nothing to it, and disjoint prefixes are ordered ranges). The rest are
        ranked by `_ranked_ids`."""
        key = _prefix_key()
        texts = sorted({self.parsed.text, self.parsed.corrected})
        if len(texts) == 1:
            yield _first_ids(
                self.queryset.filter(Like(key, escape_like(texts[0]) + "%"))
                .alias(search_key=key)
                .order_by("search_key", "id")
            )
        else:
            for text in texts:
                yield _first_ids(self.queryset.filter(Exact(key, text)).order_by("id"))
            for prefix in texts:
                if any(prefix != other and prefix.startswith(other) for other in texts):
                    continue
                yield _first_ids(
                    self.queryset.filter(Like(key, escape_like(prefix) + "%"))
                    .exclude(_exact_q(self.parsed))
                    .alias(search_key=key)
                    .order_by("search_key", "id")
                )
        rest = self.candidates.exclude(_prefix_q(self.parsed))
        yield lambda count: _ranked_ids(rest, self.parsed, limit=count)

    def __len__(self) -> int:
        return self.count()

    def ranked_ids(self, start: int, stop: int) -> list[int]:
        """Ids of the matches from `start` to `stop` in relevance order."""
        if self.complete is not None:
            return self.complete[start:stop]
        ids: list[int] = []
        for tier in self._tiers():
            if len(ids) >= stop:
                break
            ids.extend(tier(stop - len(ids)))
        return ids[start:stop]

    def __getitem__(self, index: slice) -> list[Song]:
        if not isinstance(index, slice):
            raise TypeError("RankedSongSearch only supports slices")
        start = index.start or 0
        stop = index.stop if index.stop is not None else start + PYTHON_MAX_RESULTS
        ids = self.ranked_ids(start, stop)
        songs = {song.pk: song for song in self.queryset.filter(pk__in=ids).order_by()}
        return [songs[song_id] for song_id in ids if song_id in songs]


def song_search_ranked(queryset: QuerySet[Song], query: str) -> RankedSongSearch | QuerySet[Song]:
    """Like `song_search`, for a paginated list in relevance order: on PostgreSQL a
    `RankedSongSearch` that fetches only the tiers a page needs; elsewhere the queryset."""
    text = normalize_query(query)
    terms = query_terms(text)
    if not terms or connections[queryset.db].vendor != "postgresql":
        return song_search(queryset, query)
    parsed = _parse_postgres(queryset.db, text, terms)
    if not parsed.matchable:
        return queryset.none()
    if not parsed.variants:
        return _song_search_postgres(queryset, text, terms)
    return RankedSongSearch(queryset, parsed)


# ---------------------------------------------------------------------------------------
# SQLite and anything else: the same rules in Python
# ---------------------------------------------------------------------------------------
def _parse_python(text: str, terms: list[str], vocabulary: set[str], artist_names: list[str]) -> ParsedQuery:
    """The PostgreSQL rules over in-memory words: corrections against the title words and
    the words of artist names, and terms that can match nothing left out."""
    variants = []
    long_terms = [t for t in terms if len(t) >= MIN_TRIGRAM_TERM]
    artist_words = {word for name in artist_names for word in title_words(name)}
    known = vocabulary | artist_words
    for term in long_terms:
        if any(word.startswith(term) for word in known):
            fixes = []
        else:
            scored = sorted(
                ((similarity(word, term), word) for word in known),
                key=lambda pair: (-pair[0], pair[1]),
            )
            best = scored[0][0] if scored else 0.0
            fixes = [
                word
                for score, word in scored[:CORRECTIONS_PER_TERM]
                if score >= CORRECTION_THRESHOLD and score >= best - CORRECTION_MARGIN
            ]
        if any(v in word for v in [term, *fixes] for word in known):
            variants.append([term, *fixes])
    return ParsedQuery(text=text, terms=terms, variants=variants, matchable=bool(variants) or not long_terms)


def _python_rank(title: str, names: list[str], parsed: ParsedQuery, corrected: str) -> tuple[int, int] | None:
    """(tier, number of terms matched), or None when the song does not match at all."""
    lowered = title.lower()
    if not parsed.variants:
        return (1, 0) if lowered.startswith(parsed.text) else None
    matched = 0
    for variants in parsed.variants:
        if any(v in lowered or any(v in name for name in names) for v in variants):
            matched += 1
    if not matched:
        return None
    if lowered in (parsed.text, corrected):
        return (0, matched)
    if lowered.startswith(parsed.text) or lowered.startswith(corrected):
        return (1, matched)
    words = title_words(lowered)
    if all(any(w.startswith(v) for w in words for v in variants) for variants in parsed.variants):
        return (2, matched)
    return (3, matched)


def _song_search_python(queryset: QuerySet[Song], text: str, terms: list[str]) -> QuerySet[Song]:
    rows = list(queryset.order_by().values_list("id", "title"))
    vocabulary = {w for title in Song.objects.values_list("title", flat=True) for w in title_words(title)}
    artist_names = [name.lower() for name in Artist.objects.values_list("name", flat=True)]
    parsed = _parse_python(text, terms, vocabulary, artist_names)
    if not parsed.matchable:
        return queryset.none()
    corrected = parsed.corrected
    names: dict[int, list[str]] = {}
    if parsed.variants:
        for song_id, name in SongArtist.objects.filter(song__in=queryset.order_by().values("id")).values_list(
            "song_id", "artist__name"
        ):
            names.setdefault(song_id, []).append(name.lower())

    ranked = []
    for song_id, title in rows:
        rank = _python_rank(title, names.get(song_id, []), parsed, corrected)
        if rank is not None:
            ranked.append((rank, title, song_id))
    if not ranked:
        return queryset.none()
    best_coverage = max(rank[1] for rank, _, _ in ranked)
    if parsed.variants and best_coverage == len(parsed.variants):
        # Same as PostgreSQL: when some songs have every term, only they are results.
        ranked = [item for item in ranked if item[0][1] == best_coverage]

    def order(item: tuple[tuple[int, int], str, int]) -> tuple:
        (tier, _), title, song_id = item
        closeness = -similarity(title.lower(), corrected) if tier >= 2 else 0.0
        return (tier, closeness, title.lower(), song_id)

    ranked.sort(key=order)
    ids = [song_id for _, _, song_id in ranked[:PYTHON_MAX_RESULTS]]
    return (
        queryset.filter(id__in=ids)
        .annotate(
            search_rank=Case(
                *(When(id=song_id, then=position) for position, song_id in enumerate(ids)),
                output_field=IntegerField(),
            )
        )
        .order_by("search_rank", "id")
    )


def song_search_top(
    queryset: QuerySet[Song], query: str, *, limit: int = PYTHON_MAX_RESULTS
) -> QuerySet[Song]:
    """The best `limit` matches as a plain queryset in relevance order, for callers that
    need a queryset (the admin): ranking every match of a common word at a million songs
    takes seconds, the tiers of `song_search_ranked` take milliseconds."""
    ranked = song_search_ranked(queryset, query)
    if not isinstance(ranked, RankedSongSearch):
        return ranked
    ids = ranked.ranked_ids(0, limit)
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
        .order_by("search_rank")
    )
