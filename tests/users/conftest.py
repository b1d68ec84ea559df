"""Fixtures of the users app's admin tests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import UserFactory
from tests.users.builders import PASSWORD
from users.models import User


@pytest.fixture
def admin_staff(db) -> User:
    """A staff member (not a superuser) allowed to manage users."""
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label="users", codename__regex=r"^(add|change|view)_")
    )
    return staff


@pytest.fixture
def admin_client_logged_in(client, admin_staff):
    """`admin_staff` logged in through the admin's login form."""
    response = client.post(
        reverse("admin:login"), {"username": admin_staff.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    return client
