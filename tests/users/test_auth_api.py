"""The Auth rows of the HTTP contract: tokens, refresh and logout, with their failure cases."""

from __future__ import annotations

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from catalog.models import Rating
from tests.factories import SongFactory, UserFactory
from tests.users.builders import PASSWORD, auth_rate, obtain, registration, token_refresh_rate
from users.models import User

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------------
def test_token_ok(api_client, user):
    response = obtain(api_client, user.username)

    assert response.status_code == 200
    tokens = response.json()
    me = api_client.get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert me.status_code == 200
    assert me.json()["id"] == user.pk


@pytest.mark.parametrize(
    ("username", "password"), [("listener-who-is-not", PASSWORD), (None, "wrong-password-42")]
)
def test_token_wrong_credentials_401(api_client, user, username, password):
    response = obtain(api_client, username or user.username, password)

    assert response.status_code == 401
    assert "WWW-Authenticate" in response
    assert "access" not in response.json()


def test_token_inactive_user_401(api_client):
    inactive = UserFactory(is_active=False)

    assert obtain(api_client, inactive.username).status_code == 401


def test_token_missing_fields_400(api_client):
    response = api_client.post("/api/auth/token/", {"username": "x"}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()


def test_token_brute_force_is_throttled(api_client, user):
    for _ in range(auth_rate()):
        assert obtain(api_client, user.username, "not-the-password").status_code == 401

    response = obtain(api_client, user.username)  # even the right password is refused now

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    "header",
    ["Bearer garbage", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", "Bearer", "Token abc"],
)
def test_garbage_access_token_401(api_client, user, header):
    response = api_client.get("/api/users/me/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["detail"]


def test_refresh_token_is_not_an_access_token(api_client, user):
    refresh = str(RefreshToken.for_user(user))

    response = api_client.get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {refresh}")

    assert response.status_code == 401


def test_refresh_rotates_and_reused_token_is_refused(api_client, user):
    first = obtain(api_client, user.username).json()

    rotated = api_client.post("/api/auth/token/refresh/", {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == 200
    second = rotated.json()
    assert set(second) == {"access", "refresh"}
    assert second["refresh"] != first["refresh"]
    assert (
        api_client.get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {second['access']}").status_code == 200
    )

    reused = api_client.post("/api/auth/token/refresh/", {"refresh": first["refresh"]}, format="json")
    assert reused.status_code == 401

    again = api_client.post("/api/auth/token/refresh/", {"refresh": second["refresh"]}, format="json")
    assert again.status_code == 200


@pytest.mark.parametrize("refresh", ["garbage", "", "a.b.c", 12])
def test_refresh_garbage_is_refused(api_client, refresh):
    response = api_client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert response.status_code in {400, 401}


def test_refresh_with_access_token_is_refused(api_client, user):
    access = obtain(api_client, user.username).json()["access"]

    response = api_client.post("/api/auth/token/refresh/", {"refresh": access}, format="json")

    assert response.status_code == 401


def test_refresh_of_a_deleted_account_is_401(api_client):
    gone = UserFactory()
    refresh = str(RefreshToken.for_user(gone))
    # Deleted behind the API's back (no blacklisting), e.g. from a shell.
    User.objects.filter(pk=gone.pk).delete()

    response = api_client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert response.status_code == 401


def test_refresh_of_an_inactive_account_is_401(api_client):
    sleeper = UserFactory()
    refresh = str(RefreshToken.for_user(sleeper))
    User.objects.filter(pk=sleeper.pk).update(is_active=False)

    response = api_client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert response.status_code == 401


def test_refresh_is_throttled_past_its_own_rate(api_client, user):
    for _ in range(token_refresh_rate()):
        api_client.post("/api/auth/token/refresh/", {"refresh": "garbage"}, format="json")
    refresh = str(RefreshToken.for_user(user))

    response = api_client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    # Its own bucket: the login's allowance is untouched.
    assert obtain(api_client, user.username).status_code == 200


def test_failed_sign_ups_leave_token_refresh_alone(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    for _ in range(auth_rate()):
        assert api_client.post("/api/users/", {"username": ""}, format="json").status_code == 400
    assert api_client.post("/api/users/", registration(), format="json").status_code == 429

    response = api_client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert response.status_code == 200


# ---------------------------------------------------------------------------------------------
# Logout
# ---------------------------------------------------------------------------------------------
def test_logout_revokes_the_refresh_token(api_client, user):
    tokens = obtain(api_client, user.username).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = api_client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 205
    assert response.content == b""
    refused = api_client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refused.status_code == 401
    twice = api_client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json")
    assert twice.status_code == 400


@pytest.mark.parametrize("refresh", ["garbage", "", None, ["x"], {"a": 1}])
def test_logout_with_garbage_is_400(auth_client, refresh):
    response = auth_client.post("/api/auth/logout/", {"refresh": refresh}, format="json")

    assert response.status_code == 400
    assert "refresh" in response.json()


def test_logout_with_access_token_is_400(auth_client):
    access = str(RefreshToken.for_user(auth_client.user).access_token)

    response = auth_client.post("/api/auth/logout/", {"refresh": access}, format="json")

    assert response.status_code == 400


# ---------------------------------------------------------------------------------------------
# A password change ends the access tokens issued before it
# ---------------------------------------------------------------------------------------------
NEW_PASSWORD = "a-whole-new-tune-77"


def _me(api_client, access: str):
    return api_client.get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {access}")


def test_access_tokens_before_a_password_change_are_refused(api_client, user):
    before = obtain(api_client, user.username).json()
    other = obtain(api_client, UserFactory().username).json()

    changed = api_client.patch(
        "/api/users/me/",
        {"password": NEW_PASSWORD, "current_password": PASSWORD},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {before['access']}",
    )
    assert changed.status_code == 200, changed.json()

    assert _me(api_client, before["access"]).status_code == 401
    # A vote too, though the rating's POST needs no more of the user than its id.
    vote = api_client.post(
        "/api/ratings/",
        {"song": SongFactory().pk, "score": 5},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {before['access']}",
    )
    assert vote.status_code == 401 and not Rating.objects.exists()
    assert _me(api_client, other["access"]).status_code == 200
    after = obtain(api_client, user.username, NEW_PASSWORD).json()
    assert _me(api_client, after["access"]).json()["id"] == user.pk


def test_a_staff_reset_ends_the_listeners_access_tokens(api_client, staff_client, user):
    before = obtain(api_client, user.username).json()

    reset = staff_client.patch(f"/api/users/{user.pk}/", {"password": NEW_PASSWORD}, format="json")
    assert reset.status_code == 200, reset.json()

    assert _me(api_client, before["access"]).status_code == 401


def test_an_unchanged_password_keeps_access_tokens(api_client, user):
    before = obtain(api_client, user.username).json()
    renamed = api_client.patch(
        "/api/users/me/",
        {"first_name": "Renamed"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {before['access']}",
    )
    assert renamed.status_code == 200
    assert _me(api_client, before["access"]).status_code == 200


# ---------------------------------------------------------------------------------------------
# Credentials are refused while their attempts cannot be counted
# ---------------------------------------------------------------------------------------------
def test_credential_attempts_that_cannot_be_counted_are_refused(
    api_client, client, user, point_redis_at, dead_port
):
    """With Redis out of reach no attempt could be counted: a login, a sign-up, a token
    refresh or an admin login is a 503 saying when to try again, not a guess let through
    unthrottled. The rest of the API degrades to cache misses."""
    point_redis_at(f"redis://127.0.0.1:{dead_port}/0")

    login = obtain(api_client, user.username)
    signup = api_client.post("/api/users/", registration(username="newcomer"), format="json")
    admin_login = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    songs = api_client.get("/api/songs/")

    refresh = api_client.post(
        "/api/auth/token/refresh/", {"refresh": str(RefreshToken.for_user(user))}, format="json"
    )

    for refused in (login, signup, refresh):
        assert refused.status_code == 503, refused.content
        assert refused["Retry-After"] == "5" and refused.json()["detail"]
    assert admin_login.status_code == 503 and admin_login["Retry-After"] == "5"
    assert not User.objects.filter(username="newcomer").exists()
    assert songs.status_code == 200


@pytest.mark.parametrize("password", [1, 1.5, True, ["x"]])
def test_a_password_that_is_not_text_is_a_400_not_a_failed_login(api_client, user, password):
    response = api_client.post(
        "/api/auth/token/", {"username": user.username, "password": password}, format="json"
    )

    assert response.status_code == 400
    assert "password" in response.json()
