"""POST /api/users/: registration and its failure cases."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from tests.factories import UserFactory
from tests.users.builders import USER_KEYS, auth_rate, obtain, registration
from users.models import Profile, User
from users.moods import MOODS

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------
def test_register_creates_user_and_profile(api_client):
    response = api_client.post("/api/users/", registration(), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == f"http://testserver/api/users/{body['id']}/"
    assert set(body) == USER_KEYS
    assert "password" not in response.content.decode()
    # The domain is lower-cased, the local part kept as typed.
    assert body["email"] == "new.listener@example.com"
    assert body["profile"] == {
        "favorite_genres": ["indie pop", "jazz"],
        "favorite_artists": ["Björk"],
        "moods": ["happy", "calm"],
    }
    user = User.objects.get(pk=body["id"])
    assert user.check_password("tangerine-volcano-41")
    assert user.profile.moods == ["happy", "calm"]
    assert user.profile.favorite_genres == ["indie pop", "jazz"]
    assert not user.is_staff and not user.is_superuser and user.is_active


def test_register_without_profile_gets_an_empty_one(api_client):
    body = registration()
    del body["profile"], body["first_name"], body["last_name"]

    response = api_client.post("/api/users/", body, format="json")

    assert response.status_code == 201
    assert response.json()["profile"] == {"favorite_genres": [], "favorite_artists": [], "moods": []}
    assert Profile.objects.filter(user_id=response.json()["id"]).exists()


def test_registered_user_can_obtain_a_token(api_client):
    api_client.post("/api/users/", registration(), format="json")

    response = obtain(api_client, "newlistener", "tangerine-volcano-41")

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_register_ignores_read_only_fields(api_client):
    body = registration(
        id=999, is_staff=True, is_superuser=True, is_active=False, date_joined="2000-01-01T00:00:00Z"
    )

    response = api_client.post("/api/users/", body, format="json")

    assert response.status_code == 201
    user = User.objects.get(username="newlistener")
    assert user.pk != 999
    assert not user.is_staff and not user.is_superuser and user.is_active
    assert user.date_joined.year > 2000


@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_register_requires_field(api_client, field):
    body = registration()
    del body[field]

    response = api_client.post("/api/users/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not User.objects.exists()


def test_register_duplicate_username(api_client, user):
    response = api_client.post("/api/users/", registration(username=user.username), format="json")

    assert response.status_code == 400
    assert "username" in response.json()
    assert User.objects.count() == 1


def test_register_duplicate_email_in_another_case(api_client):
    UserFactory(email="A@x.com")

    response = api_client.post("/api/users/", registration(email="a@X.com"), format="json")

    assert response.status_code == 400
    assert response.json() == {"email": ["A user with that email already exists."]}
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "password",
    [
        "short1!",  # too short
        "password123",  # common
        "81726354918273",  # entirely numeric
        "newlistener1",  # too similar to the username
    ],
)
def test_register_weak_password(api_client, password):
    response = api_client.post("/api/users/", registration(password=password), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["password"]
    assert not User.objects.exists()


def test_register_unknown_mood_lists_the_allowed_ones(api_client):
    response = api_client.post(
        "/api/users/", registration(profile={"moods": ["happy", "grumpy"]}), format="json"
    )

    assert response.status_code == 400
    message = response.json()["profile"]["moods"][0]
    assert "grumpy" in message
    for mood in MOODS:
        assert mood in message
    assert not User.objects.exists()


def test_a_profile_list_counts_its_entries_once_blanks_and_repeats_are_dropped(api_client):
    profile = {"favorite_genres": ["x"] * 1000, "favorite_artists": ["", " "] * 100, "moods": ["Calm"] * 60}

    response = api_client.post("/api/users/", registration(profile=profile), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["profile"] == {"favorite_genres": ["x"], "favorite_artists": [], "moods": ["calm"]}


@pytest.mark.parametrize(
    ("field", "values"),
    [("favorite_genres", [1.5]), ("favorite_artists", [7]), ("moods", [1, "happy"])],
)
def test_a_number_in_a_profile_list_is_400_naming_the_field(api_client, field, values):
    response = api_client.post("/api/users/", registration(profile={field: values}), format="json")

    assert response.status_code == 400
    assert response.json() == {"profile": {field: {"0": ["Not a valid string."]}}}
    assert not User.objects.exists()


@pytest.mark.parametrize("field", ["username", "password", "first_name", "last_name"])
@pytest.mark.parametrize("number", ["123", "1.5e+300", "1e999"])
def test_a_number_for_a_text_field_is_400_not_its_text(api_client, field, number):
    """DRF's CharField turns a number into its text (`1e999` into "inf"): a username, a
    password or a name is a JSON string (a number is never a valid email)."""
    body = json.dumps(registration(**{field: "__NUMBER__"})).replace('"__NUMBER__"', number)

    response = api_client.post("/api/users/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {field: ["Not a valid string."]}
    assert not User.objects.exists()


def test_a_number_for_a_name_in_a_change_is_400(auth_client, user):
    response = auth_client.patch("/api/users/me/", '{"first_name": 1e999}', content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"first_name": ["Not a valid string."]}
    user.refresh_from_db()
    assert user.first_name != "inf"


@pytest.mark.parametrize(
    ("profile", "path"),
    [
        ("happy", ["profile", "non_field_errors"]),
        ({"moods": "happy"}, ["profile", "moods"]),
        ({"favorite_genres": [{"name": "pop"}]}, ["profile", "favorite_genres"]),
        ({"favorite_artists": [None]}, ["profile", "favorite_artists"]),
        ({"favorite_artists": ["nul\x00byte"]}, ["profile", "favorite_artists"]),
        ({"favorite_genres": ["x" * 101]}, ["profile", "favorite_genres"]),
        ({"favorite_artists": [f"artist {n}" for n in range(51)]}, ["profile", "favorite_artists"]),
    ],
)
def test_register_wrong_profile_types(api_client, profile, path):
    response = api_client.post("/api/users/", registration(profile=profile), format="json")

    assert response.status_code == 400
    errors = response.json()
    for key in path:
        errors = errors[key]
    assert errors
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"username": ["a"], "email": "a@example.com", "password": "tangerine-volcano-41"},
        {"username": "a", "email": "not-an-email", "password": "tangerine-volcano-41"},
        {"username": "a b/c", "email": "a@example.com", "password": "tangerine-volcano-41"},
        {"username": "a" * 151, "email": "a@example.com", "password": "tangerine-volcano-41"},
        {"username": "a", "email": "a@example.com", "password": 12},
        {"username": "a", "email": "a@example.com", "password": "x" * 257},
        {"username": "nul\x00", "email": "a@example.com", "password": "tangerine-volcano-41"},
        {"username": "a", "email": "a" * 250 + "@example.com", "password": "tangerine-volcano-41"},
    ],
)
def test_register_invalid_fields(api_client, body):
    response = api_client.post("/api/users/", body, format="json")

    assert response.status_code == 400
    assert not User.objects.exists()


@pytest.mark.parametrize("raw", [json.dumps([registration()]), "null", '"text"', "12", "{}"])
def test_register_body_not_an_object_is_400(api_client, raw):
    response = api_client.post("/api/users/", raw, content_type="application/json")

    assert response.status_code == 400
    assert not User.objects.exists()


def test_register_malformed_json(api_client):
    response = api_client.post("/api/users/", '{"username": "x", ', content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_register_oversized_body_is_413_json(api_client):
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = api_client.post(
        "/api/users/", json.dumps(registration(first_name=padding)), content_type="application/json"
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    assert not User.objects.exists()


def test_register_is_throttled_with_retry_after(api_client):
    for n in range(auth_rate()):
        body = registration(username=f"listener{n}x", email=f"l{n}@example.com")
        assert api_client.post("/api/users/", body, format="json").status_code == 201

    response = api_client.post("/api/users/", registration(), format="json")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
