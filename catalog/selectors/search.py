"""Typo-tolerant song search and artist search.

Ranking, on both databases: the whole title equal to the query (as typed or corrected)
first, then titles starting with it (both alphabetically, then by id), then titles where
every term starts a word, then the rest (substrings, artist-name matches), these two by
trigram similarity of the title to the corrected query, then id. Every term must match
(title or artist name); when no song has them all, any term will do. A term that can match
nothing at all is left out.

PostgreSQL: each term of 3+ characters is looked up in `catalog_searchword` (the distinct
title words with their frequencies, trigram-indexed, see migration 0003). A term no word
starts with is treated as a typo and widened to its closest words (`word % term`); titles
are then searched for the term or its corrections with `ILIKE '%word%'`, which the GIN
trigram index on `title` serves, and artist names the same way. The word frequencies
estimate the number of matches, which decides how the API pages them (RankedSongSearch).
A query made only of 1-2 character terms has no complete trigram: it is a prefix match on
`lower(title) COLLATE "C"`, served in order by its btree.

SQLite (the embedded default): the same rules in Python over the filtered rows; correct,
not fast.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass
from functools import reduce

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Func, RawSQL
from django.db.models.functions import Collate, Lower
from django.db.models.lookups import Exact, Regex

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
_CORRECTIONS_SQL = f"""
WITH t AS (
    SELECT u.term, u.ord,
           CASE WHEN EXISTS (
                    SELECT 1 FROM catalog_searchword w WHERE (w.word COLLATE "C") LIKE u.term || '%%'
                ) THEN ARRAY[]::text[]
                ELSE ARRAY(
                    SELECT c.word FROM (
                        SELECT w.word, w.ndoc, similarity(w.word, u.term) AS sim,
                               max(similarity(w.word, u.term)) OVER () AS best
                        FROM catalog_searchword w
                        WHERE w.word %% u.term
                    ) c
                    WHERE c.sim >= c.best - {CORRECTION_MARGIN}
                    ORDER BY c.sim DESC, c.ndoc DESC, c.word
                    LIMIT {CORRECTIONS_PER_TERM}
                )
           END AS fixes
    FROM unnest(%s::text[]) WITH ORDINALITY AS u(term, ord)
)
SELECT t.term, t.fixes,
       (SELECT coalesce(sum(found.n), 0) FROM unnest(t.term || t.fixes) AS v(variant)
        CROSS JOIN LATERAL (
            SELECT sum(w.ndoc) AS n FROM catalog_searchword w WHERE w.word LIKE '%%' || v.variant || '%%'
        ) found),
       (SELECT reltuples FROM pg_class WHERE oid = 'catalog_song'::regclass),
       EXISTS (SELECT 1 FROM catalog_artist a WHERE a.name ILIKE '%%' || t.term || '%%')
FROM t ORDER BY t.ord
"""


def _parse_postgres(using: str, text: str, terms: list[str]) -> ParsedQuery:
    """Looks the terms up in the word list: typo corrections and frequencies, one round trip.

    Terms are runs of letters and digits, and so are the words: neither can hold a LIKE
    wildcard, so they are concatenated into patterns unescaped."""
    long_terms = [t for t in terms if len(t) >= MIN_TRIGRAM_TERM]
    if not long_terms:
        return ParsedQuery(text=text, terms=terms, variants=[])
    with connections[using].cursor() as cursor:
        # Session-wide, for the `%` operator that the word list's trigram index serves.
        cursor.execute(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, false)", [str(CORRECTION_THRESHOLD)]
        )
        cursor.execute(_CORRECTIONS_SQL, [long_terms])
        rows = cursor.fetchall()
    songs = max(float(rows[0][3] or 0.0), 0.0)
    # A term in no title word and no artist name cannot match: it is left out, so that
    # "love qwxz" finds love songs instead of nothing (or every song with either term).
    alive = [row for row in rows if row[2] > 0 or row[4]]
    return ParsedQuery(
        text=text,
        terms=terms,
        variants=[[term, *(w for w in fixes if w != term)] for term, fixes, _, _, _ in alive],
        occurrences=tuple(int(occurrences) for _, _, occurrences, _, _ in alive),
        songs=songs,
        matchable=bool(alive),
    )


_ARTIST_SONGS_SQL = (
    "SELECT sa.song_id FROM catalog_songartist sa JOIN catalog_artist a ON a.id = sa.artist_id WHERE {}"
)


def _term_q(variants: list[str]) -> Q:
    """Title contains a variant, or an artist credited on the song has a name that does.

    The artist side is an uncorrelated `id = ANY(ARRAY(...))`, which PostgreSQL evaluates
    once and ORs with the title's trigram bitmap; an `IN (subquery)` would force a scan."""
    patterns = [f"%{escape_like(v)}%" for v in variants]
    q = Q()
    for pattern in patterns:
        q |= Q(ILike(F("title"), pattern))
    artist_songs = _ARTIST_SONGS_SQL.format(" OR ".join("a.name ILIKE %s" for _ in patterns))
    return q | Q(EqualsAnyOf(F("id"), RawSQL(artist_songs, patterns)))


def _prefix_key() -> Collate:
    return Collate(Lower("title"), "C")


def _every(queryset: QuerySet[Song], parsed: ParsedQuery) -> QuerySet[Song]:
    """Songs with every long term (or one of its corrections) in the title or an artist's name."""
    return queryset.filter(*(_term_q(v) for v in parsed.variants))


def _any(queryset: QuerySet[Song], parsed: ParsedQuery) -> QuerySet[Song] | None:
    """Songs with any of the terms; None for a single term, where it is `_every`."""
    if len(parsed.variants) < 2:
        return None
    return queryset.filter(reduce(operator.or_, (_term_q(v) for v in parsed.variants)))


def _candidates(queryset: QuerySet[Song], parsed: ParsedQuery) -> QuerySet[Song]:
    """Songs with every term; songs with any of them when no song has all."""
    every = _every(queryset, parsed)
    # When the word frequencies promise plenty of songs with every term, skip the check.
    if len(parsed.variants) == 1 or parsed.estimated_matches() >= 100 or every.exists():
        return every
    return _any(queryset, parsed)


def _word_starts_q(parsed: ParsedQuery) -> Q:
    """Every term (or a correction) starts a word of the title. Terms are runs of letters
    and digits only: nothing in them needs escaping in a regular expression."""
    return reduce(
        operator.and_,
        (Q(Regex(Lower("title"), "(^|[^[:alnum:]])(" + "|".join(v) + ")")) for v in parsed.variants),
    )


def _word_starts(parsed: ParsedQuery) -> Case:
    return Case(When(_word_starts_q(parsed), then=True), default=False, output_field=BooleanField())


def _similarity(parsed: ParsedQuery) -> Func:
    return Func(Lower("title"), Value(parsed.corrected), function="similarity", output_field=FloatField())


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
    return (
        candidates.alias(
            search_key=_prefix_key(),
            search_words=Case(
                When(_word_starts_q(parsed), then=True), default=False, output_field=BooleanField()
            ),
        )
        .annotate(
            search_rank=Case(
                When(_exact_q(parsed), then=0),
                When(_prefix_q(parsed), then=1),
                When(search_words=True, then=2),
                default=3,
                output_field=IntegerField(),
            )
        )
        .annotate(
            # Only orders tiers 2 and 3; tiers 0 and 1 are alphabetical.
            search_similarity=Case(
                When(search_rank__gte=2, then=_similarity(parsed)),
                default=Value(0.0),
                output_field=FloatField(),
            ),
        )
        .order_by("search_rank", "-search_similarity", "search_key", "id")
    )


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
            ids = self._ranked_ids(every)
            if not ids and several:
                self.candidates, self.estimate = _any(queryset, parsed), parsed.estimated_any()
                ids = self._ranked_ids(self.candidates) if self.estimate <= SMALL_RESULT else None
            if ids is not None and len(ids) < RANK_AT_MOST:
                self.complete = ids
        elif several and not every.exists():
            self.candidates, self.estimate = _any(queryset, parsed), parsed.estimated_any()

    def _bounded(self, candidates: QuerySet[Song]) -> QuerySet[Song]:
        """At most RANK_AT_MOST of `candidates`, the first the index finds, so that ranking
        never costs more than that many rows however common the words are."""
        return self.queryset.filter(id__in=Subquery(candidates.order_by().values("id")[:RANK_AT_MOST]))

    def _ranked_ids(self, candidates: QuerySet[Song]) -> list[int]:
        return list(_ranked(self._bounded(candidates), self.parsed).values_list("id", flat=True))

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

    def _tiers(self) -> Iterator[QuerySet]:
        """Each tier as index-ordered range scans, built only when the page reaches it.

        Without a correction, titles equal to the query and titles starting with it are one
        scan of the prefix range: the equal ones sort first in it. With a correction there
        are two exact values and two prefixes; an OR of them would make PostgreSQL walk the
        whole index in order, so each gets its own scan, in key order (a prefix that extends
        another adds nothing to it, and disjoint prefixes are ordered ranges)."""
        key = _prefix_key()
        texts = sorted({self.parsed.text, self.parsed.corrected})
        if len(texts) == 1:
            yield (
                self.queryset.filter(Like(key, escape_like(texts[0]) + "%"))
                .alias(search_key=key)
                .order_by("search_key", "id")
            )
        else:
            for text in texts:
                yield self.queryset.filter(Exact(key, text)).order_by("id")
            for prefix in texts:
                if any(prefix != other and prefix.startswith(other) for other in texts):
                    continue
                yield (
                    self.queryset.filter(Like(key, escape_like(prefix) + "%"))
                    .exclude(_exact_q(self.parsed))
                    .alias(search_key=key)
                    .order_by("search_key", "id")
                )
        yield (
            self._bounded(self.candidates.exclude(_prefix_q(self.parsed)))
            .alias(
                search_words=_word_starts(self.parsed),
                search_similarity=_similarity(self.parsed),
            )
            .order_by(
                Case(When(search_words=True, then=0), default=1, output_field=IntegerField()),
                "-search_similarity",
                key,
                "id",
            )
        )

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
            ids.extend(tier.values_list("id", flat=True)[: stop - len(ids)])
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
    """The PostgreSQL rules over in-memory words: corrections, and terms in no title word
    and no artist name left out."""
    variants = []
    long_terms = [t for t in terms if len(t) >= MIN_TRIGRAM_TERM]
    for term in long_terms:
        if any(word.startswith(term) for word in vocabulary):
            fixes = []
        else:
            scored = sorted(
                ((similarity(word, term), word) for word in vocabulary),
                key=lambda pair: (-pair[0], pair[1]),
            )
            best = scored[0][0] if scored else 0.0
            fixes = [
                word
                for score, word in scored[:CORRECTIONS_PER_TERM]
                if score >= CORRECTION_THRESHOLD and score >= best - CORRECTION_MARGIN
            ]
        found = any(v in word for v in [term, *fixes] for word in vocabulary)
        if found or any(term in name for name in artist_names):
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
