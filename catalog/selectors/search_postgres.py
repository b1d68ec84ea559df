"""Song search on PostgreSQL: the match conditions and the relevance order. The bounded
ranking that pages a search without ranking every match is `search_ranking`.

Relevance (the same as the SQLite path's): the whole title equal to the query (as typed or
corrected) first, then titles starting with it (both alphabetically, then by id), then titles
where every term starts a word, then the rest (substrings, artist-name matches), these two by
trigram similarity of the title to the corrected query, then the title, then id.

A match has every term (or one of its corrections) in its title or in the name of an artist
credited on it: all in the title, or those in names all in one artist's name and the rest in
the title, or, only when no song matches either way, split between the title and several
names. Titles are searched with `ILIKE '%word%'`, which the GIN trigram index on `title`
serves; artist names the same way through `catalog_artist`'s own trigram index.
"""

from __future__ import annotations

import operator
from functools import reduce

from django.db import connections
from django.db.models import F, FloatField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate, Lower
from django.db.models.lookups import Exact

from catalog.models import Song
from catalog.selectors.lookups import EqualsAnyOf, ILike, Like
from catalog.selectors.search_text import escape_like
from catalog.selectors.search_words import ParsedQuery

_ARTIST_SONGS_SQL = (
    "SELECT sa.song_id FROM catalog_songartist sa JOIN catalog_artist a ON a.id = sa.artist_id WHERE {}"
)


def prefix_key() -> Collate:
    return Collate(Lower("title"), "C")


def _term_q(variants: list[str], in_artist_names: bool = True) -> Q:
    """Title contains a variant, or (when some artist's name has one) an artist credited on
    the song has a name that does.

    The artist side is an uncorrelated `id = ANY(ARRAY(...))`, which PostgreSQL evaluates
    once and ORs with the title's trigram bitmap; an `IN (subquery)` would force a scan."""
    patterns = [f"%{escape_like(v)}%" for v in variants]
    q = reduce(operator.or_, (Q(ILike(F("title"), pattern)) for pattern in patterns))
    if not in_artist_names:
        return q
    artist_songs = _ARTIST_SONGS_SQL.format(" OR ".join("a.name ILIKE %s" for _ in patterns))
    return q | Q(EqualsAnyOf(F("id"), RawSQL(artist_songs, patterns)))


def _term_qs(parsed: ParsedQuery) -> list[Q]:
    return [_term_q(v, in_names) for v, in_names in zip(parsed.variants, parsed.in_artist_names, strict=True)]


def every(queryset: QuerySet[Song], parsed: ParsedQuery) -> QuerySet[Song]:
    """Songs with every long term (or one of its corrections) in the title or an artist's name."""
    return queryset.filter(*_term_qs(parsed))


def any_term(queryset: QuerySet[Song], parsed: ParsedQuery) -> QuerySet[Song]:
    """Songs with any of the terms (callers ask only with two or more: for one it is `every`)."""
    return queryset.filter(reduce(operator.or_, _term_qs(parsed)))


def candidates(queryset: QuerySet[Song], parsed: ParsedQuery) -> QuerySet[Song]:
    """Songs with every term; songs with any of them when no song has all."""
    matched = every(queryset, parsed)
    # When the word frequencies promise plenty of songs with every term, skip the check.
    if len(parsed.variants) == 1 or parsed.estimated_matches() >= 100 or matched.exists():
        return matched
    return any_term(queryset, parsed)


def relevance_sql(parsed: ParsedQuery, title: str) -> tuple[str, list[str]]:
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


def exact_q(parsed: ParsedQuery) -> Q:
    key = prefix_key()
    q = Q(Exact(key, parsed.text))
    if parsed.corrected != parsed.text:
        q |= Q(Exact(key, parsed.corrected))
    return q


def prefix_q(parsed: ParsedQuery) -> Q:
    key = prefix_key()
    q = Q(Like(key, escape_like(parsed.text) + "%"))
    if parsed.corrected != parsed.text:
        q |= Q(Like(key, escape_like(parsed.corrected) + "%"))
    return q


def ranked(matches: QuerySet[Song], parsed: ParsedQuery) -> QuerySet[Song]:
    """Matches in relevance order, in one statement that ranks every one of them."""
    quote = connections[matches.db].ops.quote_name
    relevance, params = relevance_sql(parsed, f"{quote(Song._meta.db_table)}.{quote('title')}")
    return (
        matches.annotate(search_rank=RawSQL(relevance, params, output_field=FloatField()))
        .alias(search_key=prefix_key())
        .order_by("search_rank", "search_key", "id")
    )
