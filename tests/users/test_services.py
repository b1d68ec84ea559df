"""users.services and users.selectors, called directly."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from rest_framework.test import APIClient
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from catalog.ratings.services import rating_submit
from tests.factories import SongFactory, UserFactory
from users import selectors, services
from users.models import Profile, User

pytestmark = pytest.mark.django_db


def register(**overrides) -> User:
    kwargs = {"username": "ada", "email": "Ada@Example.COM", "password": "tangerine-volcano-41"}
    kwargs.update(overrides)
    return services.user_register(**kwargs)


def test_register_creates_user_with_profile_and_hashed_password():
    user = register(profile={"favorite_genres": ["Pop", " pop ", "", "  "], "moods": ["Calm"]})

    user = User.objects.select_related("profile").get(pk=user.pk)
    assert user.email == "Ada@example.com"
    assert user.password != "tangerine-volcano-41"
    assert user.check_password("tangerine-volcano-41")
    assert user.profile.favorite_genres == ["Pop"]
    assert user.profile.favorite_artists == []
    assert user.profile.moods == ["calm"]


def test_register_duplicate_email_any_case_is_a_validation_error_from_the_database():
    # No pre-check in the service: this is the database constraint speaking.
    register()

    with pytest.raises(ValidationError) as error:
        register(username="ada2", email="ADA@example.com")

    assert error.value.message_dict == {"email": [services.EMAIL_TAKEN]}
    assert User.objects.count() == 1


def test_register_duplicate_username_is_a_validation_error():
    register()

    with pytest.raises(ValidationError) as error:
        register(email="other@example.com")

    assert error.value.message_dict == {"username": [services.USERNAME_TAKEN]}
    assert User.objects.count() == 1
    assert Profile.objects.count() == 1


def test_duplicate_username_that_mentions_email_is_still_a_username_error():
    register(username="email_users_user_email_key_unique")

    with pytest.raises(ValidationError) as error:
        register(username="email_users_user_email_key_unique", email="other@example.com")

    assert list(error.value.message_dict) == ["username"]


def test_register_unknown_mood_writes_nothing():
    with pytest.raises(ValidationError) as error:
        register(profile={"moods": ["happy", "furious"]})

    assert "furious" in error.value.message_dict["moods"][0]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["  indie   pop ", "Indie Pop", "", "rock"], ["indie pop", "rock"]),
        ([], []),
        (("a", "A", "a "), ["a"]),
        # The same name in another Unicode form: an accent composed or not, fullwidth letters.
        (["\u00e9", "e\u0301", "\uff30\uff4f\uff50", "pop"], ["\u00e9", "\uff30\uff4f\uff50"]),
    ],
)
def test_profile_list_normalize(values, expected):
    assert services.profile_list_normalize(values, field="favorite_genres") == expected


@pytest.mark.parametrize(
    "values",
    [
        "pop",
        ["x" * (services.PROFILE_ITEM_MAX_LENGTH + 1)],
        [f"g{n}" for n in range(services.PROFILE_LIST_MAX_ITEMS + 1)],
        [1, 2],
    ],
)
def test_profile_list_normalize_rejects(values):
    with pytest.raises(ValidationError) as error:
        services.profile_list_normalize(values, field="favorite_genres")

    assert "favorite_genres" in error.value.message_dict


def test_profile_list_bound_counts_after_deduplication():
    values = ["same"] * (services.PROFILE_LIST_MAX_ITEMS * 2)

    assert services.profile_list_normalize(values, field="favorite_artists") == ["same"]


def test_user_update_changes_only_given_fields(user):
    first_name = user.first_name

    services.user_update(user=user, last_name="Lovelace", profile={"favorite_artists": ["Adele"]})

    user = User.objects.select_related("profile").get(pk=user.pk)
    assert user.last_name == "Lovelace"
    assert user.first_name == first_name
    assert user.profile.favorite_artists == ["Adele"]
    assert user.profile.moods == ["happy"]


def test_user_update_returns_fresh_profile(user):
    user = selectors.user_list().get(pk=user.pk)  # profile cached by select_related

    updated = services.user_update(user=user, profile={"moods": ["sad"]})

    assert updated.profile.moods == ["sad"]


def test_user_update_email_clash_is_validation_error_and_keeps_state(user):
    UserFactory(email="clash@example.com")
    email = user.email

    with pytest.raises(ValidationError) as error:
        services.user_update(user=user, email="CLASH@example.com", first_name="Changed")

    assert "email" in error.value.message_dict
    assert user.email == email
    user.refresh_from_db()
    assert user.email == email
    assert user.first_name != "Changed"


def test_user_update_password_revokes_outstanding_refresh_tokens(user):
    for _ in range(3):
        RefreshToken.for_user(user)
    other = RefreshToken.for_user(UserFactory())

    services.user_update(user=user, password="a-whole-new-tune-77")

    assert BlacklistedToken.objects.filter(token__user=user).count() == 3
    assert not BlacklistedToken.objects.filter(token__jti=other["jti"]).exists()


def test_user_tokens_revoke_is_idempotent(user):
    RefreshToken.for_user(user)

    assert services.user_tokens_revoke(user=user) == 1
    assert services.user_tokens_revoke(user=user) == 0
    assert BlacklistedToken.objects.count() == 1


def test_user_delete_cascades_and_blacklists(user):
    RefreshToken.for_user(user)

    services.user_delete(user=user)

    assert not User.objects.exists()
    assert not Profile.objects.exists()
    token = OutstandingToken.objects.get()
    assert token.user is None
    assert BlacklistedToken.objects.filter(token=token).exists()


def test_user_delete_recomputes_the_songs_it_had_rated(user, django_capture_on_commit_callbacks):
    song = SongFactory()
    with django_capture_on_commit_callbacks(execute=True):
        rating_submit(user_id=user.pk, song_id=song.pk, score=5)
        rating_submit(user_id=UserFactory().pk, song_id=song.pk, score=1)
    song.refresh_from_db()
    assert (song.total_ratings, song.average_rating) == (2, 3.0)

    with django_capture_on_commit_callbacks(execute=True):
        services.user_delete(user=user)

    song.refresh_from_db()
    assert (song.total_ratings, song.average_rating) == (1, 1.0)


def test_user_logout_blacklists(user):
    token = RefreshToken.for_user(user)

    services.user_logout(user=user, refresh=token)

    assert BlacklistedToken.objects.filter(token__jti=token["jti"]).exists()


def test_user_logout_of_a_spent_token_is_a_validation_error(user):
    token = RefreshToken.for_user(user)
    services.user_logout(user=user, refresh=token)

    with pytest.raises(ValidationError):
        services.user_logout(user=user, refresh=token)

    assert BlacklistedToken.objects.count() == 1


def test_user_logout_of_another_users_token_is_a_validation_error(user):
    token = RefreshToken.for_user(UserFactory())

    with pytest.raises(ValidationError):
        services.user_logout(user=user, refresh=token)

    assert not BlacklistedToken.objects.exists()


def test_token_refresh_spends_the_token_once(user):
    token = RefreshToken.for_user(user)

    pair = services.token_refresh(refresh=token)

    assert set(pair) == {"access", "refresh"}
    assert BlacklistedToken.objects.filter(token__jti=token["jti"]).exists()
    with pytest.raises(TokenError):
        services.refresh_token_claim(refresh=token)


def test_visibility_selector(user, staff_user):
    other = UserFactory()

    assert list(selectors.user_list_visible(actor=user)) == [user]
    assert set(selectors.user_list_visible(actor=staff_user)) == {user, staff_user, other}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registration_with_same_email_is_400_not_500():
    """The serializer's friendly check cannot see a registration that is not committed yet:
    the second request passes it, then waits on the unique index, and must lose with a 400."""
    inserted = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def first_registration() -> None:
        try:
            with transaction.atomic():
                register(username="first", email="same@example.com")
                inserted.set()
                release.wait(10)
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    worker = threading.Thread(target=first_registration)
    worker.start()
    assert inserted.wait(10)
    # The commit happens while the request below is blocked inside its INSERT.
    threading.Timer(0.5, release.set).start()

    response = APIClient().post(
        "/api/users/",
        {"username": "second", "email": "SAME@example.com", "password": "tangerine-volcano-41"},
        format="json",
    )
    worker.join(10)

    assert not errors
    assert response.status_code == 400
    assert response.json() == {"email": [services.EMAIL_TAKEN]}
    assert list(User.objects.values_list("username", flat=True)) == ["first"]
