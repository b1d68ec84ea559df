"""Reads of songs: the list every song endpoint starts from, the list a request asks for
(`song_results`), one song, and what a page of songs carries besides its own columns.

A song leaves the catalog's read side with `artist_credits`, `genre_names` and `my_rating`
attached (`songs_attach`), in a fixed number of queries per page whatever its size:
`catalog.serializers.songs.SongSerializer` reads those attributes and nothing else that
would cost a query.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections
from django.db.models import CharField, F, Func, OrderBy, QuerySet, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Concat
from django.shortcuts import get_object_or_404

from catalog.models import Artist, Genre, Rating, Song, SongArtist, SongGenre
from catalog.selectors.counts import WholePage, count_up_to, queryset_count_bounded
from catalog.selectors.lookups import ILike, InList
from catalog.selectors.search_text import escape_like

# Fields a song list may be ordered by (`ordering=`, `-` for descending). The nullable
# ones (a source may not give them: popularity, or the audio features of a song brought
# from Spotify) list their unknown values last in both directions.
ORDERING_FIELDS = [
    "title",
    "popularity",
    "average_rating",
    "total_ratings",
    "rating_score",
    "tempo",
    "energy",
    "danceability",
    "valence",
    "loudness",
    "duration_ms",
]
_NULLABLE_ORDERING = {"popularity", "tempo", "energy", "danceability", "valence", "loudness"}
# The orderings an index serves from their first row (see song_ordering): only these are
# walked (IndexWalk); any other ordering is a sort of every row, walked or not.
INDEXED_ORDERINGS = ("title", "-title", "-popularity", "-rating_score")


def song_list() -> QuerySet[Song]:
    """All songs, by id: what every song read narrows."""
    return Song.objects.order_by("id")


def song_count() -> int:
    """How many songs the catalog holds (exact: platform totals are cached by their readers)."""
    return Song.objects.count()


def song_count_exceeds(limit: int) -> bool:
    """Whether the catalog holds more than `limit` songs (`count_up_to`)."""
    return count_up_to(Song.objects.all(), limit) > limit


def _unindexed(name: str) -> CombinedExpression | Concat:
    """The field `name` as an expression that no index serves, with the same values and
    order: in ORDER BY it keeps the planner from walking an index of that field to find
    matches (song_results' `within_set`, song_title_contains)."""
    if name == "title":
        return Concat(F(name), Value(""))
    return F(name) + 0


class TitleKey(Func):
    """The order of titles: lowercased, then byte by byte (case-insensitive, the same on
    every database). On PostgreSQL `lower(title) COLLATE "C"`, the expression of the index
    `catalog_song_title_lower_prefix` (migration 0003, with id after it); SQLite compares
    text bytewise already."""

    function = "LOWER"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = self.as_sql(compiler, connection, **extra_context)
        return f'({sql} COLLATE "C")', params


def song_ordering(
    ordering: Sequence[str], *, from_index: bool = True, searched: bool = False
) -> list[OrderBy]:
    """`ordering=` values (`name` or `-name`, from ORDERING_FIELDS) as ORDER BY terms,
    with id as the last key so that pages never overlap or skip rows on ties. Unknown
    values sort last: `-popularity` is served by the index of migration 0010,
    `-rating_score` by `song_rating_score_desc`, `title` (TitleKey) by the title's prefix
    index. With `from_index` False the terms are expressions no index serves (see
    `song_results`); with `searched`, the title's too: a search's matches are sorted by
    title rather than found by walking every title in order until a page of them turns up
    (unless they are common: `song_results`)."""
    terms = []
    for value in ordering:
        name = value.removeprefix("-")
        nulls_last = True if name in _NULLABLE_ORDERING else None
        indexed = from_index and not (searched and name == "title")
        expression: Any = F(name) if indexed else _unindexed(name)
        if name == "title":
            expression = TitleKey(expression)
        terms.append(
            expression.desc(nulls_last=nulls_last)
            if value.startswith("-")
            else expression.asc(nulls_last=nulls_last)
        )
    return [*terms, F("id").asc()]


class IndexWalk:
    """A page of a search's common matches in an order an index serves (a title order), found
    by walking that index no further than a bound: the ids of the first rows in that order,
    then the matches among them, sorted.

    When the matches among those rows fill the page, they are its songs: any match past them
    would sort after them. When they do not (the matches thin or sit further on in that
    order, a filter narrows them), there is no page here and the caller sorts every match.
    Walking the index with the match as a filter instead would stop at the page when
    matches are spread evenly, and read most of the table when they are not (titles that
    start with the word all sort together). `share`: the matches' share of the catalog
    (`search.SearchMatches`), from which the rows a page needs are guessed."""

    def __init__(self, matches: QuerySet[Song], ordering: Sequence[str], share: float) -> None:
        self.matches, self.ordering, self.share = matches, ordering, share

    def rows_for(self, stop: int) -> int:
        """How many rows of the walk a page ending at `stop` reads: twice what the share says."""
        return math.ceil(2 * stop / self.share)

    def page(self, start: int, stop: int) -> list[Song] | None:
        rows = self.rows_for(stop)
        if rows > WALKED_AT_MOST:
            return None
        walked = Song.objects.using(self.matches.db).order_by(*song_ordering(self.ordering))
        ids = list(walked.values_list("id", flat=True)[:rows])
        # Sorted, not walked again: the ids are few and no index serves the sort.
        found = self.matches.filter(InList(F("id"), ids)).order_by(
            *song_ordering(self.ordering, from_index=False)
        )
        page = list(found[start:stop])
        return page if len(page) == stop - start else None


class SongResults:
    """A list of songs as a paginator wants it: `count()` and slices, nothing else.

    The count is exact up to EXACT_COUNT_LIMIT and may be an estimate above it
    (`count_is_exact` says which, once counted); a slice is a list of songs with their
    artists, genres and the viewer's rating attached (`songs_attach`), from `walk` when it
    has the page, else from `source`.

    `whole`: reading a page of `source` reads every row of it (a set sorted whole: see
    `song_results`), so it is counted exactly, with the page the paginator announces
    (`WholePage`)."""

    ordered = True

    def __init__(
        self,
        source: Any,
        *,
        count: Callable[[], tuple[int, bool]],
        viewer_id: int | None,
        walk: IndexWalk | None = None,
        whole: bool = False,
    ) -> None:
        self._source = source
        self._count = count
        self._viewer_id = viewer_id
        self._walk = walk
        self._whole = WholePage() if whole else None
        self.count_is_exact = True

    def expect_page(self, *, start: int, stop: int) -> None:
        if self._whole is not None:
            self._whole.expect(start=start, stop=stop)
        # A source that counts with its page (`RankedSongSearch`) is told too.
        expect = getattr(self._source, "expect_page", None)
        if expect is not None:
            expect(start=start, stop=stop)

    def count(self) -> int:
        total = self._whole.count(self._source) if self._whole is not None else None
        if total is not None:
            self.count_is_exact = True
            return total
        total, self.count_is_exact = self._count()
        return total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Song]:
        if not isinstance(index, slice):
            raise TypeError("SongResults supports slices only")
        page = self._whole.slice(index) if self._whole is not None else None
        if page is None and self._walk is not None and index.stop is not None:
            page = self._walk.page(index.start or 0, index.stop)
        return songs_attach(self._source[index] if page is None else page, viewer_id=self._viewer_id)


def song_results(
    *,
    songs: QuerySet[Song],
    search: str = "",
    ordering: Sequence[str] = (),
    viewer_id: int | None = None,
    within_set: bool = False,
) -> SongResults:
    """The songs of a list request: `songs` (already narrowed by the request's filters),
    searched and ordered. With `search` and no `ordering` they come by relevance
    (`catalog.selectors.search`, ranked only as far as the requested page needs); with
    `ordering` by those fields; otherwise in the order `songs` has.

    `within_set`: `songs` were narrowed to a set that its own index lists (a genre's, an
    artist's), which is then read whole and sorted, and counted exactly with the page
    (`SongResults`' `whole`). Walking an ordered index (popularity, id) until a page of the
    set turns up is what the planner would choose, expecting the set spread evenly along
    that order; a set that is not (a genre of little-known songs, an artist loaded last)
    makes that walk read most of the catalog."""
    # Imported here: the search module reads this one's count and title helpers.
    from catalog.selectors.search import RankedIds, song_search_matches, song_search_ranked

    if search and not ordering:
        ranked = song_search_ranked(songs, search, within_set=within_set)
        if isinstance(ranked, RankedIds):
            return SongResults(ranked, count=ranked.count_bounded, viewer_id=viewer_id)
        return SongResults(ranked, count=lambda: queryset_count_bounded(ranked), viewer_id=viewer_id)
    count, walk = songs, None
    if search:
        matches = song_search_matches(songs, search, within_set=within_set)
        songs = count = matches.songs
        if matches.walkable is not None:
            count = matches.walkable
            if ordering and ordering[0] in INDEXED_ORDERINGS:
                walk = IndexWalk(matches.walkable, ordering, matches.share)
    if ordering:
        songs = songs.order_by(*song_ordering(ordering, from_index=not within_set, searched=bool(search)))
    elif within_set:
        songs = songs.order_by(_unindexed("id"))
    if within_set:
        # Exact: the planner's estimate of a set (it does not know which genre a name is)
        # can fall below the songs in it, and the pages past it would be refused.
        return SongResults(songs, count=lambda: (songs.count(), True), viewer_id=viewer_id, whole=True)
    return SongResults(songs, count=lambda: queryset_count_bounded(count), viewer_id=viewer_id, walk=walk)


def songs_attach(songs: Iterable[Song], *, viewer_id: int | None = None) -> list[Song]:
    """`songs` as a list, each with `artist_credits` (`[{id, name}]` in credit order),
    `genre_names` (sorted) and `my_rating` (the viewer's score, None when the viewer is
    anonymous or has not rated the song): two queries at most for any number of songs.
    Cheaper than `prefetch_related`, which builds a model instance per credit, artist and
    genre only to read a field or two of each."""
    songs = list(songs)
    ids = [song.pk for song in songs]
    credits: dict[int, list[dict]] = {song_id: [] for song_id in ids}
    genres: dict[int, list[str]] = {song_id: [] for song_id in ids}
    ratings: dict[int, int] = {}
    if ids:
        for song_id, is_genre, named_id, name in _credits_and_genres(songs[0]._state.db or "default", ids):
            if is_genre:
                genres[song_id].append(name)
            else:
                credits[song_id].append({"id": named_id, "name": name})
        if viewer_id is not None:
            ratings = dict(
                Rating.objects.filter(user_id=viewer_id, song_id__in=ids).values_list("song_id", "score")
            )
    for song in songs:
        song.artist_credits = credits[song.pk]
        song.genre_names = genres[song.pk]
        song.my_rating = ratings.get(song.pk)
    return songs


def _credits_and_genres(using: str, ids: list[int]) -> list[tuple[int, int, int, str]]:
    """(song id, 0, artist id, name) per credit in credit order, then (song id, 1, genre id,
    name) per genre by name, song by song: one statement, written out rather than two ORM
    queries, whose compiling cost most of a page's attachments."""
    marks = ", ".join(["%s"] * len(ids))
    credit, artist, link, genre = (model._meta.db_table for model in (SongArtist, Artist, SongGenre, Genre))
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT c.song_id, 0, c.artist_id, a.name, c.position, c.id FROM {credit} c"
            f" JOIN {artist} a ON a.id = c.artist_id WHERE c.song_id IN ({marks})"
            f" UNION ALL SELECT l.song_id, 1, l.genre_id, g.name, 0, 0 FROM {link} l"
            f" JOIN {genre} g ON g.id = l.genre_id WHERE l.song_id IN ({marks})"
            " ORDER BY 1, 2, 5, 6, 4",
            [*ids, *ids],
        )
        return [row[:4] for row in cursor.fetchall()]


def song_get(*, song_id: int, viewer_id: int | None = None) -> Song:
    """One song with what `songs_attach` adds, or Http404."""
    return songs_attach([get_object_or_404(song_list(), pk=song_id)], viewer_id=viewer_id)[0]


def song_title_contains(queryset: QuerySet[Song], value: str) -> QuerySet[Song]:
    """Case-insensitive substring of the title: `title ILIKE '%value%'` on the plain column,
    which the GIN trigram index serves (unlike Django's `UPPER(title) LIKE UPPER(...)`).

    The order is by id either way, but expressed for the plan that suits the substring.
    With `ORDER BY id LIMIT n` PostgreSQL walks the primary key hoping to meet matches
    early: right for a substring in many titles, ruinous for a rare one (the whole table
    read). So unless the title-word list says the substring is common, the order is
    `id + 0`, which that index cannot serve, and the trigram plan is kept."""
    matched = queryset.filter(ILike(F("title"), f"%{escape_like(value)}%"))
    if _title_share(queryset.db, value) > COMMON_SUBSTRING_SHARE:
        return matched.order_by("id")
    return matched.order_by(_unindexed("id"))


# A substring in more than this share of titles is "common" (see song_title_contains, and
# a search's matches in song_results).
COMMON_SUBSTRING_SHARE = 0.01
# A page of a search's common matches in the order of an index walks at most this many rows
# of that index (IndexWalk); deeper pages sort every match instead (bench/README.md,
# "Search", ordered searches of common words).
WALKED_AT_MOST = 20_000
_TRIGRAM_RUN = re.compile(r"[^\W_]{3}")


def _title_share(using: str, value: str) -> float:
    """Rough share of titles containing `value`, from the title-word list (PostgreSQL only;
    0 elsewhere, or when the value spans words and the list cannot tell)."""
    lowered = value.lower()
    if connections[using].vendor != "postgresql":
        return 0.0
    if not _TRIGRAM_RUN.search(lowered):
        # No three letters in a row: the trigram index would hand back every row to
        # recheck. A letter or two is in many titles, so walking ids finds a page early;
        # bare punctuation is rare, and the index scan is then the cheaper full pass.
        return 1.0 if any(ch.isalnum() for ch in lowered) else 0.0
    if not lowered.isalnum():
        return 0.0
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(ndoc), 0), "
            "(SELECT greatest(reltuples, 1) FROM pg_class WHERE oid = 'catalog_song'::regclass) "
            "FROM catalog_searchword WHERE word LIKE %s",
            [f"%{escape_like(lowered)}%"],
        )
        occurrences, songs = cursor.fetchone()
    return float(occurrences) / float(songs)
