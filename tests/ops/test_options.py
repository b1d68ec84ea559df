"""OPTIONS describes what each method takes: a POST's input fields, writable and required as
the POST itself checks them (DRF's metadata reads the view's serializer for that method)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def fields(response) -> dict[str, tuple[bool, bool]]:
    """Each POST field as (read only, required)."""
    assert response.status_code == 200, response.content
    return {name: (f["read_only"], f["required"]) for name, f in response.json()["actions"]["POST"].items()}


def test_a_ratings_post_takes_a_song_and_a_score(auth_client):
    assert fields(auth_client.options("/api/ratings/")) == {"song": (False, True), "score": (False, True)}


def test_a_sign_up_takes_a_username_an_email_and_a_password(auth_client):
    described = fields(auth_client.options("/api/users/"))

    assert {name: described[name] for name in ("username", "email", "password")} == {
        "username": (False, True),
        "email": (False, True),
        "password": (False, True),
    }
    assert described["first_name"] == (False, False)


def test_anyone_may_ask_what_a_sign_up_takes(api_client, user):
    """A sign-up is open to anyone, and so is its description; an account's is not."""
    assert "password" in fields(api_client.options("/api/users/"))
    response = api_client.options(f"/api/users/{user.pk}/")
    assert response.status_code == 200
    assert "actions" not in response.json()  # no PUT described to a stranger
