"""Changing one's credentials: the current password is required for a new password, email or
username,
the email-exists answer is throttled like a login, and `/api/users/me/` takes PATCH."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import UserFactory
from tests.users.builders import PASSWORD, auth_rate, obtain
from users import services
from users.models import User
from users.serializers import CURRENT_PASSWORD_REQUIRED

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-whole-new-tune-77"


def detail_url(user) -> str:
    return f"/api/users/{user.pk}/"


@pytest.mark.parametrize(("method", "path"), [("patch", "detail"), ("put", "detail"), ("patch", "me")])
@pytest.mark.parametrize(
    "change",
    [{"password": NEW_PASSWORD}, {"email": "thief@example.com"}, {"username": "thief"}],
    ids=["password", "email", "username"],
)
def test_a_credential_change_without_the_current_password_is_400_naming_it(
    auth_client, user, method, path, change
):
    url = detail_url(user) if path == "detail" else "/api/users/me/"
    body = {"username": user.username, "email": user.email, **change} if method == "put" else change

    response = getattr(auth_client, method)(url, body, format="json")

    assert response.status_code == 400, response.content
    assert "current_password" in response.json()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert user.email != "thief@example.com"
    assert user.username != "thief"


@pytest.mark.parametrize("change", [{"password": NEW_PASSWORD}, {"email": "thief@example.com"}])
def test_a_wrong_current_password_is_400_and_changes_nothing(auth_client, user, change):
    response = auth_client.patch(
        detail_url(user), {**change, "current_password": "not-my-password"}, format="json"
    )

    assert response.status_code == 400
    assert "current_password" in response.json()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert user.email != "thief@example.com"


def test_the_current_password_allows_the_change(auth_client, user):
    response = auth_client.patch(
        detail_url(user),
        {"password": NEW_PASSWORD, "email": "moved@example.com", "current_password": PASSWORD},
        format="json",
    )

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert user.email == "moved@example.com"


def test_a_rename_needs_the_current_password_even_in_another_case_only(auth_client, api_client, user):
    """A username signs in compared exactly, case included: a rename of its case is one too."""
    old_name = user.username

    upper = auth_client.patch(detail_url(user), {"username": old_name.upper()}, format="json")
    renamed = auth_client.patch(
        detail_url(user), {"username": "new-name", "current_password": PASSWORD}, format="json"
    )

    assert upper.status_code == 400
    assert upper.json() == {"current_password": [CURRENT_PASSWORD_REQUIRED]}
    assert renamed.status_code == 200, renamed.content
    assert obtain(api_client, "new-name").status_code == 200
    assert obtain(api_client, old_name).status_code == 401


def test_resending_the_same_email_needs_no_current_password(auth_client, user):
    response = auth_client.patch(
        detail_url(user), {"email": user.email.upper(), "first_name": "Al"}, format="json"
    )

    assert response.status_code == 200, response.content


def test_other_fields_need_no_current_password(auth_client, user):
    response = auth_client.patch(detail_url(user), {"first_name": "Alma"}, format="json")

    assert response.status_code == 200
    assert response.json()["first_name"] == "Alma"


def test_staff_change_another_users_credentials_without_their_password(staff_client, user):
    response = staff_client.patch(
        detail_url(user), {"password": NEW_PASSWORD, "email": "reset@example.com"}, format="json"
    )

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_staff_changing_their_own_password_give_the_current_one(staff_client, staff_user):
    response = staff_client.patch(detail_url(staff_user), {"password": NEW_PASSWORD}, format="json")

    assert response.status_code == 400
    assert "current_password" in response.json()


def test_patch_me_changes_the_caller(auth_client, user):
    response = auth_client.patch(
        "/api/users/me/", {"last_name": "Reyes", "profile": {"moods": ["calm"]}}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["last_name"] == "Reyes"
    assert response.json()["profile"]["moods"] == ["calm"]
    user.refresh_from_db()
    assert user.last_name == "Reyes"


def test_patch_me_with_the_current_password_changes_the_password(api_client, user):
    access = obtain(api_client, user.username).json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    response = api_client.patch(
        "/api/users/me/", {"password": NEW_PASSWORD, "current_password": PASSWORD}, format="json"
    )

    assert response.status_code == 200, response.content
    api_client.credentials()
    assert obtain(api_client, user.username, NEW_PASSWORD).status_code == 200


def test_probing_emails_is_throttled_like_a_login(auth_client, user):
    taken = [UserFactory().email for _ in range(auth_rate())]
    for email in taken:
        response = auth_client.patch(
            detail_url(user), {"email": email, "current_password": PASSWORD}, format="json"
        )
        assert response.status_code == 400

    response = auth_client.patch(
        detail_url(user), {"email": "free@example.com", "current_password": PASSWORD}, format="json"
    )

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    # Changes that carry no credential keep the ordinary user rate.
    assert auth_client.patch(detail_url(user), {"first_name": "Still"}, format="json").status_code == 200


def test_probing_usernames_is_throttled_like_a_login(auth_client, user):
    """A rename's answer says whether the name is taken; the caller's own name, sent along with
    other fields (a PUT), is no probe."""
    taken = [UserFactory().username for _ in range(auth_rate())]
    for username in taken:
        assert auth_client.patch(detail_url(user), {"username": username}, format="json").status_code == 400

    renamed = auth_client.patch(detail_url(user), {"username": "free-name"}, format="json")
    own = auth_client.patch(
        detail_url(user), {"username": user.username, "first_name": "Same"}, format="json"
    )

    assert renamed.status_code == 429
    assert own.status_code == 200


def test_guessing_the_current_password_is_throttled(auth_client, user):
    for attempt in range(auth_rate()):
        body = {"password": NEW_PASSWORD, "current_password": f"guess-{attempt}"}
        assert auth_client.patch(detail_url(user), body, format="json").status_code == 400

    response = auth_client.patch(
        detail_url(user), {"password": NEW_PASSWORD, "current_password": PASSWORD}, format="json"
    )

    assert response.status_code == 429


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/users/me/"), ("patch", "/api/users/me/"), ("get", "detail"), ("delete", "detail")],
)
def test_users_endpoints_answer_429_past_the_user_rate(make_auth_client, monkeypatch, method, path):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "3/min")
    client = make_auth_client()
    url = detail_url(client.user) if path == "detail" else path
    for _ in range(3):
        client.get("/api/users/me/")

    response = getattr(client, method)(url, {}, format="json")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["detail"]


def test_without_the_current_password_nothing_says_whether_an_email_is_taken(auth_client, user):
    taken = UserFactory().email

    response = auth_client.patch(detail_url(user), {"email": taken}, format="json")

    assert response.status_code == 400
    assert response.json() == {"current_password": [CURRENT_PASSWORD_REQUIRED]}


def test_with_the_current_password_a_taken_email_is_400(auth_client, user):
    taken = UserFactory().email

    response = auth_client.patch(
        detail_url(user), {"email": taken.upper(), "current_password": PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"email": ["A user with that email already exists."]}


def test_a_change_made_with_a_current_password_changed_meanwhile_is_400_and_keeps_the_first():
    # Two requests checked the same current password; the first committed a new one. The
    # second's write checks again, on the locked row, and refuses instead of overwriting.
    user = UserFactory()
    seen_by_the_second = User.objects.get(pk=user.pk)
    services.user_update(user=user, password=NEW_PASSWORD, current_password=PASSWORD)

    with pytest.raises(ValidationError) as error:
        services.user_update(
            user=seen_by_the_second, password="yet-another-tune-99", current_password=PASSWORD
        )

    assert error.value.message_dict == {"current_password": [services.CURRENT_PASSWORD_WRONG]}
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


CONCURRENT_CHANGES = 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_password_changes_with_one_current_password_have_one_winner(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "auth", "10000/min")
    user = UserFactory()
    access = str(AccessToken.for_user(user))
    barrier = threading.Barrier(CONCURRENT_CHANGES)

    def change(i: int) -> tuple[int, str]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        new = f"{NEW_PASSWORD}-{i}"
        barrier.wait()
        try:
            body = {"password": new, "current_password": PASSWORD}
            return client.patch("/api/users/me/", body, format="json").status_code, new
        finally:
            connection.close()

    with ThreadPoolExecutor(CONCURRENT_CHANGES) as pool:
        answers = list(pool.map(change, range(CONCURRENT_CHANGES)))

    accepted = [new for status, new in answers if status == 200]
    # The others: 400 on current_password, or 401 once the winner's change ended the token.
    assert len(accepted) == 1, answers
    assert {status for status, _ in answers} <= {200, 400, 401}
    assert User.objects.get(pk=user.pk).check_password(accepted[0])
