"""Migration 0005: usernames and emails unique by their keys; accounts that already share a
key keep their names, emails and sign-in."""

from __future__ import annotations

import pytest

from tests.builders import migrate_to, migrate_to_latest

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
