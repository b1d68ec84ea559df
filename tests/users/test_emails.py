"""Emails: stored in NFC with the domain lower-cased, and unique by `users.models.email_key`
(case, Unicode form and punycode aside) on both databases, at registration, on a change and
in the admin."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tests.users.builders import PASSWORD, registration
from users import services
from users.models import User, email_key

pytestmark = pytest.mark.django_db

TAKEN = {"email": [services.EMAIL_TAKEN]}
# (registered, then tried): the same mailbox written another way.
ALIKE = [
    ("ada@example.org", "ADA@EXAMPLE.ORG"),
    ("ada@\u00e9t\u00e9.org", "ADA@\u00c9T\u00c9.ORG"),  # SQLite's lower() keeps É
    ("bob@ex\u00e4mple.org", "bob@exa\u0308mple.org"),  # ä as one character, then a + ̈
    ("bob@ex\u00e4mple.org", "bob@xn--exmple-cua.org"),  # the domain in punycode
]


@pytest.mark.parametrize(("registered", "tried"), ALIKE)
def test_registering_an_email_taken_in_another_form_is_400(api_client, registered, tried):
    UserFactory(email=registered)

    response = api_client.post("/api/users/", registration(email=tried), format="json")

    assert response.status_code == 400
    assert response.json() == TAKEN
    assert User.objects.count() == 1


@pytest.mark.parametrize(("registered", "tried"), ALIKE)
def test_the_database_refuses_an_email_in_another_form(registered, tried):
    services.user_register(username="ada", email=registered, password="tangerine-volcano-41")

    with pytest.raises(services.ValidationError) as error:
        services.user_register(username="bob", email=tried, password="tangerine-volcano-41")

    assert error.value.message_dict == TAKEN


def test_an_email_is_stored_in_nfc_with_its_domain_lower_cased(api_client):
    response = api_client.post("/api/users/", registration(email="Bob@EXA\u0308MPLE.org"), format="json")

    assert response.status_code == 201, response.content
    assert User.objects.get().email == "Bob@ex\u00e4mple.org"
    assert response.json()["email"] == "Bob@ex\u00e4mple.org"


def test_glass_and_glass_with_a_sharp_s_are_two_domains():
    assert email_key("a@gla\u00df.com") != email_key("a@glass.com")


def test_changing_to_an_email_taken_in_another_form_is_400(auth_client, user):
    UserFactory(email="bob@ex\u00e4mple.org")

    response = auth_client.patch(
        "/api/users/me/", {"email": "bob@xn--exmple-cua.org", "current_password": PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == TAKEN
