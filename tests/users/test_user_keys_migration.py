"""Migration 0005: usernames and emails unique by their keys; accounts that already share a
key keep their names, emails and sign-in."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.builders import migrate_to, migrate_to_latest
from tests.factories import UserFactory
from tests.users.builders import PASSWORD
from users import services
from users.models import User

BEFORE = [("users", "0004_username_ci_unique")]
AFTER = [("users", "0005_user_keys")]


@pytest.mark.django_db(transaction=True)
def test_existing_accounts_get_their_keys_and_the_later_of_two_alike_a_key_of_its_own():
    try:
        old_user = migrate_to(BEFORE).get_model("users", "User")
        # lower(), on either database, lets both of these pairs through.
        odysseus, odysseus_upper = (
            "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c2",
            "\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3",
        )
        # An accent as one character (NFC) or as a letter and a combining mark (NFD).
        emails = [
            "0@example.com",
            "bob@ex\u00e4mple.org",
            "2@example.com",
            "bob@exa\u0308mple.org",
            "4@x.org",
        ]
        names = ["stra\u00dfe", "Ann", "STRASSE", odysseus, odysseus_upper]
        made = [
            old_user.objects.create(username=name, email=email, password="!")
            for name, email in zip(names, emails, strict=True)
        ]

        new_user = migrate_to(AFTER).get_model("users", "User")

        emails = dict(new_user.objects.values_list("username", "email_key"))
        assert emails[odysseus] == f"bob@ex\u00e4mple.org {made[3].pk}"
        assert emails["Ann"] == "bob@ex\u00e4mple.org"
        keys = dict(new_user.objects.values_list("username", "username_key"))
        assert keys == {
            "stra\u00dfe": "strasse",
            "Ann": "ann",
            "STRASSE": f"strasse {made[2].pk}",
            odysseus: "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c3",
            odysseus_upper: f"\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c3 {made[4].pk}",
        }
    finally:
        migrate_to_latest()


@pytest.fixture
def alike(db):
    """`STRASSE` and a mailbox in NFD, registered while lower() let them beside `straße` and
    the same mailbox in NFC: the keys migration 0005 gave the later account."""
    first = UserFactory(username="stra\u00dfe", email="bob@ex\u00e4mple.org")
    later = UserFactory(username="later", email="later@example.org")
    User.objects.filter(pk=later.pk).update(
        username="STRASSE",
        username_key=f"strasse {later.pk}",
        email="bob@exa\u0308mple.org",
        email_key=f"bob@ex\u00e4mple.org {later.pk}",
    )
    return first, User.objects.get(pk=later.pk)


def test_an_account_that_shared_a_key_saves_whole_and_keeps_its_keys(alike):
    _, later = alike

    later.set_password("a-brand-new-tune-88")
    later.save()

    later.refresh_from_db()
    assert (later.username_key, later.email_key) == (
        f"strasse {later.pk}",
        f"bob@ex\u00e4mple.org {later.pk}",
    )
    later.full_clean()  # the admin's forms validate so: its own keys are no one else's


def test_an_account_that_shared_a_key_may_send_its_own_name_and_email_again(alike, make_auth_client):
    _, later = alike
    body = {"username": "STRASSE", "email": later.email, "first_name": "L", "current_password": PASSWORD}

    response = make_auth_client(later).patch("/api/users/me/", body, format="json")

    assert response.status_code == 200, response.content


def test_it_renamed_gets_the_key_of_its_new_name(alike):
    first, later = alike

    services.user_update(user=later, username="Strasse2")

    assert User.objects.get(pk=later.pk).username_key == "strasse2"
    with pytest.raises(ValidationError):
        services.user_update(user=later, username="STRASSE")  # straße's, now
