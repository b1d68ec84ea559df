""" "This user's signals changed": the one call every app makes when a user's taste evidence
(a rating, a like, a skip, a play, the profile) changes, for whatever keeps per-user results (the
recommendations' cached lists) to hook with `user_signals_changed.connect(receiver)`.

It lives in the project's base layer so that every app, catalog's ratings included, can make
it without importing the app that listens.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

# Sent with `user_id` once the change is committed; receivers must not raise.
user_signals_changed = Signal()


def signals_changed(*, user_id: int) -> None:
    """Tell receivers that `user_id`'s signals changed, once the current transaction commits
    (at once outside one); nothing is sent for a write that rolls back."""
    transaction.on_commit(lambda: user_signals_changed.send_robust(sender=None, user_id=user_id), robust=True)
