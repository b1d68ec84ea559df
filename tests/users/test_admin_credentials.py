"""The admin and credentials: an account's own password, username and email change only with
its current password (throttled like the API's), and no page shows or revives a token."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import UserFactory
from tests.users.builders import PASSWORD, auth_rate, obtain

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-new-pass-99"


def _password_change(old: str) -> dict:
    return {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}


def test_guessing_the_old_password_on_the_admin_password_change_is_throttled(
    admin_client_logged_in, admin_staff
):
    page = reverse("admin:password_change")
    statuses = [
        admin_client_logged_in.post(page, _password_change(f"guess-{n}")).status_code
        for n in range(auth_rate() + 2)
    ]
    right = admin_client_logged_in.post(page, _password_change(PASSWORD))

    assert statuses[0] == 200  # the form again, with its error
    assert statuses[-1] == 429
    assert right.status_code == 429
    assert int(right["Retry-After"]) > 0
    admin_staff.refresh_from_db()
    assert admin_staff.check_password(PASSWORD)


def test_the_admin_password_change_still_works_with_the_old_password(admin_client_logged_in, admin_staff):
    response = admin_client_logged_in.post(reverse("admin:password_change"), _password_change(PASSWORD))

    assert response.status_code == 302
    admin_staff.refresh_from_db()
    assert admin_staff.check_password(NEW_PASSWORD)


def test_the_admin_password_change_asks_for_a_staff_login(client, user):
    client.force_login(user)

    response = client.post(reverse("admin:password_change"), _password_change(PASSWORD))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# The account's id as the URL may spell it: each names the same account.
@pytest.mark.parametrize("spelling", ["{}", "0{}", "+{}", "{} "])
def test_ones_own_password_page_leads_to_the_change_that_asks_for_the_old_password(
    admin_client_logged_in, admin_staff, spelling
):
    own_page = reverse("admin:auth_user_password_change", args=[spelling.format(admin_staff.pk)])
    form = {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}

    shown = admin_client_logged_in.get(own_page)
    posted = admin_client_logged_in.post(own_page, form)

    assert shown.status_code == 302
    assert shown["Location"] == reverse("admin:password_change")
    assert posted.status_code == 302
    admin_staff.refresh_from_db()
    assert admin_staff.check_password(PASSWORD)


def test_staff_still_reset_another_ordinary_accounts_password(admin_client_logged_in, user):
    page = reverse("admin:auth_user_password_change", args=[user.pk])
    form = {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}

    response = admin_client_logged_in.post(page, form)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_no_page_sets_a_password_the_api_would_not_take_as_current(
    admin_client_logged_in, user, make_auth_client
):
    page = reverse("admin:auth_user_password_change", args=[user.pk])
    longest, too_long = "Long-pass-9 " * 21 + "abcd", "Long-pass-9 " * 22
    assert (len(longest), len(too_long)) == (256, 264)

    refused = admin_client_logged_in.post(
        page, {"usable_password": "true", "password1": too_long, "password2": too_long}
    )
    admin_client_logged_in.post(page, {"usable_password": "true", "password1": longest, "password2": longest})

    assert refused.status_code == 200
    assert "at most 256 characters" in refused.content.decode()
    user.refresh_from_db()
    assert user.check_password(longest)
    changed = make_auth_client(user).patch(
        "/api/users/me/", {"current_password": longest, "password": NEW_PASSWORD}, format="json"
    )
    assert changed.status_code == 200, changed.json()


def _taken_over(account) -> dict:
    return {
        "username": "taken-over",
        "email": "thief@example.org",
        "first_name": "Changed",
        "is_active": "on",
        "date_joined_0": account.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": account.date_joined.strftime("%H:%M:%S"),
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-id": str(account.profile.pk),
        "profile-0-user": str(account.pk),
    }


def test_ones_own_username_and_email_are_read_only_in_the_admin(
    admin_client_logged_in, admin_staff, user, api_client
):
    own = admin_client_logged_in.post(
        reverse("admin:users_user_change", args=[admin_staff.pk]), _taken_over(admin_staff)
    )
    other = admin_client_logged_in.post(reverse("admin:users_user_change", args=[user.pk]), _taken_over(user))

    assert own.status_code == 302, own.content.decode()[:2000]
    assert other.status_code == 302, other.content.decode()[:2000]
    admin_staff.refresh_from_db()
    user.refresh_from_db()
    assert admin_staff.first_name == "Changed"
    assert admin_staff.username != "taken-over" and admin_staff.email != "thief@example.org"
    assert obtain(api_client, admin_staff.username).status_code == 200
    assert (user.username, user.email) == ("taken-over", "thief@example.org")


@pytest.mark.parametrize("model", ["outstandingtoken", "blacklistedtoken"])
def test_no_admin_page_shows_or_deletes_tokens(client, model):
    """An outstanding refresh token is a working credential for its account; deleting a
    blacklisted one would bring it back."""
    boss = UserFactory(is_staff=True, is_superuser=True)
    refresh = RefreshToken.for_user(boss)
    refresh.blacklist()
    client.force_login(boss)
    token = OutstandingToken.objects.get(jti=refresh["jti"])

    listed = client.get(f"/admin/token_blacklist/{model}/")
    shown = client.get(f"/admin/token_blacklist/outstandingtoken/{token.pk}/change/")
    deleted = client.post(
        f"/admin/token_blacklist/blacklistedtoken/{BlacklistedToken.objects.get().pk}/delete/",
        {"post": "yes"},
    )

    assert listed.status_code == 404
    assert shown.status_code == 404
    assert deleted.status_code == 404
    assert BlacklistedToken.objects.filter(token=token).exists()
    assert str(refresh) not in client.get("/admin/").content.decode()


def test_staff_with_every_permission_still_see_no_token(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="token_blacklist"))
    client.force_login(staff)

    assert client.get("/admin/token_blacklist/outstandingtoken/").status_code == 404
