"""Typo-tolerant song search and artist search.

Ranking, on both databases: the whole title equal to the query (as typed or corrected)
first, then titles starting with it, then titles where every term starts a word, then
the rest (substrings, artist-name matches); within a tier, trigram similarity of the title
to the corrected query, then id.

PostgreSQL: each term of 3+ characters is looked up in `catalog_searchword` (the distinct
title words, trigram-indexed, see migration 0003). A term no word starts with is treated
as a typo and widened to its closest words (`word % term`); then titles are searched for
the term or its corrections with `ILIKE '%word%'`, which the GIN trigram index on `title`
serves, and artist names the same way. Only the matching rows are ranked. A query made
only of 1-2 character terms has no complete trigram: it is a prefix match on
`lower(title) COLLATE "C"`, served in order by its btree.

SQLite (the embedded default): the same rules in Python over the filtered rows; correct,
not fast.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections
from django.db.models import BooleanField, Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate, Lower
from django.db.models.lookups import Exact

from catalog.models import Artist, Song, SongArtist
from catalog.selectors.lookups import ILike, Like
from catalog.selectors.search_text import (
    MIN_TRIGRAM_TERM,
    SIMILARITY_THRESHOLD,
    escape_like,
    normalize_query,
    query_terms,
    similarity,
    title_words,
)
from catalog.selectors.songs import queryset_count_bounded

CORRECTIONS_PER_TERM = 3
# The SQLite path ranks in Python and hands back at most this many songs.
PYTHON_MAX_RESULTS = 1000


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    terms: list[str]
    # Per term of 3+ characters: the term itself, then its corrections when it looks like a typo.
    variants: list[list[str]]

    @property
    def corrected(self) -> str:
        """The query with each unknown term replaced by its best correction."""
        best = {v[0]: v[1] if len(v) > 1 else v[0] for v in self.variants}
        return " ".join(best.get(t, t) for t in self.terms)

    @property
    def long_terms(self) -> list[str]:
        return [t for t in self.terms if len(t) >= MIN_TRIGRAM_TERM]


def song_search(queryset: QuerySet[Song], query: str) -> QuerySet[Song]:
    """`queryset` narrowed to songs matching `query`, best match first.

    Any string is accepted: it is normalized and bounded first; a query with no letter or
    digit matches nothing. The result can be re-ordered (`ordering=`) without losing its filter.
    """
    text = normalize_query(query)
    terms = query_terms(text)
    if not terms:
        return queryset.none()
    if connections[queryset.db].vendor == "postgresql":
        return _song_search_postgres(queryset, text, terms)
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
SELECT t.term,
       CASE WHEN EXISTS (
                SELECT 1 FROM catalog_searchword w WHERE (w.word COLLATE "C") LIKE t.pattern
            ) THEN ARRAY[]::text[]
            ELSE ARRAY(
                SELECT w.word FROM catalog_searchword w
                WHERE w.word %% t.term
                ORDER BY similarity(w.word, t.term) DESC, w.ndoc DESC, w.word
                LIMIT {CORRECTIONS_PER_TERM}
            )
       END
FROM unnest(%s::text[], %s::text[]) AS t(term, pattern)
"""

_TITLE = '"catalog_song"."title"'
_ID = '"catalog_song"."id"'


def _parse_postgres(using: str, text: str, terms: list[str]) -> ParsedQuery:
    long_terms = [t for t in terms if len(t) >= MIN_TRIGRAM_TERM]
    fixes: dict[str, list[str]] = {}
    if long_terms:
        with connections[using].cursor() as cursor:
            cursor.execute(_CORRECTIONS_SQL, [long_terms, [escape_like(t) + "%" for t in long_terms]])
            fixes = {term: [w for w in words if w != term] for term, words in cursor.fetchall()}
    return ParsedQuery(text=text, terms=terms, variants=[[t, *fixes.get(t, [])] for t in long_terms])


def _term_condition(variants: list[str]) -> tuple[str, list]:
    """Title contains a variant, or an artist credited on the song has a name that does.

    The artist side is an uncorrelated `id = ANY(ARRAY(...))`, which PostgreSQL evaluates
    once and ORs with the title's trigram bitmap; an `IN (subquery)` would force a scan."""
    patterns = [f"%{escape_like(v)}%" for v in variants]
    title_sql = " OR ".join(f"{_TITLE} ILIKE %s" for _ in patterns)
    artist_sql = " OR ".join("a.name ILIKE %s" for _ in patterns)
    sql = (
        f"({title_sql} OR {_ID} = ANY(ARRAY("
        "SELECT sa.song_id FROM catalog_songartist sa "
        f"JOIN catalog_artist a ON a.id = sa.artist_id WHERE {artist_sql})))"
    )
    return sql, [*patterns, *patterns]


def _prefix_key() -> Collate:
    return Collate(Lower("title"), "C")


def _candidates(queryset: QuerySet[Song], parsed: ParsedQuery) -> QuerySet[Song]:
    """Songs with every long term (or one of its corrections) in the title or an artist's
    name; songs with any of them when no song has all."""
    conditions = [_term_condition(v) for v in parsed.variants]
    params = [p for _, term_params in conditions for p in term_params]
    every = queryset.filter(
        RawSQL(" AND ".join(sql for sql, _ in conditions), params, output_field=BooleanField())
    )
    if len(conditions) == 1 or every.exists():
        return every
    return queryset.filter(
        RawSQL(" OR ".join(sql for sql, _ in conditions), params, output_field=BooleanField())
    )


def _word_start_sql(parsed: ParsedQuery) -> tuple[str, list[str]]:
    # Terms are runs of letters and digits only: nothing in them needs regex escaping.
    sql = " AND ".join(f"lower({_TITLE}) ~ %s" for _ in parsed.variants)
    return sql, ["(^|[^[:alnum:]])(" + "|".join(variants) + ")" for variants in parsed.variants]


def _similarity(parsed: ParsedQuery) -> RawSQL:
    return RawSQL(f"similarity(lower({_TITLE}), %s)", [parsed.corrected], output_field=FloatField())


def _exact_q(parsed: ParsedQuery) -> Q:
    key = _prefix_key()
    return Q(Exact(key, parsed.text)) | Q(Exact(key, parsed.corrected))


def _prefix_q(parsed: ParsedQuery) -> Q:
    key = _prefix_key()
    q = Q(Like(key, escape_like(parsed.text) + "%"))
    if parsed.corrected != parsed.text:
        q |= Q(Like(key, escape_like(parsed.corrected) + "%"))
    return q


def _song_search_postgres(queryset: QuerySet[Song], text: str, terms: list[str]) -> QuerySet[Song]:
    parsed = _parse_postgres(queryset.db, text, terms)
    if not parsed.variants:
        # Only 1-2 character terms: an index-ordered prefix scan that stops at the page.
        return (
            queryset.alias(search_key=_prefix_key())
            .filter(Like(_prefix_key(), escape_like(text) + "%"))
            .annotate(search_rank=Value(1))
            .order_by("search_key", "id")
        )
    word_sql, word_params = _word_start_sql(parsed)
    return (
        _candidates(queryset, parsed)
        .alias(
            search_key=_prefix_key(),
            search_words=RawSQL(word_sql, word_params, output_field=BooleanField()),
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

    The tiers are fetched one after the other, each in its own order, and only as far as
    the requested page needs: titles equal to the query (btree), titles starting with it
    (btree range in index order, so a common word like "love" costs one short index scan),
    then the remaining matches ranked by similarity, which only pages past the first two
    tiers ever pay for. The order is the same as `song_search`'s."""

    ordered = True

    def __init__(self, queryset: QuerySet[Song], parsed: ParsedQuery) -> None:
        self.queryset = queryset
        self.parsed = parsed
        self.candidates = _candidates(queryset, parsed)

    def count(self) -> int:
        return self.count_bounded()[0]

    def count_bounded(self) -> tuple[int, bool]:
        return queryset_count_bounded(self.candidates)

    def _tiers(self) -> list[QuerySet]:
        key = _prefix_key()
        word_sql, word_params = _word_start_sql(self.parsed)
        exact = self.queryset.filter(_exact_q(self.parsed)).alias(search_key=key).order_by("search_key", "id")
        prefix = (
            self.queryset.filter(_prefix_q(self.parsed))
            .exclude(_exact_q(self.parsed))
            .alias(search_key=key)
            .order_by("search_key", "id")
        )
        rest = (
            self.candidates.exclude(_prefix_q(self.parsed))
            .alias(
                search_words=RawSQL(word_sql, word_params, output_field=BooleanField()),
                search_similarity=_similarity(self.parsed),
            )
            .order_by(
                Case(When(search_words=True, then=0), default=1, output_field=IntegerField()),
                "-search_similarity",
                key,
                "id",
            )
        )
        return [exact, prefix, rest]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Song]:
        if not isinstance(index, slice):
            raise TypeError("RankedSongSearch only supports slices")
        start = index.start or 0
        stop = index.stop if index.stop is not None else start + 1000
        ids: list[int] = []
        for tier in self._tiers():
            if len(ids) >= stop:
                break
            ids.extend(tier.values_list("id", flat=True)[: stop - len(ids)])
        ids = ids[start:stop]
        songs = self.queryset.in_bulk(ids)
        return [songs[song_id] for song_id in ids if song_id in songs]


def song_search_ranked(queryset: QuerySet[Song], query: str) -> RankedSongSearch | QuerySet[Song]:
    """Like `song_search`, for a paginated list in relevance order: on PostgreSQL a
    `RankedSongSearch` that fetches only the tiers a page needs; elsewhere the queryset."""
    text = normalize_query(query)
    terms = query_terms(text)
    if not terms or connections[queryset.db].vendor != "postgresql":
        return song_search(queryset, query)
    parsed = _parse_postgres(queryset.db, text, terms)
    if not parsed.variants:
        return _song_search_postgres(queryset, text, terms)
    return RankedSongSearch(queryset, parsed)


# ---------------------------------------------------------------------------------------
# SQLite and anything else: the same rules in Python
# ---------------------------------------------------------------------------------------
def _parse_python(text: str, terms: list[str], vocabulary: set[str]) -> ParsedQuery:
    variants = []
    for term in (t for t in terms if len(t) >= MIN_TRIGRAM_TERM):
        if any(word.startswith(term) for word in vocabulary):
            variants.append([term])
            continue
        scored = sorted(
            ((similarity(word, term), word) for word in vocabulary),
            key=lambda pair: (-pair[0], pair[1]),
        )
        fixes = [word for score, word in scored[:CORRECTIONS_PER_TERM] if score >= SIMILARITY_THRESHOLD]
        variants.append([term, *fixes])
    return ParsedQuery(text=text, terms=terms, variants=variants)


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
    parsed = _parse_python(text, terms, vocabulary)
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
