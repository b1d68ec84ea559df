"""The search word lists (titles' and artist names' words with their frequencies), kept by
triggers on PostgreSQL and rebuilt by `search_index_refresh`."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.models import Artist, Song
from tests.factories import ArtistFactory, SongFactory

pytestmark = pytest.mark.django_db


def _words(table: str = "catalog_searchword") -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return dict(cursor.fetchall())


@pytest.mark.postgres
def test_word_list_follows_inserts_updates_and_deletes():
    first = SongFactory(title="Golden Hour")
    SongFactory(title="Golden Golden Sky")
    assert _words() == {"golden": 3, "hour": 1, "sky": 1}

    first.title = "Silver Hour"
    first.save()
    assert _words() == {"golden": 2, "silver": 1, "hour": 1, "sky": 1}

    # Rating aggregates change without touching titles: the list stays as it is.
    Song.objects.update(total_ratings=3)
    assert _words() == {"golden": 2, "silver": 1, "hour": 1, "sky": 1}

    first.delete()
    assert _words() == {"golden": 2, "sky": 1}

    Song.objects.bulk_create([SongFactory.build(title="Sky High"), SongFactory.build(title="HIGH")])
    assert _words() == {"golden": 2, "sky": 2, "high": 2}


@pytest.mark.postgres
def test_artist_word_list_follows_inserts_updates_and_deletes():
    ed = ArtistFactory(name="Ed Sheeran")
    ArtistFactory(name="Sheeran-Sheeran Band")
    assert _words("catalog_artistword") == {"ed": 1, "sheeran": 3, "band": 1}

    ed.name = "Ed Sullivan"
    ed.save()
    assert _words("catalog_artistword") == {"ed": 1, "sullivan": 1, "sheeran": 2, "band": 1}

    Artist.objects.update(spotify_id=None)
    assert _words("catalog_artistword") == {"ed": 1, "sullivan": 1, "sheeran": 2, "band": 1}

    ed.delete()
    assert _words("catalog_artistword") == {"sheeran": 2, "band": 1}


@pytest.mark.postgres
def test_a_word_added_in_bulk_is_corrected_to(api_client):
    Song.objects.bulk_create([SongFactory.build(title="Thunderstruck"), SongFactory.build(title="Other")])
    response = api_client.get("/api/songs/", {"search": "thunderstrck"})
    assert [song["title"] for song in response.json()["results"]] == ["Thunderstruck"]


@pytest.mark.postgres
def test_refresh_rebuild_restores_a_damaged_word_list():
    from catalog.services.search_index import search_index_refresh

    SongFactory(title="Midnight City")
    ArtistFactory(name="M83")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_searchword SET ndoc = 99")
        cursor.execute("INSERT INTO catalog_searchword VALUES ('stale', 1)")
        cursor.execute("DELETE FROM catalog_artistword")

    search_index_refresh()
    assert _words()["city"] == 99

    search_index_refresh(rebuild=True)
    assert _words() == {"midnight": 1, "city": 1}
    assert _words("catalog_artistword") == {"m83": 1}


def test_refresh_is_harmless_everywhere():
    from catalog.services.search_index import search_index_refresh

    SongFactory.create_batch(3)
    search_index_refresh()
    assert Song.objects.count() == 3
