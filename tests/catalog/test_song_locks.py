"""A write that locks song rows before updating them waits for a running load instead of
deadlocking with it (`catalog.song_locks`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from catalog.models import Song
from catalog.ratings.aggregates import song_ratings_recompute
from catalog.services.sources import song_details_fill
from catalog.song_locks import songs_lock_for_load
from tests.factories import RatingFactory, SongFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _beside_a_load(song: Song, write: Callable[[], object]) -> list[BaseException]:
    """Run `write` while a load's transaction holds the table, then updates `song` (as a
    load's UPDATE of changed songs does), and commits. The errors of both sides."""
    errors: list[BaseException] = []
    locked = threading.Event()

    def load() -> None:
        try:
            with transaction.atomic():
                songs_lock_for_load()
                locked.set()
                time.sleep(0.5)  # the write starts meanwhile and takes what it can
                Song.objects.filter(pk=song.pk).update(popularity=77)
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
