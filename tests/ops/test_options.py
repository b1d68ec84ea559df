"""OPTIONS describes what each method takes: a POST's input fields, writable and required as
the POST itself checks them (DRF's metadata reads the view's serializer for that method)."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory

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


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/api/analytics/user/{me}/exclusions/",
            {"events", "since", "until", "import_id", "excluded"},
        ),
        ("/api/auth/logout/", {"refresh"}),
        ("/api/recommendations/user/{me}/feedback/", {"song", "feedback"}),
    ],
)
def test_a_plain_views_post_is_described_by_its_input_serializer(auth_client, path, expected):
    described = fields(auth_client.options(path.format(me=auth_client.user.pk)))

    assert set(described) >= expected
    assert all(not read_only for read_only, _ in described.values())


def test_a_refresh_and_a_snooze_are_described(auth_client):
    me = auth_client.user.pk

    refresh = fields(auth_client.options(f"/api/recommendations/user/{me}/refresh/"))
    snooze = fields(auth_client.options(f"/api/recommendations/user/{me}/snooze/"))

    assert {"limit", "seed_artists", "seed_genres", "seed_songs", "moods"} <= set(refresh)
    assert snooze


@pytest.mark.parametrize(
    "path",
    [
        "/api/analytics/user/{other}/exclusions/",
        "/api/recommendations/user/{other}/refresh/",
        "/api/recommendations/user/{other}/feedback/",
        "/api/recommendations/user/{other}/snooze/",
    ],
)
def test_someone_elses_path_describes_no_input(auth_client, path):
    response = auth_client.options(path.format(other=UserFactory().pk))

    assert response.status_code == 200
    assert "actions" not in response.json()
