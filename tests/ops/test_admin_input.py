"""Admin input the ORM or the database cannot take is a 400 and changes nothing, never a 500
(`middleware.AdminBadInputMiddleware`): query-string lookups, date hierarchies, an action's
selected ids, an autocomplete field's value."""

from __future__ import annotations

import pytest

from catalog.models import Song
from music_discovery import admin_actions
from tests.factories import GenreFactory, SongFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


# (refused, a well-formed neighbour that the page answers)
PAGES = [
    ("/admin/users/user/?date_joined__year=9999", "/admin/users/user/?date_joined__year=2025"),
    (
        "/admin/catalog/songfileload/?loaded_at__year=9999",
        "/admin/catalog/songfileload/?loaded_at__year=2025",
    ),
    ("/admin/analytics/activity/?occurred_at__year=0", "/admin/analytics/activity/?occurred_at__year=2025"),
    ("/admin/catalog/song/?id__regex=(a", "/admin/catalog/song/?id=1"),
    ("/admin/users/user/?username__iregex=[", "/admin/users/user/?username__startswith=a"),
    ("/admin/users/user/?email__regex=a", "/admin/users/user/?email__contains=a"),
]


@pytest.mark.parametrize(("refused", "answered"), PAGES)
def test_a_lookup_the_database_cannot_take_is_a_400(superuser_client, refused, answered):
    assert superuser_client.get(refused).status_code == 400
    assert superuser_client.get(answered).status_code in (200, 302)


@pytest.mark.parametrize("selected", ["abc", "1.5", "1,abc"])
def test_an_action_on_ids_that_are_no_ids_is_a_400_and_deletes_nothing(superuser_client, selected):
    song = SongFactory()

    response = superuser_client.post(
        "/admin/catalog/song/", {"action": "delete_selected", "_selected_action": [str(song.pk), selected]}
    )

    assert response.status_code == 400
    assert Song.objects.filter(pk=song.pk).exists()


def test_an_autocomplete_value_that_is_no_id_is_a_400_and_adds_nothing(superuser_client):
    GenreFactory()
    form = {
        "spotify_id": "4uLU6hMCjMI75M1A2tKUQC",
        "title": "Added",
        "genres": "abc",
        "credits-TOTAL_FORMS": "1",
        "credits-INITIAL_FORMS": "0",
        "credits-0-artist": "abc",
        "credits-0-position": "0",
    }

    response = superuser_client.post("/admin/catalog/song/add/", form)

    assert response.status_code == 400
    assert not Song.objects.filter(title="Added").exists()


def test_delete_all_matching_is_refused_past_the_bound_and_deletes_nothing(superuser_client, monkeypatch):
    monkeypatch.setattr(admin_actions, "MAX_DELETE", 2)
    songs = SongFactory.create_batch(3)
    everything = {"action": "delete_selected", "select_across": "1", "_selected_action": [str(songs[0].pk)]}

    refused = superuser_client.post("/admin/catalog/song/", everything, follow=True)

    assert refused.status_code == 200
    assert "3 songs selected: delete at most 2 at once. Nothing was deleted." in refused.content.decode()
    assert Song.objects.count() == 3
    two = {"action": "delete_selected", "_selected_action": [str(s.pk) for s in songs[:2]]}
    confirm = superuser_client.post("/admin/catalog/song/", two)
    assert confirm.status_code == 200
    assert "Are you sure" in confirm.content.decode()
    superuser_client.post("/admin/catalog/song/", {**two, "post": "yes"})
    assert list(Song.objects.values_list("pk", flat=True)) == [songs[2].pk]
