"""A streamed response's progress, or a long request's, as its web worker's heartbeat.

Gunicorn's sync worker tells its master that it is alive only between requests, and the
master kills a worker silent for GUNICORN_TIMEOUT: a download that takes longer (a
listener's whole history, read by a slow client) was cut off mid-stream, its 200 already
sent. Each chunk a streamed response hands over proves that the worker is not stuck, so it
counts as a heartbeat (`beating`), as does each step of long work that reports its progress
(`beat`: a listening history's import, batch by batch); a request that neither sends nor
progresses for the timeout is killed as before. Outside Gunicorn (tests, `runserver`)
nothing is registered and nothing is told.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_notify: Callable[[], None] | None = None


def register(notify: Callable[[], None]) -> None:
    """Called once in each worker (gunicorn.conf.py, `post_worker_init`) with its notify."""
    global _notify
    _notify = notify


def beat() -> None:
    """Tell the master this worker is not stuck: call from long work that makes progress
    (a listening history imported batch by batch)."""
    if _notify is not None:
        _notify()


def beating(chunks: Iterable[T]) -> Iterator[T]:
    """`chunks`, the worker's heartbeat given each time the server asks for the next one
    (the one before is then written)."""
    for chunk in chunks:
        yield chunk
        beat()
