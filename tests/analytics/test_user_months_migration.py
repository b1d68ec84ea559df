"""Migration 0010: each listener's day rows become month rows, nothing counted lost."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.builders import migrate_to, migrate_to_latest
from tests.factories import UserFactory

BEFORE = [("analytics", "0009_pending_user_rollup_user")]
AFTER = [("analytics", "0010_user_months")]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_day_rows_become_month_rows_with_their_days():
    ann, bob = UserFactory(), UserFactory()
    try:
        user_day = migrate_to(BEFORE).get_model("analytics", "UserDay")
        oct31, nov1, nov15, nov30 = (dt.date(2026, m, d) for m, d in ((10, 31), (11, 1), (11, 15), (11, 30)))
        for user, day, hour, counts in (
            (ann, oct31, 20, {"plays": 2, "listen_ms": 100}),
            (ann, nov30, 8, {"plays": 1, "listen_ms": 50}),
            (ann, nov1, 23, {"likes": 1}),
            (bob, nov15, 12, {"skips": 3}),
        ):
            user_day.objects.create(user_id=user.id, day=day, last_at=_at(day, hour), **counts)

        user_month = migrate_to(AFTER).get_model("analytics", "UserMonth")

        rows = user_month.objects.order_by("user_id", "month").values_list(
            "user_id", "month", "plays", "likes", "skips", "shares", "days", "listen_ms", "last_at"
        )
        assert list(rows) == [
            (ann.id, dt.date(2026, 10, 1), 2, 0, 0, 0, 1 << 30, 100, _at(oct31, 20)),
            (ann.id, dt.date(2026, 11, 1), 1, 1, 0, 0, 1 | 1 << 29, 50, _at(nov30, 8)),
            (bob.id, dt.date(2026, 11, 1), 0, 0, 3, 0, 1 << 14, 0, _at(nov15, 12)),
        ]
    finally:
        migrate_to_latest()
