"""The database refusing or dropping connections (a restart, a failover) is a 503 with
Retry-After under /api/, never a 500: the request can be tried again. bench/faults.py drills
it for real by cutting the bench database's connections."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.db.backends import utils

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch):
    def refuse(self, sql, params=None, *args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(utils.CursorWrapper, "execute", refuse)


def test_a_read_while_the_database_is_down_is_a_503_saying_when_to_retry(api_client, database_down):
    response = api_client.get("/api/songs/", {"search": "love"})

    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "The database is unavailable; try again shortly."}


def test_an_authenticated_write_while_the_database_is_down_is_a_503(auth_client, database_down):
    response = auth_client.post("/api/ratings/", {"song": 1, "score": 4}, format="json")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
