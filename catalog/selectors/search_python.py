"""Song search on SQLite and any other database but PostgreSQL: the rules of
`search_postgres` and `search_words` applied in Python to every song of the queryset (its
titles, its artists' names), the same matches in the same order; correct, not fast.
"""

from __future__ import annotations

from collections import Counter
from functools import partial

from django.db.models import QuerySet

from catalog.models import Artist, Song, SongArtist
from catalog.selectors.search_short import named_unless_trigrams
from catalog.selectors.search_text import similarity, title_words
from catalog.selectors.search_words import ParsedQuery, Parser, parse_python, reread


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


def python_parser(using: str) -> Parser:
    """`parse_python` over every title's and name's words, read from the database once (a
    query read again, `search_words.reread`, is parsed over the same words)."""
    title_counts = Counter(
        w for title in Song.objects.using(using).values_list("title", flat=True) for w in title_words(title)
    )
    artist_names = [name.lower() for name in Artist.objects.using(using).values_list("name", flat=True)]
    return partial(parse_python, title_counts=title_counts, artist_names=artist_names)


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


def python_ranked(queryset: QuerySet[Song], text: str, terms: list[str]) -> list[int]:
    """Every match's id, best first."""
    rows = list(queryset.order_by().values_list("id", "title", "popularity"))
    parse = python_parser(queryset.db)
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
