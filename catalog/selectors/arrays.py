"""The whole catalog as arrays and plain rows, for code that works on arrays (the
recommendation model).

The numeric tables come as one NumPy array each (`music_discovery.arrays`: on PostgreSQL
without a Python object per value); the other readers return tuples in a stable order and
stream them (`iterator`), so a million songs cost their tuples, never model instances.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt
from django.db.models import BigIntegerField, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from catalog.models import Artist, Genre, Rating, Song, SongArtist, SongFileLoad, SongGenre
from catalog.naming import name_among, name_key
from music_discovery.arrays import CHUNK, numeric_array

# Re-exported: the rules by which other apps match names against `artist_name_rows`' keys
# and `genre_name_rows`' names.
__all__ = [
    "artist_name_rows",
    "catalog_load_version",
    "genre_name_rows",
    "name_among",
    "name_key",
    "rating_table",
    "recording_title",
    "song_credit_table",
    "song_feature_table",
    "song_genre_table",
    "song_recording_table",
]


def catalog_load_version() -> int:
    """The id of the newest `load_music` run that wrote songs, 0 before any: arrays read
    before that load miss what it brought (read this before the arrays, so that a load
    committed in between makes them look older than they are, never newer). Loads are
    serialised and their records are never changed, deleted or their ids reused."""
    newest = (
        SongFileLoad.objects.filter(Q(created__gt=0) | Q(updated__gt=0))
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return newest or 0


def song_feature_table(features: Sequence[str]) -> npt.NDArray:
    """(id, popularity, rating_score, *features) of every song, by id, as float64; a null
    popularity or feature is NaN."""
    rows = Song.objects.order_by().values_list("id", "popularity", "rating_score", *features)
    table = numeric_array(rows, 3 + len(features), floats=True)
    return table[np.argsort(table[:, 0], kind="stable")]


def song_credit_table() -> npt.NDArray:
    """(song id, artist id, position) of every credit, as int64."""
    rows = SongArtist.objects.order_by().values_list("song_id", "artist_id", "position")
    return numeric_array(rows, 3, floats=False)


# A title's last " - " part naming a remaster (" - Remastered 2011", " - 2011 Remaster",
# " - 2015 Remastered Version") says which master, not which song: Spotify's catalog holds
# the original and its remasters under several ids, and a listener who rated one knows them
# all. Any other part (" - Live", " - Acoustic") is another performance: kept.
_REMASTER = "remaster"
_PART = " - "


def recording_title(title: str) -> str:
    """The title as `song_recording_table` compares it: lowercased, its last " - " part
    dropped when that part names a remaster."""
    key = title.lower()
    if _REMASTER in key:
        head, part, tail = key.rpartition(_PART)
        if part and _REMASTER in tail:
            return head
    return key


def song_recording_table() -> npt.NDArray:
    """(song id, recording) of every song, as int64: songs with the same first-credited
    artist and the same `recording_title` (lowercased, a remaster's suffix dropped) share a
    recording number, the one song under several ids (an album's track, the single, a
    compilation's, a remaster). What "the same song" means to a list of recommendations. A
    song crediting no artist is a recording of its own.

    Numbered here rather than in SQL, one pass over (id, artist, title) tuples: the suffix
    is found from the title's end, which SQL would do only with REVERSE and STRPOS sums on
    every row, and Python lowercases alike on every database (SQLite's LOWER folds ASCII
    only), at a cost measured in bench/README.md ("A remaster is the same song")."""
    main = SongArtist.objects.filter(song=OuterRef("pk"), position=0).order_by().values("artist_id")[:1]
    rows = (
        Song.objects.order_by()
        .annotate(main=Coalesce(Subquery(main), -F("id"), output_field=BigIntegerField()))
        .values_list("id", "main", "title")
        .iterator(CHUNK)
    )
    recordings: dict[tuple[int, str], int] = {}
    numbered = array("q")
    for song, artist, title in rows:
        numbered.append(song)
        numbered.append(recordings.setdefault((artist, recording_title(title)), len(recordings)))
    return np.frombuffer(numbered, np.int64).reshape(-1, 2).copy()


def song_genre_table() -> npt.NDArray:
    """(song id, genre id) of every song's genres, as int64."""
    return numeric_array(SongGenre.objects.order_by().values_list("song_id", "genre_id"), 2, floats=False)


def artist_name_rows() -> Iterator[tuple[int, str, str]]:
    """(id, name, normalised name) of every artist."""
    return Artist.objects.order_by("id").values_list("id", "name", "name_key").iterator(CHUNK)


def genre_name_rows() -> list[tuple[int, str]]:
    """(id, name) of every genre (names are normalised)."""
    return list(Genre.objects.order_by("id").values_list("id", "name"))


def rating_table(*, user_id: int | None = None) -> npt.NDArray:
    """(user id, song id, score) of every rating, or of one user's, as int64."""
    ratings = Rating.objects.order_by()
    if user_id is not None:
        ratings = ratings.filter(user_id=user_id)
    return numeric_array(ratings.values_list("user_id", "song_id", "score"), 3, floats=False)
