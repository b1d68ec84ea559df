"""Usernames: NFKC-normalised and unique whatever their case, at registration and on a change
(the serializer answers, the database constraint decides); login compares them exactly."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from tests.factories import UserFactory
from tests.users.builders import PASSWORD, obtain, registration
from users import services
from users.models import User
from users.serializers import UserCreateSerializer

pytestmark = pytest.mark.django_db

TAKEN = {"username": [services.USERNAME_TAKEN]}
# (registered, then tried): another case, or another Unicode compatibility form (NFKC).
LOOKALIKES = [
    ("admin", "ADMIN"),
    ("admin", "Admin"),
    ("admin", "\uff41dmin"),  # fullwidth a
    ("admin", "\uff21\uff24\uff2d\uff29\uff2e"),  # fullwidth ADMIN
    ("ffoo", "\ufb00oo"),  # the ff ligature
    # Letters beyond ASCII: SQLite's lower() folds none of them, and no lower() makes SS of ß
    # or σ of a final ς.
    ("\u00e9mile", "\u00c9MILE"),  # émile, ÉMILE
    ("stra\u00dfe", "STRASSE"),  # straße
    (
        "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c2",
        "\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3",
    ),  # οδυσσευς
]


@pytest.mark.parametrize(("registered", "tried"), LOOKALIKES)
def test_registering_a_taken_username_in_another_case_or_form_is_400(api_client, registered, tried):
    UserFactory(username=registered)

    response = api_client.post("/api/users/", registration(username=tried), format="json")

    assert response.status_code == 400
    assert response.json() == TAKEN
    assert User.objects.count() == 1


@pytest.mark.parametrize(("registered", "tried"), LOOKALIKES)
def test_the_serializer_refuses_a_taken_username_in_another_case_or_form(registered, tried):
    UserFactory(username=registered)

    serializer = UserCreateSerializer(data=registration(username=tried))

    assert not serializer.is_valid()
    assert serializer.errors == TAKEN


def test_changing_ones_username_to_another_case_of_a_taken_one_is_400(auth_client, user):
    UserFactory(username="admin")
    own = user.username

    response = auth_client.patch(
        "/api/users/me/", {"username": "aDmin", "current_password": PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == TAKEN
    user.refresh_from_db()
    assert user.username == own
    # One's own username in another case is still one's own (a rename: it signs in as typed).
    response = auth_client.patch(
        "/api/users/me/", {"username": own.upper(), "current_password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["username"] == own.upper()


def test_a_rename_without_the_current_password_says_nothing_of_the_name(auth_client, user):
    # Whether a name is taken is told only to someone allowed to take it.
    UserFactory(username="admin")

    for name in ("admin", "free-name"):
        response = auth_client.patch("/api/users/me/", {"username": name}, format="json")

        assert response.status_code == 400
        assert list(response.json()) == ["current_password"]


def test_a_username_is_stored_nfkc_normalised_and_logs_in_as_registered(api_client):
    body = registration(username="\uff4eew\u2460")  # fullwidth n, circled digit one

    response = api_client.post("/api/users/", body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["username"] == "new1"
    assert User.objects.get().username == "new1"
    # Login normalises the same way, then compares exactly, case included (as Django does).
    assert obtain(api_client, "\uff4eew\u2460", body["password"]).status_code == 200
    assert obtain(api_client, "new1", body["password"]).status_code == 200
    assert obtain(api_client, "NEW1", body["password"]).status_code == 401


def test_a_username_that_normalises_to_invalid_characters_is_400(api_client):
    # U+00BD is a letter-or-digit, but its NFKC form "1⁄2" holds a fraction slash.
    response = api_client.post("/api/users/", registration(username="half\u00bd"), format="json")

    assert response.status_code == 400
    assert "username" in response.json()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("registered", "tried"),
    [("ada", "ADA"), ("ada", "\uff41da"), ("\u00e0da", "\u00c0DA"), ("stra\u00dfe", "STRASSE")],
)
def test_the_database_refuses_a_username_in_another_case_or_form(registered, tried):
    # No pre-check in the services: this is the constraint on username_key speaking.
    ada = services.user_register(
        username=registered, email="ada@example.com", password="tangerine-volcano-41"
    )
    other = services.user_register(username="bob", email="bob@example.com", password="tangerine-volcano-41")

    with pytest.raises(ValidationError) as registering:
        services.user_register(username=tried, email="new@example.com", password="tangerine-volcano-41")
    with pytest.raises(ValidationError) as renaming:
        services.user_update(user=other, username=tried)

    assert registering.value.message_dict == renaming.value.message_dict == TAKEN
    assert list(User.objects.order_by("pk").values_list("username", flat=True)) == [ada.username, "bob"]


def test_a_rename_keeps_the_key_in_step_and_frees_the_old_name(api_client):
    ann = services.user_register(username="ann", email="ann@example.com", password="tangerine-volcano-41")

    services.user_update(user=ann, username="Stra\u00dfe")

    assert User.objects.get(pk=ann.pk).username_key == "strasse"
    assert (
        api_client.post(
            "/api/users/", registration(username="ANN", email="ann2@example.com"), format="json"
        ).status_code
        == 201
    )
    response = api_client.post(
        "/api/users/", registration(username="STRASSE", email="strasse@example.com"), format="json"
    )
    assert response.status_code == 400
    assert response.json() == TAKEN


@pytest.mark.parametrize("name", ["ada\u3164", "\u3164", "\u115fada", "a\u1160da", "ada\uffa0"])
def test_a_username_holding_a_letter_that_shows_as_nothing_is_400(api_client, name):
    UserFactory(username="ada")

    response = api_client.post("/api/users/", registration(username=name), format="json")

    assert response.status_code == 400
    assert "no invisible letter" in response.json()["username"][0]
    assert User.objects.count() == 1


def test_letters_of_any_script_still_make_a_username(api_client):
    response = api_client.post(
        "/api/users/", registration(username="\ud55c\uae00_\u00e9t\u00e9"), format="json"
    )

    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("username", "email", "message"),
    [
        ("ADMIN", "other@example.org", services.USERNAME_TAKEN),
        ("other", "ADMIN@Example.org", services.EMAIL_TAKEN),
    ],
)
def test_createsuperuser_refuses_a_name_or_email_taken_by_its_key(monkeypatch, username, email, message):
    UserFactory(username="admin", email="admin@example.org")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    with pytest.raises(CommandError, match=message):
        call_command("createsuperuser", interactive=False, username=username, email=email, stdout=StringIO())

    assert list(User.objects.values_list("username", flat=True)) == ["admin"]
    call_command(
        "createsuperuser", interactive=False, username="other", email="other@example.org", stdout=StringIO()
    )
    assert User.objects.get(username="other").is_superuser


def test_createsuperuser_without_input_refuses_a_password_longer_than_the_api_takes(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Long-pass-9 " * 22)

    with pytest.raises(CommandError, match="at most 256 characters"):
        call_command(
            "createsuperuser", interactive=False, username="boss", email="boss@example.org", stdout=StringIO()
        )

    assert not User.objects.filter(username="boss").exists()
