"""The Django admin for songs and artists, used by a staff member."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from catalog.loading import songs_from_rows
from catalog.models import Song, SongFileLoad
from catalog.services.loading import song_upsert_many
from tests.catalog.builders import song_row
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def staff_browser(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_song", "change_song", "view_artist", "change_artist", "view_songartist"]
        )
    )
    assert client.login(username=staff.username, password=PASSWORD)
    return client


def test_staff_searches_songs_by_title_with_a_typo(staff_browser):
    believer = SongFactory(title="Believer")
    SongArtistFactory(song=believer, artist=ArtistFactory(name="Imagine Dragons"))
    SongFactory(title="Bad Romance")

    response = staff_browser.get("/admin/catalog/song/", {"q": "belever"})

    assert response.status_code == 200
    listed = list(response.context["cl"].result_list)
    assert listed == [believer]
    content = response.content.decode()
    assert "Imagine Dragons" in content
    assert "Bad Romance" not in content


def test_admin_search_keeps_relevance_order(staff_browser):
    SongFactory(title="The Bad Touch")
    SongFactory(title="Bad Romance")
    SongFactory(title="Bad")

    response = staff_browser.get("/admin/catalog/song/", {"q": "bad"})

    assert [s.title for s in response.context["cl"].result_list] == ["Bad", "Bad Romance", "The Bad Touch"]


def test_song_list_columns_and_filters(staff_browser):
    SongFactory(title="Minor Song", mode=0, key=3)
    SongFactory(title="Major Song", mode=1, key=5)

    response = staff_browser.get("/admin/catalog/song/", {"mode__exact": "0"})

    assert response.status_code == 200
    assert [s.title for s in response.context["cl"].result_list] == ["Minor Song"]
    content = response.content.decode()
    for column in ("artists", "average rating", "total ratings"):
        assert column in content.lower()
    keyed = staff_browser.get("/admin/catalog/song/", {"key": "5"})
    assert [s.title for s in keyed.context["cl"].result_list] == ["Major Song"]


def test_rating_aggregates_are_read_only_and_artists_inline(staff_browser):
    song = SongFactory(title="Editable")
    Song.objects.filter(pk=song.pk).update(average_rating=4.5, total_ratings=2)

    response = staff_browser.get(f"/admin/catalog/song/{song.pk}/change/")

    assert response.status_code == 200
    form = response.context["adminform"].form
    for aggregate in ("average_rating", "total_ratings", "rating_score"):
        assert aggregate not in form.fields
    assert "4.5" in response.content.decode()
    assert any(
        formset.opts.model.__name__ == "SongArtist" for formset in response.context["inline_admin_formsets"]
    )


def test_staff_searches_artists(staff_browser):
    ArtistFactory(name="Dua Lipa")
    ArtistFactory(name="Drake")

    response = staff_browser.get("/admin/catalog/artist/", {"q": "lipa"})

    assert [a.name for a in response.context["cl"].result_list] == ["Dua Lipa"]


def test_non_staff_cannot_open_the_admin(client):
    user = UserFactory()
    client.login(username=user.username, password=PASSWORD)
    response = client.get("/admin/catalog/song/")
    assert response.status_code == 302


def test_song_file_loads_are_listed_and_cannot_be_edited(client):
    song_upsert_many(songs=songs_from_rows([song_row(i) for i in range(3)]))
    load = SongFileLoad.objects.get()
    superuser = UserFactory(is_staff=True, is_superuser=True)
    assert client.login(username=superuser.username, password=PASSWORD)

    listed = client.get("/admin/catalog/songfileload/")
    assert listed.status_code == 200
    assert [(row.songs, row.created) for row in listed.context["cl"].result_list] == [(3, 3)]
    assert (
        client.get(f"/admin/catalog/songfileload/{load.pk}/change/").context["has_change_permission"] is False
    )
    assert client.post(f"/admin/catalog/songfileload/{load.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/catalog/songfileload/add/").status_code == 403
    assert SongFileLoad.objects.count() == 1
