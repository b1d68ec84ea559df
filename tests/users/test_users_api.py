"""The Users rows of the HTTP contract: /me, detail, changes, deletion and the staff list."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tests.users.builders import PASSWORD, USER_KEYS, obtain
from users.models import Profile, User

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------
# /me and detail
# ---------------------------------------------------------------------------------------------
def test_me(auth_client, user):
    response = auth_client.get("/api/users/me/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == USER_KEYS
    assert body["id"] == user.pk
    assert body["username"] == user.username
    assert body["profile"]["moods"] == ["happy"]
    assert body["date_joined"].endswith("Z")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/users/me/"),
        ("get", "/api/users/1/"),
        ("patch", "/api/users/1/"),
        ("put", "/api/users/1/"),
        ("delete", "/api/users/1/"),
        ("get", "/api/users/"),
    ],
)
def test_anonymous_is_401_with_www_authenticate(api_client, user, method, path):
    response = getattr(api_client, method)(path, {}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in response.json()


def test_owner_reads_own_detail(auth_client, user):
    response = auth_client.get(f"/api/users/{user.pk}/")

    assert response.status_code == 200
    assert response.json()["id"] == user.pk


def test_another_users_id_is_404_and_changes_nothing(auth_client):
    other = UserFactory(first_name="Other")
    path = f"/api/users/{other.pk}/"
    missing = f"/api/users/{other.pk + 1000}/"

    for response in (
        auth_client.get(path),
        auth_client.patch(path, {"first_name": "Hacked"}, format="json"),
        auth_client.put(path, {"username": "hacked", "email": "h@example.com"}, format="json"),
        auth_client.delete(path),
    ):
        assert response.status_code == 404
        # Exactly what a missing id answers: no hint that the account exists.
        assert response.json() == auth_client.get(missing).json() == {"detail": "Not found."}

    other.refresh_from_db()
    assert other.first_name == "Other"
    assert other.username != "hacked"


@pytest.mark.parametrize("path", ["/api/users/abc/", "/api/users/99999999999999999999999/", "/api/users/0/"])
def test_odd_ids_are_404(auth_client, path):
    response = auth_client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("zero", ["０", "٠"], ids=["fullwidth", "arabic-indic"])
def test_own_id_in_another_scripts_digits_is_404(auth_client, user, zero):
    # The owner's own id, each ASCII digit swapped for the same digit of another script.
    path = "/api/users/{}/".format("".join(chr(ord(zero) + int(d)) for d in str(user.pk)))

    response = auth_client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert response.json() == {"detail": "Not found."}


def test_staff_reads_and_changes_others(staff_client, user):
    assert staff_client.get(f"/api/users/{user.pk}/").json()["username"] == user.username

    response = staff_client.patch(f"/api/users/{user.pk}/", {"last_name": "Changed"}, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.last_name == "Changed"


def test_staff_deletes_another_account(staff_client, user):
    assert staff_client.delete(f"/api/users/{user.pk}/").status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()


# ---------------------------------------------------------------------------------------------
# PATCH / PUT
# ---------------------------------------------------------------------------------------------
def test_patch_ignores_is_staff_and_other_read_only_fields(auth_client, user):
    joined = user.date_joined
    response = auth_client.patch(
        f"/api/users/{user.pk}/",
        {
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "id": user.pk + 1,
            "date_joined": "2000-01-01T00:00:00Z",
            "last_login": "2000-01-01T00:00:00Z",
            "first_name": "Changed",
        },
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["id"] == user.pk
    user.refresh_from_db()
    assert user.first_name == "Changed"
    assert not user.is_staff and not user.is_superuser and user.is_active
    assert user.date_joined == joined
    assert auth_client.get("/api/users/").status_code == 403


def test_patch_profile_merges_fields_given(auth_client, user):
    Profile.objects.filter(user=user).update(
        favorite_genres=["pop"], favorite_artists=["Adele"], moods=["happy"]
    )

    response = auth_client.patch(
        f"/api/users/{user.pk}/", {"profile": {"moods": ["calm", "CALM", " focused "]}}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["profile"] == {
        "favorite_genres": ["pop"],
        "favorite_artists": ["Adele"],
        "moods": ["calm", "focused"],
    }
    user.profile.refresh_from_db()
    assert user.profile.moods == ["calm", "focused"]
    assert user.profile.favorite_artists == ["Adele"]


def test_put_replaces_profile_lists(auth_client, user):
    Profile.objects.filter(user=user).update(
        favorite_genres=["pop"], favorite_artists=["Adele"], moods=["happy"]
    )

    response = auth_client.put(
        f"/api/users/{user.pk}/",
        {
            "username": "renamed",
            "email": user.email,
            "current_password": PASSWORD,
            "profile": {"favorite_genres": ["rock"]},
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["username"] == "renamed"
    assert response.json()["profile"] == {"favorite_genres": ["rock"], "favorite_artists": [], "moods": []}


def test_put_requires_username_and_email_but_not_password(auth_client, user):
    response = auth_client.put(f"/api/users/{user.pk}/", {"first_name": "X"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "email"}


def test_patch_unknown_mood_changes_nothing(auth_client, user):
    response = auth_client.patch(
        f"/api/users/{user.pk}/", {"first_name": "Changed", "profile": {"moods": ["angry"]}}, format="json"
    )

    assert response.status_code == 400
    assert "Allowed moods" in response.json()["profile"]["moods"][0]
    user.refresh_from_db()
    assert user.first_name != "Changed"
    assert user.profile.moods == ["happy"]


def test_patch_wrong_types(auth_client, user):
    for body in ({"profile": "calm"}, {"profile": {"moods": "calm"}}, {"profile": None}, {"email": 5}):
        response = auth_client.patch(f"/api/users/{user.pk}/", body, format="json")
        assert response.status_code == 400, body
    user.profile.refresh_from_db()
    assert user.profile.moods == ["happy"]


def test_patch_email_taken_in_another_case(auth_client, user):
    UserFactory(email="Taken@Example.com")

    body = {"email": "taken@example.COM", "current_password": PASSWORD}
    response = auth_client.patch(f"/api/users/{user.pk}/", body, format="json")

    assert response.status_code == 400
    assert "email" in response.json()


def test_patch_own_email_in_another_case_is_allowed(auth_client, user):
    local = user.email.split("@")[0]

    response = auth_client.patch(
        f"/api/users/{user.pk}/", {"email": f"{local.upper()}@EXAMPLE.com"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["email"] == f"{local.upper()}@example.com"


def test_patch_email_to_another_address_that_folds_alike_needs_the_current_password(auth_client, user):
    """ "ß" and "ss" fold alike, yet glaß.com and glass.com are two domains (IDNA 2008)."""
    user.email = "listener@glass.com"
    user.save(update_fields=["email"])

    response = auth_client.patch(f"/api/users/{user.pk}/", {"email": "listener@glaß.com"}, format="json")

    assert response.status_code == 400 and "current_password" in response.json()
    user.refresh_from_db()
    assert user.email == "listener@glass.com"


def test_patch_username_taken(auth_client, user):
    other = UserFactory()

    response = auth_client.patch(
        f"/api/users/{user.pk}/", {"username": other.username, "current_password": PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert "username" in response.json()


def test_patch_weak_password_is_400(auth_client, user):
    for password in ("123", "password", "98765432123", user.username + "x"):
        body = {"password": password, "current_password": PASSWORD}
        response = auth_client.patch(f"/api/users/{user.pk}/", body, format="json")
        assert response.status_code == 400, password
        assert "password" in response.json()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_patch_password_hashes_and_revokes_refresh_tokens(api_client, user):
    tokens = obtain(api_client, user.username).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    body = {"password": "a-whole-new-tune-77", "current_password": PASSWORD}
    response = api_client.patch(f"/api/users/{user.pk}/", body, format="json")

    assert response.status_code == 200
    assert "password" not in response.json()
    user.refresh_from_db()
    assert user.password != "a-whole-new-tune-77"
    assert user.check_password("a-whole-new-tune-77")
    api_client.credentials()
    refused = api_client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refused.status_code == 401
    assert obtain(api_client, user.username, "a-whole-new-tune-77").status_code == 200


# ---------------------------------------------------------------------------------------------
# DELETE
# ---------------------------------------------------------------------------------------------
def test_delete_own_account(api_client, user):
    tokens = obtain(api_client, user.username).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = api_client.delete(f"/api/users/{user.pk}/")

    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Profile.objects.filter(user_id=user.pk).exists()
    assert api_client.get("/api/users/me/").status_code == 401
    api_client.credentials()
    refused = api_client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refused.status_code == 401


# ---------------------------------------------------------------------------------------------
# Staff list
# ---------------------------------------------------------------------------------------------
def test_non_staff_list_is_403(auth_client):
    response = auth_client.get("/api/users/")

    assert response.status_code == 403
    assert "detail" in response.json()


def test_staff_list_is_paginated(staff_client):
    UserFactory.create_batch(4)

    response = staff_client.get("/api/users/", {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert set(body["results"][0]) == USER_KEYS
    assert "page=2" in body["next"]
    second = staff_client.get(body["next"]).json()
    assert {u["id"] for u in second["results"]}.isdisjoint({u["id"] for u in body["results"]})


def test_staff_list_caps_page_size(staff_client):
    response = staff_client.get("/api/users/", {"page_size": 1000})

    assert response.status_code == 200


def test_staff_list_queries_do_not_grow_with_users(staff_client, django_assert_max_num_queries):
    UserFactory.create_batch(15)

    with django_assert_max_num_queries(4):
        response = staff_client.get("/api/users/")

    assert len(response.json()["results"]) == 16


def test_user_without_profile_row_still_serializes(staff_client):
    bare = User.objects.create_user(username="bare", email="bare@example.com", password=PASSWORD)

    response = staff_client.get(f"/api/users/{bare.pk}/")

    assert response.status_code == 200
    assert response.json()["profile"] == {"favorite_genres": [], "favorite_artists": [], "moods": []}


def test_patch_profile_of_user_without_profile_row_creates_it(staff_client):
    bare = User.objects.create_user(username="bare", email="bare@example.com", password=PASSWORD)

    response = staff_client.patch(f"/api/users/{bare.pk}/", {"profile": {"moods": ["sad"]}}, format="json")

    assert response.status_code == 200
    assert Profile.objects.get(user=bare).moods == ["sad"]


def test_schema_documents_users_and_auth(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/auth/token/", "/api/auth/token/refresh/", "/api/auth/logout/", "/api/users/"):
        assert path in paths
    assert "205" in paths["/api/auth/logout/"]["post"]["responses"]
    assert "201" in paths["/api/users/"]["post"]["responses"]
    assert "/api/users/me/" in paths
    assert "/api/users/{id}/" in paths
