"""The Celery worker's consumer, with one repair: it survives its broker going away while it
holds an unacknowledged message.

Celery 5.7.0's consumer, on losing the broker, first `collect()`s the connection (which
detaches the transport from it) and then `close()`s it; closing the channel restores the
unacknowledged messages through that detached transport and raises AttributeError, which
`ignore_errors` does not catch: the worker logs "Unrecoverable error" and exits. The
messages cannot be restored then anyway (the broker is gone; Redis hands them out again
after the visibility timeout), so that error is ignored like the connection errors are.
Selected by CELERY_WORKER_CONSUMER in settings; tested by
tests/catalog/test_ratings_worker.py (a Redis restart under a worker holding a task).
"""

from __future__ import annotations

import logging

from celery.worker.consumer import Consumer as CeleryConsumer

logger = logging.getLogger(__name__)


class Consumer(CeleryConsumer):
    def on_connection_error_after_connected(self, exc: Exception) -> None:
        connection = self.connection
        if connection is not None:
            close = connection.close

            def close_detached() -> None:
                try:
                    close()
                except AttributeError:
                    logger.warning("unacknowledged messages not restored: the broker connection was lost")

            connection.close = close_detached
        super().on_connection_error_after_connected(exc)
