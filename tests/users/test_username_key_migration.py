"""Migration 0005: usernames unique by their case-folded key; accounts that already share a
key keep their names and their sign-in."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("users", "0004_username_ci_unique")]
AFTER = [("users", "0005_username_key")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_existing_usernames_get_their_keys_and_the_later_of_two_alike_a_key_of_its_own():
    try:
        old_user = _migrate(BEFORE).get_model("users", "User")
        # lower(), on either database, lets both of these pairs through.
        odysseus, odysseus_upper = (
            "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c2",
            "\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3",
        )
        made = [
            old_user.objects.create(username=name, email=f"{i}@example.com", password="!")
            for i, name in enumerate(["stra\u00dfe", "Ann", "STRASSE", odysseus, odysseus_upper])
        ]

        new_user = _migrate(AFTER).get_model("users", "User")

        keys = dict(new_user.objects.values_list("username", "username_key"))
        assert keys == {
            "stra\u00dfe": "strasse",
            "Ann": "ann",
            "STRASSE": f"strasse {made[2].pk}",
            odysseus: "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c3",
            odysseus_upper: f"\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c3 {made[4].pk}",
        }
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
