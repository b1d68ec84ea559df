"""Who may change which account: staff read every account and reset ordinary ones, but only a
superuser changes or deletes another staff or superuser account (other staff get a 403)."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tests.users.builders import PASSWORD
from users.models import User
from users.views import ACCOUNT_PROTECTED

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-whole-new-tune-77"
PROTECTED_ACCOUNTS = {
    "superuser": {"is_staff": True, "is_superuser": True},
    "staff": {"is_staff": True},
    "superuser_not_staff": {"is_superuser": True},
}
TAKEOVERS = {
    "patch": {"password": NEW_PASSWORD, "email": "attacker@evil.example"},
    "put": {"username": "taken", "email": "attacker@evil.example", "password": NEW_PASSWORD},
    "delete": None,
}


@pytest.fixture(params=PROTECTED_ACCOUNTS.values(), ids=PROTECTED_ACCOUNTS.keys())
def protected(request):
    return UserFactory(email="boss@example.com", **request.param)


@pytest.mark.parametrize("method", TAKEOVERS)
def test_staff_may_not_change_or_delete_another_staff_or_superuser_account(staff_client, protected, method):
    path = f"/api/users/{protected.pk}/"

    response = getattr(staff_client, method)(path, TAKEOVERS[method], format="json")

    assert response.status_code == 403, response.content
    assert response.json() == {"detail": ACCOUNT_PROTECTED}
    protected.refresh_from_db()
    assert protected.email == "boss@example.com"
    assert protected.check_password(PASSWORD)
    # Reading it stays allowed.
    assert staff_client.get(path).json()["email"] == "boss@example.com"


def test_staff_may_not_change_even_harmless_fields_of_a_superuser(staff_client):
    boss = UserFactory(is_staff=True, is_superuser=True, last_name="Boss")

    response = staff_client.patch(f"/api/users/{boss.pk}/", {"last_name": "Gone"}, format="json")

    assert response.status_code == 403
    boss.refresh_from_db()
    assert boss.last_name == "Boss"


def test_only_a_superuser_resets_and_deletes_another_staff_account(make_auth_client, staff_client):
    other_staff = UserFactory(is_staff=True)
    superuser_client = make_auth_client(UserFactory(is_staff=True, is_superuser=True))
    path = f"/api/users/{other_staff.pk}/"
    reset = {"password": NEW_PASSWORD, "email": "moved@example.com"}

    assert staff_client.patch(path, reset, format="json").status_code == 403
    assert staff_client.delete(path).status_code == 403

    response = superuser_client.patch(path, reset, format="json")

    assert response.status_code == 200, response.content
    other_staff.refresh_from_db()
    assert other_staff.check_password(NEW_PASSWORD)
    assert superuser_client.delete(path).status_code == 204
    assert not User.objects.filter(pk=other_staff.pk).exists()
