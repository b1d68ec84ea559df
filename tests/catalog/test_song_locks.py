"""A write that locks song rows before updating them waits for a running load instead of
deadlocking with it (`catalog.song_locks`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.contrib import admin
from django.db import connection, transaction

from catalog.models import Song, SongArtist
from catalog.ratings.aggregates import song_ratings_recompute
from catalog.services.sources import song_details_fill
from catalog.song_locks import songs_lock_for_load
from tests.factories import RatingFactory, SongArtistFactory, SongFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _beside_a_load(
    song: Song, write: Callable[[], object], step: Callable[[Song], object] | None = None
) -> list[BaseException]:
    """Run `write` while a load's transaction holds the table, then updates `song` (as a
    load's UPDATE of changed songs does; or does `step`), and commits. The errors of both
    sides."""
    errors: list[BaseException] = []
    locked = threading.Event()

    def load() -> None:
        try:
            with transaction.atomic():
                songs_lock_for_load()
                locked.set()
                time.sleep(0.5)  # the write starts meanwhile and takes what it can
                if step is None:
                    Song.objects.filter(pk=song.pk).update(popularity=77)
                else:
                    step(song)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            errors.append(error)
        finally:
            connection.close()

    def other() -> None:
        locked.wait()
        try:
            write()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=load), threading.Thread(target=other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


def test_a_ratings_recompute_beside_a_load_waits_for_it():
    song = SongFactory(popularity=10)
    RatingFactory(song=song, score=5)

    errors = _beside_a_load(song, lambda: song_ratings_recompute(song_ids=[song.pk]))

    assert errors == []
    song.refresh_from_db()
    assert (song.popularity, song.total_ratings) == (77, 1)


def test_filling_a_songs_details_beside_a_load_waits_for_it():
    song = SongFactory(popularity=10)

    errors = _beside_a_load(song, lambda: song_details_fill(song_id=song.pk, details=None))

    assert errors == []
    song.refresh_from_db()
    assert song.popularity == 77
    assert song.spotify_checked_at is not None


@pytest.mark.parametrize("one_or_selected", ["delete_model", "delete_queryset"])
def test_deleting_a_song_in_the_admin_beside_a_load_waits_for_it(one_or_selected):
    song = SongFactory(popularity=10)
    SongArtistFactory(song=song)
    RatingFactory(song=song, score=4)
    song_admin = admin.site._registry[Song]

    def relink(loaded: Song) -> None:  # as the load's `_relink` replaces a song's credits
        SongArtist.objects.filter(song=loaded).delete()

    def delete() -> None:
        if one_or_selected == "delete_model":
            song_admin.delete_model(None, Song.objects.get(pk=song.pk))
        else:
            song_admin.delete_queryset(None, Song.objects.filter(pk=song.pk))

    errors = _beside_a_load(song, delete, relink)

    assert errors == []
    assert not Song.objects.filter(pk=song.pk).exists()
