"""The Django admin for users: list, search, change page with the profile inline, add page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from catalog.ratings.services import rating_submit
from tests.factories import SongFactory, UserFactory
from users.models import Profile, User
from users.moods import MOODS

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(client):
    """A staff member (not a superuser) allowed to manage users, logged in through the login form."""
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label="users", codename__regex=r"^(add|change|view)_")
    )
    response = client.post(
        reverse("admin:login"),
        {"username": staff.username, "password": "correct-horse-battery-staple", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    return client


def test_staff_sees_users_changelist_and_searches(admin_client_logged_in):
    UserFactory(username="needle", email="needle@example.com")
    UserFactory(username="haystack")

    response = admin_client_logged_in.get(reverse("admin:users_user_changelist"))
    assert response.status_code == 200
    assert b"needle@example.com" in response.content

    found = admin_client_logged_in.get(reverse("admin:users_user_changelist"), {"q": "needle"})
    assert found.status_code == 200
    assert b"needle" in found.content
    assert b"haystack" not in found.content


def test_change_page_shows_profile_inline(admin_client_logged_in, user):
    response = admin_client_logged_in.get(reverse("admin:users_user_change", args=[user.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="profile-0-moods"' in content
    assert 'name="profile-0-favorite_genres"' in content
    assert "happy" in content


def _change_form(user: User, **profile) -> dict:
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-id": str(user.profile.pk),
        "profile-0-user": str(user.pk),
        "profile-0-favorite_genres": "pop",
        "profile-0-favorite_artists": "",
        "profile-0-moods": ["happy"],
    }
    data.update({f"profile-0-{key}": value for key, value in profile.items()})
    return data


def test_change_page_saves_normalized_profile(admin_client_logged_in, user):
    response = admin_client_logged_in.post(
        reverse("admin:users_user_change", args=[user.pk]),
        _change_form(
            user,
            moods=["calm", "party"],
            favorite_genres="  jazz \r\nJazz\n\nindie pop",
            favorite_artists="Crosby, Stills, Nash & Young\nBjörk",
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    user.profile.refresh_from_db()
    assert user.profile.moods == ["calm", "party"]
    assert user.profile.favorite_genres == ["jazz", "indie pop"]
    assert user.profile.favorite_artists == ["Crosby, Stills, Nash & Young", "Björk"]


def test_change_page_shows_the_lists_as_lines_and_moods_as_checkboxes(admin_client_logged_in):
    listener = UserFactory()
    Profile.objects.filter(user=listener).update(
        favorite_genres=["indie pop", "jazz"], favorite_artists=["Björk"], moods=["calm"]
    )

    response = admin_client_logged_in.get(reverse("admin:users_user_change", args=[listener.pk]))

    content = response.content.decode()
    assert "indie pop\njazz</textarea>" in content
    assert "[&quot;" not in content  # no JSON text anywhere in the inline
    assert 'type="checkbox" name="profile-0-moods" value="calm"' in content
    assert content.count('name="profile-0-moods"') == len(MOODS)


def test_change_page_refuses_unknown_mood(admin_client_logged_in, user):
    response = admin_client_logged_in.post(
        reverse("admin:users_user_change", args=[user.pk]), _change_form(user, moods=["grumpy"])
    )

    assert response.status_code == 200
    assert b"grumpy is not one of the available choices" in response.content
    user.profile.refresh_from_db()
    assert user.profile.moods == ["happy"]


def test_change_page_refuses_email_taken_in_another_case(admin_client_logged_in, user):
    UserFactory(email="taken@example.com")
    data = _change_form(user)
    data["email"] = "TAKEN@example.com"

    response = admin_client_logged_in.post(reverse("admin:users_user_change", args=[user.pk]), data)

    assert response.status_code == 200
    assert b"A user with that email already exists." in response.content


def test_add_page_creates_user_with_profile(admin_client_logged_in):
    response = admin_client_logged_in.post(
        reverse("admin:users_user_add"),
        {
            "username": "fromadmin",
            "email": "fromadmin@Example.COM",
            "usable_password": "true",
            "password1": "tangerine-volcano-41",
            "password2": "tangerine-volcano-41",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "0",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-favorite_genres": "",
            "profile-0-favorite_artists": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    created = User.objects.get(username="fromadmin")
    assert created.email == "fromadmin@example.com"
    assert created.check_password("tangerine-volcano-41")
    assert Profile.objects.filter(user=created).exists()


def test_non_staff_cannot_reach_admin(client, user):
    client.force_login(user)

    response = client.get(reverse("admin:users_user_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_deleting_a_user_in_the_admin_goes_through_the_service(
    client, user, django_capture_on_commit_callbacks
):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    song = SongFactory()
    with django_capture_on_commit_callbacks(execute=True):
        rating_submit(user_id=user.pk, song_id=song.pk, score=4)
    token = RefreshToken.for_user(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:users_user_delete", args=[user.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    song.refresh_from_db()
    assert song.total_ratings == 0
    assert BlacklistedToken.objects.filter(token__jti=token["jti"]).exists()
