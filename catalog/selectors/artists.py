"""Reads of artists: the list (searched, narrowed to a genre), one artist with its genres
and top songs.

An artist's genres are not stored: they are the genres of its songs, most of its songs
first (`artists_attach`), so they can never disagree with the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connections
from django.db.models import Case, Count, F, IntegerField, QuerySet, When
from django.shortcuts import get_object_or_404

from catalog.models import Artist, Song, SongArtist, SongGenre
from catalog.selectors.counts import WholePage, queryset_count_bounded
from catalog.selectors.lookups import EqualsAnyOf
from catalog.selectors.refs import genre_key
from catalog.selectors.search import artist_search, corrected_query
from catalog.selectors.search_text import MAX_TERMS, normalize_query, similarity, title_words
from catalog.selectors.songs import song_list, songs_attach

# How many of an artist's songs its detail shows.
TOP_SONGS = 10
# The most artists a typo-corrected search returns (the closest names first).
CORRECTED_AT_MOST = 100
# The trigram similarity a word of a name needs to count as a correction of the query
# (pg_trgm's default for strict word similarity): one doubled letter in a short name
# ("lippa" for "Lipa", 0.57) still finds it.
CORRECTION_SIMILARITY = 0.5


def artist_list() -> QuerySet[Artist]:
    """All artists, by name (index of migration 0010), then id."""
    return Artist.objects.order_by("name", "id")


class ArtistResults:
    """Artists as a paginator wants them: `count()` (exact up to EXACT_COUNT_LIMIT, see
    `count_is_exact`) and slices of artists with `genre_names` and `song_count` attached.

    With `otherwise`, the artists it gives are listed instead when there are none: counted
    first, as a paginator does before it slices (a separate existence check would be
    planned as a sequential scan stopping at the first match, which for a query no name
    contains reads every artist).

    `whole`: the artists are a genre's, whose page is read by primary key and sorted whole
    (`artist_results`), so they are counted exactly, with the page the paginator announces
    (`WholePage`): the planner's estimate of a genre's artists is no count at all."""

    ordered = True

    def __init__(
        self,
        artists: QuerySet[Artist],
        *,
        otherwise: Callable[[], QuerySet[Artist]] | None = None,
        whole: bool = False,
    ) -> None:
        self._artists = artists
        self._otherwise = otherwise
        self._whole = WholePage() if whole else None
        self.count_is_exact = True

    def expect_page(self, *, start: int, stop: int) -> None:
        if self._whole is not None:
            self._whole.expect(start=start, stop=stop)

    def count(self) -> int:
        total, self.count_is_exact = self._counted()
        if total == 0 and self._otherwise is not None:
            self._artists, self._otherwise, self._whole = self._otherwise(), None, None
            total, self.count_is_exact = self._counted()
        return total

    def _counted(self) -> tuple[int, bool]:
        if self._whole is None:
            return queryset_count_bounded(self._artists)
        total = self._whole.count(self._artists)
        return (self._artists.count() if total is None else total), True

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Artist]:
        if not isinstance(index, slice):
            raise TypeError("ArtistResults supports slices only")
        page = self._whole.slice(index) if self._whole is not None else None
        return artists_attach(self._artists[index] if page is None else page)


def artist_results(
    *, artists: QuerySet[Artist] | None = None, search: str = "", genre: str = ""
) -> ArtistResults:
    """`artists` (all of them by default) credited on a song of `genre` (any spelling of
    its name that normalises to it) and matching `search`: names containing it (exact,
    then prefix, then the rest: `artist_search`), and when no name contains it, the names
    closest to it (typo tolerance: `artist_search_corrected`, for a text of at most
    MAX_TERMS words)."""
    if artists is None:
        artists = artist_list()
    if genre:
        in_genre = SongArtist.objects.filter(
            song_id__in=SongGenre.objects.filter(genre__name=genre_key(genre)).values("song_id")
        ).values("artist_id")
        # `id = ANY(ARRAY(...))`: the genre's artists are looked up by primary key, where
        # `id IN (...)` let the planner read every artist to join them.
        artists = artists.filter(EqualsAnyOf(F("id"), in_genre))
    whole = bool(genre)
    if not search:
        return ArtistResults(artists, whole=whole)
    text = normalize_query(search)
    words = title_words(text)
    if not words:
        return ArtistResults(artists.none())
    # A name is a few words: a longer text is no typo of one, and comparing it with every
    # name's words costs most of a second at a hundred thousand artists.
    corrected = (lambda: artist_search_corrected(artists, text)) if len(words) <= MAX_TERMS else None
    return ArtistResults(artist_search(artists, text), otherwise=corrected, whole=whole)


def artist_search_corrected(artists: QuerySet[Artist], text: str) -> QuerySet[Artist]:
    """For a normalized query that no name contains: the names containing the query as song
    search corrects it (`search.corrected_query`, accents folded: `beyonse` finds Beyoncé,
    `motly crue` Mötley Crüe), else the names closest to it as corrected, or as typed
    (`artist_names_closest`)."""
    corrected = corrected_query(artists.db, text)
    if corrected and corrected != text:
        found = artist_search(artists, corrected)
        if found.exists():
            return found
        # The names closest to the corrected text first: a term taken as typed because
        # some name starts with it ("taylr", Taylr Renee) is nearer to its right name
        # once the other terms are corrected ("taylr swft": Taylor Swift).
        closest = artist_names_closest(artists, corrected)
        if closest.exists():
            return closest
    return artist_names_closest(artists, text)


def artist_names_closest(artists: QuerySet[Artist], text: str) -> QuerySet[Artist]:
    """For a normalized query that no name contains: the names whose words come closest
    to it (best first, then the closer whole name: `Drake` before `Nick Drake`), at most
    CORRECTED_AT_MOST. On PostgreSQL pg_trgm's strict word similarity (`name %>> query`,
    served by the trigram index on names), elsewhere the same idea in Python over every
    name."""
    if connections[artists.db].vendor == "postgresql":
        from django.contrib.postgres.search import TrigramSimilarity, TrigramStrictWordSimilarity

        with connections[artists.db].cursor() as cursor:
            # Session-wide, for the `%>>` operator that the trigram index on names serves.
            cursor.execute(
                "SELECT set_config('pg_trgm.strict_word_similarity_threshold', %s, false)",
                [str(CORRECTION_SIMILARITY)],
            )
        ids = list(
            artists.filter(name__trigram_strict_word_similar=text)
            .annotate(
                word_similarity=TrigramStrictWordSimilarity(text, "name"),
                name_similarity=TrigramSimilarity("name", text),
            )
            .order_by("-word_similarity", "-name_similarity", "name", "id")
            .values_list("id", flat=True)[:CORRECTED_AT_MOST]
        )
    else:
        ids = _closest_names_python(artists, text)
    if not ids:
        return artists.none()
    order = Case(*(When(pk=pk, then=i) for i, pk in enumerate(ids)), output_field=IntegerField())
    return artists.filter(pk__in=ids).annotate(search_rank=order).order_by("search_rank")


def _closest_names_python(artists: QuerySet[Artist], text: str) -> list[int]:
    scored = []
    for artist_id, name in artists.values_list("id", "name"):
        whole = similarity(text, name)
        score = max([whole, *(similarity(text, word) for word in title_words(name))])
        if score >= CORRECTION_SIMILARITY:
            scored.append((-score, -whole, name, artist_id))
    return [artist_id for *_, artist_id in sorted(scored)[:CORRECTED_AT_MOST]]


def artists_attach(artists: Iterable[Artist]) -> list[Artist]:
    """`artists` as a list, each with `song_count` and `genre_names` (the genres of its
    songs, most songs first, then by name): two queries for any number of artists, each
    reading only those artists' credits."""
    artists = list(artists)
    ids = [artist.pk for artist in artists]
    counts: dict[int, int] = {}
    genres: dict[int, list[str]] = {artist_id: [] for artist_id in ids}
    if ids:
        counts = dict(
            SongArtist.objects.filter(artist_id__in=ids)
            .order_by()
            .values("artist_id")
            .annotate(n=Count("id"))
            .values_list("artist_id", "n")
        )
        rows = (
            SongGenre.objects.filter(song__credits__artist_id__in=ids)
            .values("song__credits__artist_id", "genre__name")
            .annotate(n=Count("id"))
            .order_by("song__credits__artist_id", "-n", "genre__name")
            .values_list("song__credits__artist_id", "genre__name")
        )
        for artist_id, genre in rows:
            genres[artist_id].append(genre)
    for artist in artists:
        artist.song_count = counts.get(artist.pk, 0)
        artist.genre_names = genres[artist.pk]
    return artists


@dataclass(frozen=True)
class ArtistDetail:
    id: int
    name: str
    genres: list[str]
    song_count: int
    top_songs: list[Song]


def artist_get(*, artist_id: int, viewer_id: int | None = None) -> ArtistDetail:
    """One artist with its genres, song count and top TOP_SONGS songs (most popular first,
    songs of unknown popularity last, then by rating score, then id), or Http404."""
    artist = artists_attach([get_object_or_404(Artist, pk=artist_id)])[0]
    top = (
        song_list()
        .filter(credits__artist_id=artist.pk)
        .order_by(F("popularity").desc(nulls_last=True), F("rating_score").desc(), "id")[:TOP_SONGS]
    )
    return ArtistDetail(
        id=artist.pk,
        name=artist.name,
        genres=artist.genre_names,
        song_count=artist.song_count,
        top_songs=songs_attach(top, viewer_id=viewer_id),
    )
