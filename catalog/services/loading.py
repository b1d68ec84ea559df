"""Bulk upsert of songs from a validated song file (`catalog.loading`).

One call is one transaction: either every song of the file is in the catalog afterwards
(inserted, updated or found unchanged) or none of the file's changes is. Songs are matched
on `spotify_id`. Only the columns the file has are written: a file without `popularity`
leaves the songs' popularity alone, one without `artists` their credits. An unchanged song
is not written at all (its `updated_at` keeps its value), and the rating aggregates are
never written by a load, so they survive any re-load. Artists are matched, and created, by
their normalised name (`catalog.naming.name_key`), genres likewise; a song's credits and
genres are replaced by the file's when they differ.

PostgreSQL has a path of its own (`catalog.services.loading_postgres`: COPY into staging,
one comparison, set-based writes); every other database goes through the ORM here.
Each load is recorded (`SongFileLoad`). Figures: bench/README.md, "Loading".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models.functions import Now

from catalog.loading import SongColumns
from catalog.models import Artist, Genre, Song, SongArtist, SongFileLoad, SongGenre
from catalog.naming import name_key
from catalog.services.search_index import search_index_refresh

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5_000
# What the callback returns is ignored (tqdm's update returns a flag).
ProgressCallback = Callable[[int], object]
# Stay below SQLite's default limit of 999 bound parameters per statement.
_LOOKUP_CHUNK = 900


@dataclass(frozen=True, slots=True)
class SongUpsertResult:
    total: int
    created: int
    updated: int

    @property
    def unchanged(self) -> int:
        return self.total - self.created - self.updated


def song_upsert_many(
    *,
    songs: SongColumns,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
) -> SongUpsertResult:
    """Insert new songs, update changed ones, leave unchanged ones alone, all in one
    transaction. `songs` must come from `catalog.loading` (validated, no duplicate id).
    `on_progress(n)` is called as each batch of `n` songs has been sent to the database.
    Refreshes the search structures' statistics once when anything was written."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    progress = on_progress or (lambda n: None)
    timer = PhaseTimer()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            from catalog.services import loading_postgres

            result = loading_postgres.song_upsert_many(
                songs=songs, batch_size=batch_size, progress=progress, timer=timer
            )
        else:
            result = _upsert_batched(songs, batch_size, progress)
            song_file_load_record(content_hash=songs.content_hash(), result=result, songs_generation=None)
            timer.lap("write in batches")
        if result.created or result.updated:
            search_index_refresh()
            timer.lap("search statistics")
    # PostgreSQL checks the credits' and genres' foreign keys (deferred) here, row by row.
    timer.lap("commit")
    return result


class PhaseTimer:
    """Phase timings at DEBUG level (`load_music -v 2`), which bench/load.py reports."""

    def __init__(self) -> None:
        self.last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        logger.debug("load phase %s: %.3f s", phase, now - self.last)
        self.last = now


def song_file_load_record(
    *, content_hash: str, result: SongUpsertResult, songs_generation: int | None
) -> None:
    """Record a load, with where the songs' write sequence stands after it (PostgreSQL;
    None elsewhere)."""
    SongFileLoad.objects.create(
        content_hash=content_hash,
        songs=result.total,
        created=result.created,
        updated=result.updated,
        songs_generation=songs_generation,
    )


# ------------------------------------------------------------------------------
# Any database, through the ORM
# ------------------------------------------------------------------------------


def _chunks(values: list, size: int = _LOOKUP_CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _upsert_batched(songs: SongColumns, batch_size: int, progress: ProgressCallback) -> SongUpsertResult:
    fields = songs.fields
    compared = fields[1:]
    created = updated = 0
    for start in range(0, len(songs), batch_size):
        stop = min(start + batch_size, len(songs))
        rows = {row[0]: row for row in songs.rows(start, stop)}
        names = {column: values[start:stop] for column, values in songs.names.items()}
        current = {
            spotify_id: (song_id, tuple(values))
            for chunk in _chunks(list(rows))
            for song_id, spotify_id, *values in Song.objects.filter(spotify_id__in=chunk).values_list(
                "id", "spotify_id", *compared
            )
        }
        credits = _current_names(current, names)
        new, changed, relinked = [], [], []
        for position, (spotify_id, row) in enumerate(rows.items()):
            known = current.get(spotify_id)
            names_differ = (
                any(
                    credits[column].get(spotify_id, ()) != _keys(column, values[position])
                    for column, values in names.items()
                )
                if known
                else bool(names)
            )
            song = Song(**dict(zip(fields, row, strict=True)))
            if known is None:
                new.append((position, song))
            elif known[1] != row[1:] or names_differ:
                song.pk = known[0]
                changed.append((position, song))
            else:
                continue
            if names_differ or known is None:
                relinked.append((position, song))
        Song.objects.bulk_create([song for _, song in new], batch_size=batch_size)
        if changed:
            Song.objects.bulk_update([song for _, song in changed], compared, batch_size=batch_size)
            Song.objects.filter(pk__in=[song.pk for _, song in changed]).update(updated_at=Now())
        _link_names(relinked, names)
        created += len(new)
        updated += len(changed)
        progress(stop - start)
    return SongUpsertResult(total=len(songs), created=created, updated=updated)


def compared_keys(column: str, keys: Iterable[str]) -> tuple[str, ...]:
    """How a song's names in `column` compare, given their normalised names: credits in
    their order, genres as a sorted set. (The PostgreSQL path aggregates the current ones in
    the same order in SQL.)"""
    return tuple(keys) if column == "artists" else tuple(sorted(keys))


def _keys(column: str, names: tuple[str, ...]) -> tuple[str, ...]:
    return compared_keys(column, map(name_key, names))


def _current_names(
    current: dict[str, tuple[int, tuple]], names: dict[str, list]
) -> dict[str, dict[str, tuple[str, ...]]]:
    """The current credits and genres of the songs in `current`, as `_keys` gives them."""
    by_id = {song_id: spotify_id for spotify_id, (song_id, _) in current.items()}
    found: dict[str, dict[str, list[str]]] = {column: {} for column in names}
    for chunk in _chunks(list(by_id)):
        if "artists" in names:
            for song_id, key in (
                SongArtist.objects.filter(song_id__in=chunk)
                .order_by("song_id", "position")
                .values_list("song_id", "artist__name_key")
            ):
                found["artists"].setdefault(by_id[song_id], []).append(key)
        if "genres" in names:
            for song_id, genre in SongGenre.objects.filter(song_id__in=chunk).values_list(
                "song_id", "genre__name"
            ):
                found["genres"].setdefault(by_id[song_id], []).append(genre)
    return {
        column: {sid: compared_keys(column, keys) for sid, keys in values.items()}
        for column, values in found.items()
    }


def _link_names(songs: list[tuple[int, Song]], names: dict[str, list]) -> None:
    """Replace the credits and genres of `songs` (saved, with their ids) by the file's."""
    if not songs or not names:
        return
    ids = [song.pk for _, song in songs]
    if "artists" in names:
        artists = _ensure(Artist, "name_key", _first_spellings(names["artists"], songs))
        for chunk in _chunks(ids):
            SongArtist.objects.filter(song_id__in=chunk).delete()
        SongArtist.objects.bulk_create(
            SongArtist(song_id=song.pk, artist_id=artists[name_key(name)], position=index)
            for position, song in songs
            for index, name in enumerate(names["artists"][position])
        )
    if "genres" in names:
        genres = _ensure(Genre, "name", _first_spellings(names["genres"], songs))
        for chunk in _chunks(ids):
            SongGenre.objects.filter(song_id__in=chunk).delete()
        SongGenre.objects.bulk_create(
            SongGenre(song_id=song.pk, genre_id=genres[name_key(name)])
            for position, song in songs
            for name in names["genres"][position]
        )


def _first_spellings(names: list[tuple[str, ...]], songs: list[tuple[int, Song]]) -> dict[str, str]:
    """Normalised name -> its first spelling in the file, for the names of `songs`."""
    spellings: dict[str, str] = {}
    for position, _song in songs:
        for name in names[position]:
            spellings.setdefault(name_key(name), name)
    return spellings


def _ensure(model: type[Artist] | type[Genre], key_field: str, wanted: dict[str, str]) -> dict[str, int]:
    """The ids of the rows whose `key_field` is each key of `wanted` (key -> name), the
    missing ones created."""
    ids: dict[str, int] = {}
    for chunk in _chunks(list(wanted)):
        ids.update(model.objects.filter(**{f"{key_field}__in": chunk}).values_list(key_field, "id"))
    missing = [key for key in wanted if key not in ids]
    if missing:
        if model is Artist:
            Artist.objects.bulk_create(
                [Artist(name=wanted[key], name_key=key) for key in missing], ignore_conflicts=True
            )
        else:
            Genre.objects.bulk_create([Genre(name=key) for key in missing], ignore_conflicts=True)
        for chunk in _chunks(missing):
            ids.update(model.objects.filter(**{f"{key_field}__in": chunk}).values_list(key_field, "id"))
    return ids
