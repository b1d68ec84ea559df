"""Song search on SQLite and any other database but PostgreSQL: the rules of
`search_postgres` and `search_words` applied in Python to the songs of the queryset that
may match (their titles, their artists' names), the same matches in the same order;
correct, not fast.

The songs that may match are read with LIKE, which folds ASCII letters only: a title or
name that Python lowercases otherwise than SQLite's `lower()` ("ÉTÉ") is always read, and
Python decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial, reduce
from operator import or_

from django.db.models import F, Func, Q, QuerySet
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from catalog.models import Artist, Song, SongArtist
from catalog.selectors.lookups import SQLITE_LOWER, InList, Like
from catalog.selectors.search_short import named_unless_trigrams
from catalog.selectors.search_text import escape_like, similarity
from catalog.selectors.search_words import ParsedQuery, Parser, Vocabulary, parse_python, reread


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


def _coverage(title: str, names: list[str], parsed: ParsedQuery, *, named: bool = False) -> int | None:
    """How many of the query's terms a song holds (in its title or an artist's name), or
    None when it does not match at all. `named`: the song is credited to an artist that a
    query with a 1-2 character term names (`search_short.named_artist_ids`)."""
    if named:
        return len(parsed.variants)
    lowered = title.lower()
    if not parsed.variants:
        return 0 if lowered.startswith(parsed.text) else None
    # The title and each name on a line of its own (no variant holds a line break).
    held = "\n".join([lowered, *names])
    matched = sum(any(v in held for v in variants) for variants in parsed.variants)
    return matched or None


def _tier(title: str, parsed: ParsedQuery, *, named: bool = False, any_term: bool = False) -> int:
    """The relevance tier of a song that matches (`_coverage`), `relevance_sql`'s: `named`
    as `_coverage`'s, `any_term` as `relevance_sql`'s."""
    if named:
        return -1
    if not parsed.variants:
        return 1
    lowered = title.lower()
    if lowered in parsed.texts:
        return 0
    if any(lowered.startswith(text) for text in parsed.texts):
        return 1
    starting = parsed.starting(lowered)
    short = 0 if any_term else parsed.short_words_held(lowered)
    if all(starting) and (any_term or short == len(parsed.short_terms)):
        return 2
    if (
        not any_term
        and (short or any(starting))
        and all(
            starts or not any(v in lowered for v in variants)
            for starts, variants in zip(starting, parsed.variants, strict=True)
        )
    ):
        return 3  # some words in the title, the other terms in an artist's name
    if not any(v in lowered for variants in parsed.variants for v in variants):
        return 4  # found through an artist's name alone
    return 5


def python_parser(using: str) -> Parser:
    """`parse_python` over every title's and name's words, read from the database once (a
    query read again, `search_words.reread`, is parsed over the same words)."""
    titles = Song.objects.using(using).values_list("title", flat=True)
    names = (name.lower() for name in Artist.objects.using(using).values_list("name", flat=True))
    return partial(parse_python, words=Vocabulary(titles, names))


def _order(
    item: tuple[int, str, int],
    *,
    parsed: ParsedQuery,
    corrected: str,
    popularity: dict[int, int | None],
    any_term: bool,
) -> tuple:
    """The Python ranking's sort key of a match (`_tier`'s tier, its title and id),
    `relevance_sql`'s order."""
    tier, title, song_id = item
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


def _holding(field: str, texts: Iterable[str], *, prefix: bool = False) -> Q:
    """The rows whose `field`, lowercased, may hold one of `texts` (lowercase; with `prefix`,
    start with one): those LIKE finds, and those whose lowercasing by Python differs from
    SQLite's `lower()` (see the module's docstring). A superset for Python to decide on:
    `lookups.ILike` is exact, but lowercases each row in Python once per pattern."""
    patterns = [f"{escape_like(t)}%" if prefix else f"%{escape_like(t)}%" for t in texts]
    like = reduce(or_, (Q(Like(F(field), pattern)) for pattern in patterns), Q(pk__in=[]))
    return like | ~Q(Exact(Func(F(field), function=SQLITE_LOWER), Lower(field)))


def _may_match(queryset: QuerySet[Song], parsed: ParsedQuery, named: set[int]) -> QuerySet[Song]:
    """The songs of `queryset` that `_coverage` may find matching: a title or an artist's
    name holding one of the terms' variants (a title starting with the query, for a query
    of 1-2 character terms), or credited to an artist so named."""
    if not parsed.variants:
        return queryset.filter(
            _holding("title", [parsed.text], prefix=True) | Q(InList(F("id"), list(named)))
        )
    variants = {v for term_variants in parsed.variants for v in term_variants}
    artists = Artist.objects.filter(_holding("name", variants)).values("id")
    credited = SongArtist.objects.filter(artist__in=artists).values("song_id")
    return queryset.filter(_holding("title", variants) | Q(id__in=credited) | Q(InList(F("id"), list(named))))


def python_ranked(queryset: QuerySet[Song], text: str, terms: list[str]) -> list[int]:
    """Every match's id, best first."""
    parse = python_parser(queryset.db)
    parsed = parse(text, terms)
    if not parsed.matchable:
        return []
    corrected = parsed.corrected
    named = set(named_unless_trigrams(queryset, text, terms))
    names: dict[int, list[str]] = {}
    popularity: dict[int, int | None] = {}
    songs: list[tuple[int, str]] = []

    def read(parsed: ParsedQuery) -> list[tuple[int, str]]:
        """Every song read so far, and those that may match `parsed` not read yet (their
        artists' names and popularity kept)."""
        may_match = _may_match(queryset, parsed, named).exclude(InList(F("id"), list(popularity)))
        rows = list(may_match.order_by().values_list("id", "title", "popularity"))
        popularity.update((song_id, song_popularity) for song_id, _, song_popularity in rows)
        if parsed.variants:
            credits = SongArtist.objects.filter(InList(F("song_id"), [row[0] for row in rows])).values_list(
                "song_id", "artist__name"
            )
            for song_id, name in credits:
                names.setdefault(song_id, []).append(name.lower())
        songs.extend((song_id, title) for song_id, title, _ in rows)
        return songs

    def covering(parsed: ParsedQuery, songs: list[tuple[int, str]]) -> list[tuple[int, str, int]]:
        found = ((_coverage(t, names.get(i, []), parsed, named=i in named), t, i) for i, t in songs)
        return [(terms, title, song_id) for terms, title, song_id in found if terms is not None]

    covered = covering(parsed, read(parsed))
    if not covered:
        return []
    best_coverage = max(terms for terms, _, _ in covered)
    if parsed.variants and best_coverage < len(parsed.variants):
        # No song has every term as typed: the query read again (`search_words.reread`).
        again = reread(parsed, parse)
        recovered = covering(again, read(again)) if again is not None else []
        if again is not None and any(terms == len(again.variants) for terms, _, _ in recovered):
            parsed, covered, best_coverage = again, recovered, len(again.variants)
    if parsed.variants and best_coverage == len(parsed.variants):
        # Same as PostgreSQL: when some songs have every term, only they are results, and
        # of those, the ones with the terms split between the title and several artist
        # names only when no song has them in one place.
        covered = [item for item in covered if item[0] == best_coverage]
        in_one_place = [
            item
            for item in covered
            if item[2] in named or _in_one_place(item[1].lower(), names.get(item[2], []), parsed)
        ]
        covered = in_one_place or covered

    # No song has every term: the titles holding more terms first, an artist so named aside
    # (`relevance_sql`'s `any_term`).
    any_term = bool(parsed.variants) and best_coverage < len(parsed.variants)
    ranked = [
        (_tier(title, parsed, named=song_id in named, any_term=any_term), title, song_id)
        for _, title, song_id in covered
    ]
    order = partial(_order, parsed=parsed, corrected=corrected, popularity=popularity, any_term=any_term)
    ranked.sort(key=order)
    return [song_id for _, _, song_id in ranked]
