"""Song search on PostgreSQL: the match conditions and the relevance order. The bounded
ranking that pages a search without ranking every match is `search_ranking`.

Relevance (the same as the SQLite path's): the whole title equal to the query (as typed or
corrected) first, then titles starting with it (both alphabetically, then by id), then titles
where every term starts a word, then the rest (substrings, artist-name matches), these two by
trigram similarity of the title to the corrected query, then the title, then id.

A match has every term (or one of its corrections) in its title or in the name of an artist
credited on it: all in the title, or those in names all in one artist's name and the rest in
the title, or, only when no song matches either way, split between the title and several
names. Which of these a query's matches are, and whether it is read again or any term will
do, is decided once (`search_ranking.search_reading`, a `Reading`) for every order its
matches are listed in. Titles are searched with `ILIKE '%word%'`, which the GIN trigram
index on `title` serves; artist names the same way through `catalog_artist`'s own trigram
index.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db import connections
from django.db.models import Case, F, FloatField, Q, QuerySet, SmallIntegerField, Value, When
from django.db.models.expressions import RawSQL

from catalog.models import Song
from catalog.selectors.lookups import EqualsAnyOf, ILike, InList, Like
from catalog.selectors.search_text import escape_like
from catalog.selectors.search_words import ParsedQuery
from catalog.selectors.songs import TitleKey


def prefix_key() -> TitleKey:
    return TitleKey("title")


# Above this many expected matches, a search within a set reads the set first (`candidates`):
# PostgreSQL plans the join as a scan of every title from some thousands of expected matches
# on (bench/README.md, "Search", searches with an ordering).
SET_FIRST_MATCHES = 1000

# Above this many artist names holding a term (the name-word list's count), the songs of
# those artists are fetched first (`_artist_songs_q`) for a search outside a set too: a
# bitmap recheck compares each matching row with every element of an uncorrelated array,
# which grows with the square of their number (tens of thousands of songs: seconds), while
# a constant array costs its fetch and its planning (bench/README.md, "Search", searches
# with an ordering).
FETCHED_ARTIST_NAMES = 4000

# The artists first, then their credits through the credits' artist index: as a join,
# PostgreSQL may hash every credit against the artists it expects (thousands for a common
# word), a scan of all credits (bench/README.md, "Search", ordered searches of common words).
_ARTIST_SONGS_SQL = (
    "SELECT sa.song_id FROM catalog_songartist sa"
    " WHERE sa.artist_id = ANY(ARRAY(SELECT a.id FROM catalog_artist a WHERE {}))"
)


# The songs of the artists matching some terms' patterns, once fetched (`_artist_songs_q`),
# kept by a caller that builds more than one statement from the same query.
FetchedSongs = dict[tuple[tuple[str, ...], ...], list[int]]


@dataclass(frozen=True)
class Reading:
    """How a query's matches are found, decided once for every order they are listed in
    (`search_ranking.search_reading`): `parsed`, the query as typed or read again
    (`search_words.reread`); `any_term`, no song has every term, and any will do; `split`,
    no song has them in one place (the title, or one artist's name and the title), and
    they may be split between the title and several artists' names."""

    parsed: ParsedQuery
    any_term: bool = False
    split: bool = False


def _artist_songs_q(terms: list[list[str]], fetch_from: str | None, fetched: FetchedSongs) -> Q:
    """The song is credited to an artist whose name matches, for each of `terms`, one of
    its patterns.

    Without `fetch_from`, an uncorrelated `id = ANY(ARRAY(...))`, which PostgreSQL
    evaluates once and ORs with the title's trigram bitmap (an `IN (subquery)` would force
    a scan); but a plan that tests rows one by one compares each with every element of such
    an array. With `fetch_from` (a database alias) the songs are fetched first (unless
    `fetched` has them) and written into the statement as a constant array, which PostgreSQL
    hashes once and probes per row (`InList` gives it the column's type, without which it
    is not hashed)."""
    condition = " AND ".join(
        "(" + " OR ".join("a.name ILIKE %s" for _ in patterns) + ")" for patterns in terms
    )
    artist_songs = _ARTIST_SONGS_SQL.format(condition)
    params = [pattern for patterns in terms for pattern in patterns]
    if fetch_from is None:
        return Q(EqualsAnyOf(F("id"), RawSQL(artist_songs, params)))
    key = tuple(map(tuple, terms))
    if key not in fetched:
        with connections[fetch_from].cursor() as cursor:
            cursor.execute(artist_songs, params)
            fetched[key] = [song_id for (song_id,) in cursor.fetchall()]
    return Q(InList(F("id"), fetched[key]))


def _patterns(variants: list[str]) -> list[str]:
    return [f"%{escape_like(v)}%" for v in variants]


def _title_q(variants: list[str]) -> Q:
    return reduce(operator.or_, (Q(ILike(F("title"), pattern)) for pattern in _patterns(variants)))


def _fetch_from(using: str, fetch_all: bool, names: int) -> str | None:
    """Where an artists' songs are fetched first from (`_artist_songs_q`): with `fetch_all`,
    or when `names` artist names (the name-word list's count) hold the term."""
    return using if fetch_all or names > FETCHED_ARTIST_NAMES else None


def _term_qs(parsed: ParsedQuery, using: str, *, fetch_all: bool, fetched: FetchedSongs) -> list[Q]:
    """Per term: the title contains a variant, or (when some artist's name has one) an
    artist credited on the song has a name that does (`_artist_songs_q`), those songs
    fetched first with `fetch_all` or when many names hold the term."""
    names = parsed.name_occurrences or (0,) * len(parsed.variants)
    terms = []
    for variants, in_artist_names, in_names in zip(
        parsed.variants, parsed.in_artist_names, names, strict=True
    ):
        q = _title_q(variants)
        if in_artist_names:
            q |= _artist_songs_q([_patterns(variants)], _fetch_from(using, fetch_all, in_names), fetched)
        terms.append(q)
    return terms


def _in_one_place_q(parsed: ParsedQuery, using: str, *, fetch_all: bool, fetched: FetchedSongs) -> Q:
    """Every term in the title, or every term that some artist's name holds in one credited
    artist's name and the others in the title: what the ways of one place
    (`search_ways.find_ways`) find, unbounded. For one term, `_term_qs`' condition."""
    in_title = [_title_q(variants) for variants in parsed.variants]
    named = [i for i, in_names in enumerate(parsed.in_artist_names) if in_names]
    if not named:
        return reduce(operator.and_, in_title)
    counts = parsed.name_occurrences or (0,) * len(parsed.variants)
    # The artists whose name holds every named term are at most those holding the rarest.
    fetch_from = _fetch_from(using, fetch_all, min(counts[i] for i in named))
    artists = _artist_songs_q([_patterns(parsed.variants[i]) for i in named], fetch_from, fetched)
    rest = [q for i, q in enumerate(in_title) if i not in named]
    return reduce(operator.and_, in_title) | reduce(operator.and_, rest, artists)


def _many_matches(parsed: ParsedQuery) -> bool:
    """Whether the title-word list expects more than SET_FIRST_MATCHES songs with every term
    (False while the table has no statistics)."""
    return parsed.estimated_matches() > SET_FIRST_MATCHES


def candidates(
    queryset: QuerySet[Song],
    reading: Reading,
    *,
    within_set: bool = False,
    common: bool = False,
    fetched: FetchedSongs | None = None,
) -> QuerySet[Song]:
    """Every song of `queryset` matching the query as `reading` reads it, unbounded: with
    every term (or one of its corrections) in one place (`_in_one_place_q`), or split
    between the title and artists' names (`split`), or with any term (`any_term`).

    `within_set`: `queryset` was narrowed to a set that its own index lists (a genre's
    songs, see `songs.song_results`), whose songs the plan tests one by one: the artists'
    songs are fetched first (`_artist_songs_q`); so they are with `common` (the matches are
    common, see `search.song_search_matches`), whose plans test rows one by one too: the
    rows of an index walk (`songs.IndexWalk`), a scan until a bounded count is met. When
    the title-word list expects more than SET_FIRST_MATCHES matches, the set is also read
    first and each of its songs checked: written as a join, PostgreSQL would scan every
    title of the catalog with `ILIKE` instead, an operator it costs at a fraction of its
    real price, and hash the set against them (a million titles for a genre's ten thousand
    songs). Fewer matches keep the join, whose title index finds them. `fetched`: the
    artists' songs already fetched for another statement of the same query (filled in)."""
    using = queryset.db
    if within_set and _many_matches(reading.parsed):
        queryset = Song.objects.using(using).filter(EqualsAnyOf(F("id"), queryset.order_by().values("id")))
    fetched = {} if fetched is None else fetched
    fetch_all = within_set or common
    if reading.any_term or reading.split:
        terms = _term_qs(reading.parsed, using, fetch_all=fetch_all, fetched=fetched)
        return queryset.filter(reduce(operator.or_, terms)) if reading.any_term else queryset.filter(*terms)
    return queryset.filter(_in_one_place_q(reading.parsed, using, fetch_all=fetch_all, fetched=fetched))


def popular_first() -> Any:
    """Songs of equal relevance come by lowercased title (`prefix_key`), then, among equal
    titles (a recording on several albums, covers of a song), most popular first, songs
    without a popularity last, then by id. This is that popularity term; `ties_sql` is the
    whole order in SQL, and the Python ranking (`search_python.python_ranked`) follows it."""
    return F("popularity").desc(nulls_last=True)


def popular_named_first(named: Sequence[int]) -> Any:
    """The songs of an artist so named (`search_short.named_unless_trigrams`), which come
    before every other match, most popular first (the others tie here)."""
    is_named = When(InList(F("id"), list(named)), then=F("popularity"))
    return Case(is_named, output_field=SmallIntegerField()).desc(nulls_last=True)


def ties_sql(row: str) -> str:
    """`popular_first`'s order of ties over the SQL alias `row` of a song (its `id`,
    `title` and `popularity`)."""
    return f'lower({row}.title) COLLATE "C", {row}.popularity DESC NULLS LAST, {row}.id'


def holds_sql(variants: list[str], text: str) -> tuple[str, list[str]]:
    """SQL true when the SQL expression `text` (a title, an artist's name) holds one of a
    term's `variants`, case aside, with its parameters."""
    patterns = [f"%{escape_like(v)}%" for v in variants]
    return "(" + " OR ".join(f"{text} ILIKE %s" for _ in patterns) + ")", patterns


# When any term will do, the songs whose titles hold more terms come first: each term a
# title lacks adds this to its relevance, more than the tiers' whole span (`relevance_sql`).
MISSING_TERM = 10


def relevance_sql(
    parsed: ParsedQuery, title: str, popularity: str, *, any_term: bool = False
) -> tuple[str, list[str]]:
    """The relevance tiers as one sort key over the SQL expressions `title` and `popularity`
    of a song, with its parameters: 0.5 - p / 202 when the whole title equals the query (as
    typed, corrected or with its accented forms: one title, so most popular first), p the
    popularity (-1 when unknown), 1.5 - p / 202 when it starts with it (most popular first:
    `love` lists "Lovely" and "Love Story" before "Love & Dun"), then 3 - s when every term (or a correction)
    starts a word of the title, s being the title's trigram similarity (0 to 1) to the
    corrected query, so that the closer title comes first within its tier (its 1-2
    character terms words of it too); then, between 3 and 3.5 as `_held_sql` orders them,
    the titles holding some of the query's words, each term either starting a word of the
    title or not in it at all (so in an artist's name): `the doors the` lists "The End" by
    The Doors before their songs whose titles hold no word of it, `hans zimmer a` "A Dark
    Knight", `sean paul we` "We Be Burnin'" before "Cheap Thrills (feat. Sean Paul)"; then
    the songs found through an artist's name alone (no term in the title, where s would mean
    nothing), most popular first: 4 - p / 202; last, 5 - s for
    the rest of the titles holding a term (inside a word: `adele` finds Adele's songs before
    "Madeleine"). Callers break ties by `popular_first`.

    With `any_term` (no song has every term: any term will do), MISSING_TERM more for each
    term (any of its variants) the title does not hold, so that the titles holding more
    terms come first whatever tier a term found them in: `fel so close radio edit` is "Feel
    So Close - Radio Edit" (three terms in its title) before the songs of an artist whose
    name holds "fel". A term a title lacks need not be in an artist's name then: there is no
    tier of titles holding some words (the others go to the last tiers as before it), and
    the short words do not count. The Python ranking alike (`search_python.python_ranked`).

    Terms and corrections are runs of letters and digits, contraction readings those and an
    apostrophe: nothing in them needs escaping in the regular expressions."""
    lowered = f"lower({title})"
    key = f'{lowered} COLLATE "C"'
    texts = parsed.texts
    each_variant = ["|".join(v) for v in parsed.variants]
    word_starts = [f"(^|[^[:alnum:]])({v})" for v in each_variant]
    any_variant = "|".join(each_variant)
    # With any term, a term the title lacks need not be in an artist's name: the short words
    # count for nothing and there is no tier of titles holding some words.
    whole_words = [] if any_term else _whole_words(parsed)
    similarity = f"similarity({lowered}, %s)::float8"
    pop = f"coalesce({popularity}, -1) / 202.0"
    sql = (
        f"CASE WHEN {' OR '.join(f'{key} = %s' for _ in texts)} THEN 0.5 - {pop}"
        f" WHEN {' OR '.join(f'{key} LIKE %s' for _ in texts)} THEN 1.5 - {pop}"
        f" WHEN {' AND '.join(f'{lowered} ~ %s' for _ in [*word_starts, *whole_words])} THEN 3 - {similarity}"
    )
    params = [*texts, *(escape_like(t) + "%" for t in texts), *word_starts, *whole_words, parsed.corrected]
    if not any_term:
        held_sql, held_params = _held_sql(parsed, lowered, each_variant, word_starts, similarity, pop)
        sql += held_sql
        params += held_params
    sql += f" WHEN {lowered} !~ %s THEN 4 - {pop} ELSE 5 - {similarity} END"
    params += [any_variant, parsed.corrected]
    if not any_term:
        return sql, params
    missing: list[str] = []
    missing_params: list[str] = []
    for variants in parsed.variants:
        held, patterns = holds_sql(variants, title)
        missing.append(f"(CASE WHEN {held} THEN 0 ELSE 1 END)")
        missing_params.extend(patterns)
    return f"({MISSING_TERM} * ({' + '.join(missing)}) + {sql})", [*missing_params, *params]


def _held_sql(
    parsed: ParsedQuery, lowered: str, each_variant: list[str], starts: list[str], similarity: str, pop: str
) -> tuple[str, list[str]]:
    """`relevance_sql`'s tier of titles holding some of the query's words, each term either
    starting a word of the title or not in it (so in an artist's name), as a `WHEN` of its
    CASE with its parameters: 3.5 - k / 2, k in [0, 1) ordering them by
    `ParsedQuery.words_held` (those starting with a word of the query first, then those
    holding more of its 1-2 character words, then more of its terms), then by similarity
    s to the corrected query when the title holds every term, else most popular first.
    `each_variant` and `starts`: per term, `relevance_sql`'s regular expressions of its
    variants anywhere and at the start of a word."""
    words, terms = len(parsed.short_terms), len(parsed.variants)
    split = " AND ".join(f"({lowered} ~ %s OR {lowered} !~ %s)" for _ in each_variant)
    whole = _whole_words(parsed)
    # A word of the query: a term's variant starting a word, or a short word whole.
    one_of = "|".join(each_variant)
    if parsed.short_terms:
        one_of += f"|({'|'.join(parsed.short_terms)})([^[:alnum:]]|$)"
    first, some = f"^[^[:alnum:]]*({one_of})", f"(^|[^[:alnum:]])({one_of})"
    counted = " + ".join(f"({lowered} ~ %s)::int" for _ in starts)
    short_counted = " + ".join(f"({lowered} ~ %s)::int" for _ in whole) or "0"
    k = (
        f"(((k.first * {words + 1} + k.short) * {terms + 1} + k.terms)"
        f" + CASE WHEN k.terms = {terms} THEN 0.495 * {similarity} ELSE {pop} END)"
        f" / {2 * (words + 1) * (terms + 1)}.0"
    )
    sql = (
        f" WHEN {split} AND {lowered} ~ %s THEN (SELECT 3.5 - 0.5 * {k} FROM (SELECT"
        f" ({lowered} ~ %s)::int AS first, {short_counted} AS short, {counted} AS terms) AS k)"
    )
    split_params = [p for pair in zip(starts, each_variant, strict=True) for p in pair]
    # In the text: the split, `some`, the similarity (in k), then the subquery's columns.
    return sql, [*split_params, some, parsed.corrected, first, *whole, *starts]


def _whole_words(parsed: ParsedQuery) -> list[str]:
    """Per short word of the query, a regular expression true when a title holds it whole."""
    return [f"(^|[^[:alnum:]]){w}([^[:alnum:]]|$)" for w in parsed.short_terms]


def prefix_q(parsed: ParsedQuery) -> Q:
    key = prefix_key()
    return reduce(operator.or_, (Q(Like(key, escape_like(text) + "%")) for text in parsed.texts))


def ranked(
    matches: QuerySet[Song], parsed: ParsedQuery, named: Sequence[int] = (), *, any_term: bool = False
) -> QuerySet[Song]:
    """Matches in relevance order (`any_term`: `relevance_sql`'s), in one statement that
    ranks every one of them; the songs of `named` (`search_short.named_unless_trigrams`)
    before all, most popular first."""
    quote = connections[matches.db].ops.quote_name
    table = quote(Song._meta.db_table)
    title, popularity = f"{table}.{quote('title')}", f"{table}.{quote('popularity')}"
    relevance, params = relevance_sql(parsed, title, popularity, any_term=any_term)
    rank: Any = RawSQL(relevance, params, output_field=FloatField())
    order = ["search_rank", "search_key", popular_first(), "id"]
    if named:
        first = When(InList(F("id"), list(named)), then=Value(-1.0))
        rank = Case(first, default=rank, output_field=FloatField())
        order.insert(1, popular_named_first(named))
    return matches.annotate(search_rank=rank).alias(search_key=prefix_key()).order_by(*order)
