"""The whole catalog as plain rows, for code that works on arrays (the recommendation model).

Each reader returns tuples in a stable order and streams them (`iterator`), so a million songs
cost their tuples, never model instances.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from catalog.models import Artist, Genre, Rating, Song, SongArtist, SongGenre
from catalog.naming import name_key

# Re-exported: the rule by which other apps match names against `artist_name_rows`' keys.
__all__ = [
    "artist_name_rows",
    "genre_name_rows",
    "name_key",
    "rating_rows",
    "song_credit_rows",
    "song_feature_rows",
    "song_genre_rows",
]

CHUNK = 20_000


def song_feature_rows(features: Sequence[str]) -> Iterator[tuple]:
    """(id, popularity, rating_score, *features) of every song, by id; popularity and
    nullable features may be None."""
    return (
        Song.objects.order_by("id").values_list("id", "popularity", "rating_score", *features).iterator(CHUNK)
    )


def song_credit_rows() -> Iterator[tuple[int, int, int]]:
    """(song id, artist id, position) of every credit."""
    return SongArtist.objects.order_by().values_list("song_id", "artist_id", "position").iterator(CHUNK)


def song_genre_rows() -> Iterator[tuple[int, int]]:
    """(song id, genre id) of every song's genres."""
    return SongGenre.objects.order_by().values_list("song_id", "genre_id").iterator(CHUNK)


def artist_name_rows() -> Iterator[tuple[int, str, str]]:
    """(id, name, normalised name) of every artist."""
    return Artist.objects.order_by("id").values_list("id", "name", "name_key").iterator(CHUNK)


def genre_name_rows() -> list[tuple[int, str]]:
    """(id, name) of every genre (names are normalised)."""
    return list(Genre.objects.order_by("id").values_list("id", "name"))


def rating_rows(*, user_id: int | None = None) -> Iterator[tuple[int, int, int]]:
    """(user id, song id, score) of every rating, or of one user's."""
    ratings = Rating.objects.order_by()
    rows = ratings.values_list("user_id", "song_id", "score")
    if user_id is not None:
        # A user's ratings are few: a server-side cursor's round trips would cost more.
        return iter(list(rows.filter(user_id=user_id)))
    return rows.iterator(CHUNK)
