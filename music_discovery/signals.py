""" "This user's signals changed": the one call every app makes when a user's taste evidence
(a rating, a like, a skip, a play, the profile) changes, for whatever keeps per-user results (the
recommendations' cached lists) to hook with `user_signals_changed.connect(receiver)`.

"This account is being deleted": sent by the deletion, inside its transaction, for whatever
keeps counts of the account's rows that its cascade cannot reach (analytics' per-song
rollups) to take them out in the same transaction.

They live in the project's base layer so that every app, catalog's ratings included, can make
them without importing the app that listens.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

# Sent with `user_id` once the change is committed; receivers must not raise.
user_signals_changed = Signal()

# Sent with `user_id` inside the deletion's transaction, while the account's rows still exist;
# receivers write in that transaction, and an error they raise rolls the deletion back.
user_deleting = Signal()


def signals_changed(*, user_id: int) -> None:
    """Tell receivers that `user_id`'s signals changed, once the current transaction commits
    (at once outside one); nothing is sent for a write that rolls back."""
    transaction.on_commit(lambda: user_signals_changed.send_robust(sender=None, user_id=user_id), robust=True)


def account_deleting(*, user_id: int) -> None:
    """Tell receivers that `user_id`'s account is about to be deleted in the current
    transaction. Not `send_robust`: a receiver that cannot take its counts out must stop the
    deletion, or those counts would outlive the rows they were counted from."""
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction each receiver's writes would commit alone, whether or not the
        # account then goes.
        raise RuntimeError("account_deleting must be sent inside the deletion's transaction")
    user_deleting.send(sender=None, user_id=user_id)
