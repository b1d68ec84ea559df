"""The Django admin for users: list, search, change page with the profile inline, add page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from catalog.ratings.services import rating_submit
from tests.factories import SongFactory, UserFactory
from users.models import Profile, User
from users.moods import MOODS

pytestmark = pytest.mark.django_db


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


@pytest.mark.parametrize(
    ("taken", "tried"),
    [("taken@example.com", "TAKEN@example.com"), ("ada@\u00e9t\u00e9.org", "ADA@\u00c9T\u00c9.ORG")],
)
def test_change_page_refuses_email_taken_in_another_case(admin_client_logged_in, user, taken, tried):
    UserFactory(email=taken)
    data = _change_form(user)
    data["email"] = tried

    response = admin_client_logged_in.post(reverse("admin:users_user_change", args=[user.pk]), data)

    assert response.status_code == 200
    assert b"A user with that email already exists." in response.content


def _add_form(username: str, email: str) -> dict[str, str]:
    return {
        "username": username,
        "email": email,
        "usable_password": "true",
        "password1": "tangerine-volcano-41",
        "password2": "tangerine-volcano-41",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "0",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-favorite_genres": "",
        "profile-0-favorite_artists": "",
    }


def test_add_page_refuses_a_username_taken_in_another_case_of_any_letter(admin_client_logged_in):
    UserFactory(username="stra\u00dfe")  # straße

    response = admin_client_logged_in.post(
        reverse("admin:users_user_add"), _add_form("STRASSE", "strasse@example.com")
    )

    assert response.status_code == 200
    assert b"A user with that username already exists." in response.content
    assert not User.objects.filter(email="strasse@example.com").exists()


def test_change_page_refuses_a_username_taken_in_another_case_of_any_letter(admin_client_logged_in, user):
    UserFactory(username="\u00e9mile")  # émile
    data = _change_form(user)
    data["username"] = "\u00c9MILE"

    response = admin_client_logged_in.post(reverse("admin:users_user_change", args=[user.pk]), data)

    assert response.status_code == 200
    assert b"A user with that username already exists." in response.content
    user.refresh_from_db()
    assert user.username != "\u00c9MILE"


def test_add_page_creates_user_with_profile(admin_client_logged_in):
    response = admin_client_logged_in.post(
        reverse("admin:users_user_add"), _add_form("fromadmin", "fromadmin@Example.COM")
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


def _password_form(password: str) -> dict:
    return {"usable_password": "true", "password1": password, "password2": password}


def test_staff_cannot_change_a_superuser_or_reset_its_password(admin_client_logged_in):
    """The API's rule (`user_changeable_by`) in the admin too: staff resetting a superuser's
    password would take the account over."""
    boss = UserFactory(is_staff=True, is_superuser=True, email="boss@example.com")
    password_page = f"/admin/users/user/{boss.pk}/password/"

    assert admin_client_logged_in.get(password_page).status_code == 403
    assert admin_client_logged_in.post(password_page, _password_form("Owned-By-Staff-42")).status_code == 403
    changed = admin_client_logged_in.post(
        reverse("admin:users_user_change", args=[boss.pk]),
        {**_change_form(boss), "email": "staff@example.com"},
    )

    assert changed.status_code == 403
    boss.refresh_from_db()
    assert boss.check_password("correct-horse-battery-staple")
    assert boss.email == "boss@example.com"


def test_staff_cannot_delete_a_superuser_even_in_bulk(admin_client_logged_in):
    boss = UserFactory(is_staff=True, is_superuser=True)
    staff = User.objects.get(is_staff=True, is_superuser=False)
    staff.user_permissions.add(Permission.objects.get(codename="delete_user"))

    single = admin_client_logged_in.post(reverse("admin:users_user_delete", args=[boss.pk]), {"post": "yes"})
    bulk = admin_client_logged_in.post(
        reverse("admin:users_user_changelist"),
        {"action": "delete_selected", "_selected_action": [boss.pk], "post": "yes"},
    )

    assert single.status_code == 403
    assert bulk.status_code == 403
    assert User.objects.filter(pk=boss.pk).exists()


def test_staff_cannot_make_themselves_or_anyone_a_superuser(admin_client_logged_in, user):
    staff = User.objects.get(is_staff=True, is_superuser=False)
    Profile.objects.get_or_create(user=staff)
    granted = set(staff.user_permissions.values_list("pk", flat=True))
    extra = {
        "is_staff": "on",
        "is_superuser": "on",
        "user_permissions": [p.pk for p in Permission.objects.all()[:5]],
    }

    for account in (staff, user):
        response = admin_client_logged_in.post(
            reverse("admin:users_user_change", args=[account.pk]), {**_change_form(account), **extra}
        )
        assert response.status_code == 302, response.content

    staff.refresh_from_db()
    user.refresh_from_db()
    assert not staff.is_superuser
    assert set(staff.user_permissions.values_list("pk", flat=True)) == granted
    assert not user.is_staff and not user.is_superuser
    assert not user.user_permissions.exists()


def test_a_superuser_may_reset_another_superusers_password_and_grant_staff(client, user):
    boss = UserFactory(is_staff=True, is_superuser=True)
    other = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(boss)

    reset = client.post(f"/admin/users/user/{other.pk}/password/", _password_form("Reset-By-Boss-42"))
    promoted = client.post(
        reverse("admin:users_user_change", args=[user.pk]), {**_change_form(user), "is_staff": "on"}
    )

    assert reset.status_code == 302
    assert promoted.status_code == 302
    other.refresh_from_db()
    user.refresh_from_db()
    assert other.check_password("Reset-By-Boss-42")
    assert user.is_staff


def test_a_password_reset_in_the_admin_ends_the_sessions_before_it(client, user, api_client):
    """The refresh tokens issued before are refused (they carry a digest of the password's
    hash, as access tokens do), however the password was changed."""
    boss = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(boss)
    refresh = str(RefreshToken.for_user(user))

    response = client.post(f"/admin/users/user/{user.pk}/password/", _password_form("Reset-By-Boss-42"))
    refreshed = api_client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert response.status_code == 302
    assert refreshed.status_code == 401
    assert refreshed.json() == {"detail": "The user's password has been changed.", "code": "password_changed"}


@pytest.mark.parametrize(
    "path",
    [
        "/admin/users/user/?username=%00",
        "/admin/users/user/?email__contains=a%00b",
        "/admin/catalog/song/?title__startswith=%00",
        "/admin/users/user/?%00=1",
    ],
)
def test_a_nul_in_an_admin_list_filter_is_a_400(client, path):
    """PostgreSQL text cannot hold NUL: the list filters passed it on (a 500 there)."""
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert client.get(path).status_code == 400
    assert client.get(path.replace("%00", "x")).status_code in (200, 302)


def test_a_nul_in_a_profile_line_is_refused_not_a_500(admin_client_logged_in, user):
    response = admin_client_logged_in.post(
        reverse("admin:users_user_change", args=[user.pk]), _change_form(user, favorite_genres="pop\x00rock")
    )

    assert response.status_code == 200  # the form again, with the error
    assert "Null characters are not allowed." in response.content.decode()
    user.profile.refresh_from_db()
    assert user.profile.favorite_genres != ["pop\x00rock"]


def test_staff_cannot_grant_permissions_through_a_group(client):
    """A staff member allowed to change groups, in a group: its permissions stay as a
    superuser set them."""
    group = Group.objects.create(name="support")
    group.permissions.set(Permission.objects.filter(codename__in=["change_group", "view_group"]))
    staff = UserFactory(is_staff=True)
    staff.groups.add(group)
    client.force_login(staff)
    granted = set(group.permissions.values_list("pk", flat=True))

    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "support", "permissions": list(Permission.objects.values_list("pk", flat=True))},
    )

    assert response.status_code == 302
    assert set(group.permissions.values_list("pk", flat=True)) == granted


def test_a_superuser_sets_a_groups_permissions(client):
    group = Group.objects.create(name="editors")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    wanted = list(Permission.objects.filter(codename="view_user").values_list("pk", flat=True))

    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]), {"name": "editors", "permissions": wanted}
    )

    assert response.status_code == 302
    assert list(group.permissions.values_list("pk", flat=True)) == wanted
