"""Throttles count every request, however many arrive at once: one atomic count per caller
and period (`music_discovery.throttling.CountedRateThrottle`), where DRF's history was read,
appended to and written back, and concurrent requests overwrote each other's counts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from rest_framework.throttling import SimpleRateThrottle

from music_discovery.throttling import AnonCountedThrottle, LoginThrottle, SignedInRateThrottle

RATE = 10
CONCURRENT = 40


def _request(*, signed_in: bool = True) -> SimpleNamespace:
    user = SimpleNamespace(pk=42, is_authenticated=signed_in)
    return SimpleNamespace(user=user, META={"REMOTE_ADDR": "127.0.0.9"}, headers={})


def _allowed_together(throttle_class) -> list[bool]:
    barrier = threading.Barrier(CONCURRENT)
    signed_in = throttle_class is SignedInRateThrottle

    def one(_: int) -> bool:
        throttle = throttle_class()  # one per request, as DRF makes them
        barrier.wait()
        return throttle.allow_request(_request(signed_in=signed_in), None)

    with ThreadPoolExecutor(CONCURRENT) as pool:
        return list(pool.map(one, range(CONCURRENT)))


@pytest.mark.redis
@pytest.mark.parametrize(
    ("throttle_class", "scope"),
    [(SignedInRateThrottle, "user"), (AnonCountedThrottle, "anon"), (LoginThrottle, "auth")],
)
def test_concurrent_requests_are_each_counted(monkeypatch, throttle_class, scope):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, f"{RATE}/min")

    for round_ in range(3):
        allowed = _allowed_together(throttle_class)
        assert sum(allowed) == (RATE if round_ == 0 else 0), round_


def test_a_refused_request_waits_until_the_period_ends(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "2/min")
    monkeypatch.setattr(SignedInRateThrottle, "timer", lambda self: 600.0 + 45.5)
    throttles = [SignedInRateThrottle() for _ in range(3)]

    answers = [throttle.allow_request(_request(), None) for throttle in throttles]

    assert answers == [True, True, False]
    assert throttles[2].wait() == pytest.approx(60 - 45.5)
