"""Tokens and passwords at their edges: one whitespace rule for passwords, one winner among
concurrent refreshes of a token, odd user claims, and logging out (an access token needed, and
only one's own refresh token revoked)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.factories import SongFactory, UserFactory
from tests.users.builders import PASSWORD, obtain, registration, token_refresh_rate

pytestmark = pytest.mark.django_db

SPACED = "  tangerine volcano 41  "


# ---------------------------------------------------------------------------------------------
# Passwords and whitespace: kept as typed everywhere, never only whitespace
# ---------------------------------------------------------------------------------------------
def test_a_password_with_outer_spaces_logs_in_as_registered(api_client):
    assert api_client.post("/api/users/", registration(password=SPACED), format="json").status_code == 201

    assert obtain(api_client, "newlistener", SPACED).status_code == 200
    assert obtain(api_client, "newlistener", SPACED.strip()).status_code == 401


def test_a_password_changed_to_one_with_outer_spaces_logs_in(auth_client, user, api_client):
    response = auth_client.patch(
        "/api/users/me/", {"password": SPACED, "current_password": PASSWORD}, format="json"
    )

    assert response.status_code == 200, response.content
    assert obtain(api_client, user.username, SPACED).status_code == 200


def test_the_current_password_is_compared_as_typed(auth_client, user):
    response = auth_client.patch(
        "/api/users/me/", {"password": SPACED, "current_password": f" {PASSWORD} "}, format="json"
    )

    assert response.status_code == 400
    assert "current_password" in response.json()


@pytest.mark.parametrize("password", [" " * 12, "\t" * 10, " \u00a0 " * 5, "\u200b" * 9, "\ufeff\u2060 " * 4])
def test_a_password_of_only_whitespace_is_refused(api_client, auth_client, password):
    registered = api_client.post("/api/users/", registration(password=password), format="json")
    changed = auth_client.patch(
        "/api/users/me/", {"password": password, "current_password": PASSWORD}, format="json"
    )

    assert registered.status_code == 400
    assert "password" in registered.json()
    assert changed.status_code == 400
    assert "password" in changed.json()


# ---------------------------------------------------------------------------------------------
# Refresh rotation under concurrency: exactly one winner
# ---------------------------------------------------------------------------------------------
ROUNDS = 3
CONCURRENT_REFRESHES = 30


def _refresh_together(token: str) -> list[int]:
    barrier = threading.Barrier(CONCURRENT_REFRESHES)

    def refresh(_: int) -> int:
        client = APIClient()
        barrier.wait()
        try:
            return client.post("/api/auth/token/refresh/", {"refresh": token}, format="json").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(CONCURRENT_REFRESHES) as pool:
        return list(pool.map(refresh, range(CONCURRENT_REFRESHES)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_have_exactly_one_winner(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "token_refresh", "10000/min")
    user = UserFactory()
    for _ in range(ROUNDS):
        statuses = _refresh_together(str(RefreshToken.for_user(user)))

        assert sorted(statuses) == [200] + [401] * (CONCURRENT_REFRESHES - 1)


# ---------------------------------------------------------------------------------------------
# Signed tokens whose user claim is not a user id
# ---------------------------------------------------------------------------------------------
ODD_USER_IDS = ["abc", "1.5", "", " 1", 1.5, True, None, [1], {"id": 1}, "99999999999999999999999"]


def _with_claim(token, claim: str, value):
    token[claim] = value
    return str(token)


@pytest.mark.parametrize("value", ODD_USER_IDS, ids=repr)
def test_an_access_token_with_an_odd_user_id_is_401(api_client, user, value):
    access = _with_claim(AccessToken.for_user(user), "user_id", value)

    response = api_client.get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize("value", ["abc", None, 1.5], ids=repr)
def test_rating_with_an_access_token_with_an_odd_user_id_is_401(api_client, user, value):
    access = _with_claim(AccessToken.for_user(user), "user_id", value)
    song = SongFactory()

    response = api_client.post(
        "/api/ratings/", {"song": song.pk, "score": 4}, format="json", HTTP_AUTHORIZATION=f"Bearer {access}"
    )

    assert response.status_code == 401


def test_an_access_token_without_a_user_id_is_401(api_client, user):
    access = AccessToken.for_user(user)
    del access["user_id"]

    response = api_client.get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401


@pytest.mark.parametrize("value", ODD_USER_IDS, ids=repr)
def test_a_refresh_token_with_an_odd_user_id_is_401(api_client, user, value):
    refresh = _with_claim(RefreshToken.for_user(user), "user_id", value)

    response = api_client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert response.status_code == 401


def test_a_refresh_token_without_a_user_id_is_401(api_client, user):
    refresh = RefreshToken.for_user(user)
    del refresh["user_id"]

    response = api_client.post("/api/auth/token/refresh/", {"refresh": str(refresh)}, format="json")

    assert response.status_code == 401


@pytest.mark.parametrize("value", ["abc", None], ids=repr)
def test_logging_out_a_token_with_an_odd_user_id_is_400(auth_client, user, value):
    refresh = _with_claim(RefreshToken.for_user(user), "user_id", value)

    response = auth_client.post("/api/auth/logout/", {"refresh": refresh}, format="json")

    assert response.status_code == 400


# ---------------------------------------------------------------------------------------------
# Signed refresh tokens whose id (jti) could not be stored in the blacklist
# ---------------------------------------------------------------------------------------------
MISSING = object()
# (PyJWT itself refuses a jti that is not a string.)
ODD_JTIS = {"missing": MISSING, "256_characters": "x" * 256, "nul_character": "nul\x00jti"}


def _with_jti(token, value):
    if value is MISSING:
        del token["jti"]
    else:
        token["jti"] = value
    return str(token)


@pytest.mark.parametrize("value", ODD_JTIS.values(), ids=ODD_JTIS.keys())
def test_refreshing_a_token_with_an_odd_jti_is_401(api_client, user, value):
    refresh = _with_jti(RefreshToken.for_user(user), value)

    response = api_client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize("value", ODD_JTIS.values(), ids=ODD_JTIS.keys())
def test_logging_out_a_token_with_an_odd_jti_is_400(auth_client, user, value):
    refresh = _with_jti(RefreshToken.for_user(user), value)

    response = auth_client.post("/api/auth/logout/", {"refresh": refresh}, format="json")

    assert response.status_code == 400
    assert "refresh" in response.json()


def test_a_jti_may_have_255_characters_not_256(auth_client, user):
    longest, too_long = (_with_jti(RefreshToken.for_user(user), "x" * n) for n in (255, 256))

    assert auth_client.post("/api/auth/logout/", {"refresh": longest}, format="json").status_code == 205
    assert auth_client.post("/api/auth/logout/", {"refresh": too_long}, format="json").status_code == 400


# ---------------------------------------------------------------------------------------------
# Signed tokens whose expiry no datetime can hold (PyJWT takes any number not yet past)
# ---------------------------------------------------------------------------------------------
ODD_EXPIRIES = [10**20, 1e300, 253_402_300_800]


@pytest.mark.parametrize("value", ODD_EXPIRIES, ids=repr)
def test_a_token_expiring_past_the_year_9999_is_refused_not_a_500(api_client, auth_client, user, value):
    access = _with_claim(AccessToken.for_user(user), "exp", value)
    me = api_client.get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert me.status_code == 401 and me.json()["detail"]

    refreshed = api_client.post(
        "/api/auth/token/refresh/",
        {"refresh": _with_claim(RefreshToken.for_user(user), "exp", value)},
        format="json",
    )
    assert refreshed.status_code == 401

    logout = auth_client.post(
        "/api/auth/logout/",
        {"refresh": _with_claim(RefreshToken.for_user(user), "exp", value)},
        format="json",
    )
    assert logout.status_code == 400 and "refresh" in logout.json()


def test_a_token_expiring_in_the_year_9999_is_accepted(api_client, user):
    access = _with_claim(AccessToken.for_user(user), "exp", 253_402_300_799)
    assert api_client.get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200


# ---------------------------------------------------------------------------------------------
# Logout: a valid access token, and a refresh token of the same user
# ---------------------------------------------------------------------------------------------
def _refresh_still_works(api_client, refresh: str) -> bool:
    api_client.credentials()
    return api_client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json").status_code == 200


def test_logout_without_an_access_token_is_401_and_revokes_nothing(api_client, user):
    refresh = obtain(api_client, user.username).json()["refresh"]

    response = api_client.post("/api/auth/logout/", {"refresh": refresh}, format="json")

    assert response.status_code == 401
    assert _refresh_still_works(api_client, refresh)


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer", "Token abc", "expired", "refresh"])
def test_logout_with_a_bad_access_token_is_401_and_revokes_nothing(api_client, user, header):
    refresh = obtain(api_client, user.username).json()["refresh"]
    if header == "expired":
        expired = AccessToken.for_user(user)
        expired.set_exp(lifetime=-AccessToken.lifetime)
        header = f"Bearer {expired}"
    elif header == "refresh":
        header = f"Bearer {refresh}"
    api_client.credentials(HTTP_AUTHORIZATION=header)

    response = api_client.post("/api/auth/logout/", {"refresh": refresh}, format="json")

    assert response.status_code == 401
    assert _refresh_still_works(api_client, refresh)


def test_logout_with_a_session_alone_is_401(client, user):
    # Bearer tokens only: a signed-in admin session does not stand in for the access token.
    refresh = str(RefreshToken.for_user(user))
    client.force_login(user)

    response = client.post("/api/auth/logout/", {"refresh": refresh}, content_type="application/json")

    assert response.status_code == 401


def test_logout_of_another_users_refresh_token_is_refused_and_revokes_nothing(api_client, auth_client, user):
    other = UserFactory()
    theirs = obtain(api_client, other.username).json()["refresh"]

    response = auth_client.post("/api/auth/logout/", {"refresh": theirs}, format="json")

    # The answer an invalid token gets: no hint that this one is valid.
    assert response.status_code == 400
    assert response.json() == {"refresh": ["Token is invalid or expired."]}
    assert _refresh_still_works(api_client, theirs)


def test_logout_with_ones_own_access_and_refresh_tokens_is_205(api_client, user):
    tokens = obtain(api_client, user.username).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = api_client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 205
    assert not _refresh_still_works(api_client, tokens["refresh"])


def test_logout_is_throttled_past_the_token_refresh_rate(auth_client, user):
    for _ in range(token_refresh_rate()):
        assert auth_client.post("/api/auth/logout/", {"refresh": "garbage"}, format="json").status_code == 400

    response = auth_client.post(
        "/api/auth/logout/", {"refresh": str(RefreshToken.for_user(user))}, format="json"
    )

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
