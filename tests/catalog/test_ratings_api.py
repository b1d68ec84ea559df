"""The ratings endpoints: every row of the contract and every way to get it wrong."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import psycopg
import pytest
from django.db import connection

from catalog.models import RATING_PRIOR_MEAN, Rating, Song
from catalog.ratings.selectors import song_ratings_stored, song_ratings_truth, songs_with_drifted_ratings
from tests.catalog import ratings_worker
from tests.factories import RatingFactory, SongFactory

URL = "/api/ratings/"

pytestmark = pytest.mark.django_db

clean_rating_marks = ratings_worker.clean_rating_marks  # autouse: no Redis state leaks between tests


@pytest.fixture
def song():
    return SongFactory()


def post(client, body, capture=None):
    if capture is None:
        return client.post(URL, body, format="json")
    with capture(execute=True):
        return client.post(URL, body, format="json")


def aggregates(song_id):
    return Song.objects.values_list("total_ratings", "average_rating", "rating_score").get(pk=song_id)


# ------------------------------------------------------------------------------
# POST: create, replace
# ------------------------------------------------------------------------------
def test_first_rating_is_created_and_aggregated(auth_client, song, django_capture_on_commit_callbacks):
    response = post(auth_client, {"song": song.pk, "score": 4}, django_capture_on_commit_callbacks)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"song", "score", "created_at", "updated_at"}
    assert body["song"] == song.pk and body["score"] == 4
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    rating = Rating.objects.get(user=auth_client.user, song=song)
    assert rating.score == 4
    assert aggregates(song.pk) == (1, 4.0, (10 * RATING_PRIOR_MEAN + 4) / 11)


def test_a_first_rating_answers_its_location_which_shows_it(auth_client, song):
    response = post(auth_client, {"song": song.pk, "score": 4})

    assert response.status_code == 201
    assert response["Location"] == f"http://testserver{URL}{song.pk}/"
    shown = auth_client.get(response["Location"])
    assert shown.status_code == 200
    assert shown.json() == response.json()
    assert not post(auth_client, {"song": song.pk, "score": 5}).has_header("Location")  # a 200


def test_reading_a_rating_the_caller_does_not_have_is_404(auth_client, song):
    RatingFactory(song=song, score=2)  # someone else's
    for path in (f"{song.pk}/", "99999999999999999999999/"):
        response = auth_client.get(f"{URL}{path}")
        assert response.status_code == 404
        assert response.json() == {"detail": "You have not rated this song."}


def test_rating_again_replaces_the_score_with_200(auth_client, song, django_capture_on_commit_callbacks):
    first = post(auth_client, {"song": song.pk, "score": 2}, django_capture_on_commit_callbacks).json()
    time.sleep(0.01)
    response = post(auth_client, {"song": song.pk, "score": 5}, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    body = response.json()
    assert body["score"] == 5
    assert body["created_at"] == first["created_at"]
    assert datetime.fromisoformat(body["updated_at"]) > datetime.fromisoformat(first["updated_at"])
    assert Rating.objects.filter(song=song).count() == 1
    assert aggregates(song.pk)[:2] == (1, 5.0)


def test_same_score_twice_is_200_and_one_row(auth_client, song):
    assert post(auth_client, {"song": song.pk, "score": 3}).status_code == 201
    assert post(auth_client, {"song": song.pk, "score": 3}).status_code == 200
    assert Rating.objects.filter(song=song).count() == 1


def test_other_users_ratings_are_untouched(make_auth_client, song, django_capture_on_commit_callbacks):
    theirs = RatingFactory(song=song, score=1)
    mine = make_auth_client()

    post(mine, {"song": song.pk, "score": 5}, django_capture_on_commit_callbacks)

    theirs.refresh_from_db()
    assert theirs.score == 1
    assert aggregates(song.pk)[:2] == (2, 3.0)


def test_aggregates_of_several_users(make_auth_client, song, django_capture_on_commit_callbacks):
    for score in (5, 4, 4, 1):
        post(make_auth_client(), {"song": song.pk, "score": score}, django_capture_on_commit_callbacks)
    assert aggregates(song.pk) == song_ratings_truth(song_ids=[song.pk])[song.pk]
    assert aggregates(song.pk)[:2] == (4, 3.5)


# ------------------------------------------------------------------------------
# POST: validation
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("score", ["5", 3.5, 3.0, True, False, 0, 6, -1, None, [4], {"v": 4}, "", 10**30])
def test_score_must_be_an_integer_from_1_to_5(auth_client, song, score):
    response = post(auth_client, {"song": song.pk, "score": score})

    assert response.status_code == 400
    assert "score" in response.json()
    assert not Rating.objects.exists()


@pytest.mark.parametrize("song_id", [999_999, 0, -3, "abc", True, None, 2**63, 10**40, [1], 1.5, 1.0, "1"])
def test_song_must_name_an_existing_song(auth_client, song_id):
    SongFactory()
    response = post(auth_client, {"song": song_id, "score": 4})

    assert response.status_code == 400
    assert "song" in response.json()
    assert not Rating.objects.exists()


def test_unknown_song_message_names_it(auth_client):
    response = post(auth_client, {"song": 424242, "score": 4})
    assert response.json() == {"song": ["Song 424242 does not exist."]}


@pytest.mark.parametrize(
    "body, fields",
    [({}, {"song", "score"}), ({"score": 3}, {"song"}), ({"song": 1}, {"score"})],
)
def test_missing_fields_are_named(auth_client, song, body, fields):
    response = post(auth_client, body)
    assert response.status_code == 400
    assert set(response.json()) == fields


@pytest.mark.parametrize("raw", ['{"song": 1, "score": ', "not json", "[1, 2]", '"text"', "null", "5"])
def test_malformed_or_non_object_json_is_400(auth_client, song, raw):
    response = auth_client.post(URL, raw, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert not Rating.objects.exists()


def test_a_form_body_is_415(auth_client, song):
    response = auth_client.post(URL, {"song": song.pk, "score": 4})  # multipart
    assert response.status_code == 415
    assert not Rating.objects.exists()


def test_anonymous_gets_401_everywhere(api_client, song):
    assert api_client.post(URL, {"song": song.pk, "score": 4}, format="json").status_code == 401
    assert api_client.get(URL).status_code == 401
    assert api_client.delete(f"{URL}{song.pk}/").status_code == 401
    assert not Rating.objects.exists()


def test_deactivated_or_deleted_user_with_a_valid_token_gets_401(make_auth_client, song):
    client = make_auth_client()
    client.user.is_active = False
    client.user.save()

    response = post(client, {"song": song.pk, "score": 4})
    assert response.status_code == 401
    assert client.get(URL).status_code == 401
    assert client.delete(f"{URL}{song.pk}/").status_code == 401

    client.user.delete()
    assert post(client, {"song": song.pk, "score": 4}).status_code == 401
    assert not Rating.objects.exists()


def test_session_login_can_rate_too(client, user, song):
    client.force_login(user)
    response = client.post(URL, {"song": song.pk, "score": 4}, content_type="application/json")
    assert response.status_code == 201
    assert Rating.objects.get().user_id == user.pk


def test_invalid_token_gets_401(api_client, song):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api_client.post(URL, {"song": song.pk, "score": 4}, format="json").status_code == 401


# ------------------------------------------------------------------------------
# GET
# ------------------------------------------------------------------------------
def test_list_shows_only_the_callers_ratings_newest_first(auth_client):
    older = RatingFactory(user=auth_client.user, score=2)
    newer = RatingFactory(user=auth_client.user, score=5)
    RatingFactory(score=1)  # someone else's
    Rating.objects.filter(pk=older.pk).update(updated_at=newer.updated_at.replace(year=2020))

    response = auth_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [r["song"] for r in body["results"]] == [newer.song_id, older.song_id]
    assert set(body["results"][0]) == {"song", "score", "created_at", "updated_at"}


def test_list_is_paginated_and_page_size_is_capped(auth_client):
    songs = SongFactory.create_batch(3)
    for song in songs:
        RatingFactory(user=auth_client.user, song=song)

    page = auth_client.get(URL, {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert len(auth_client.get(URL, {"page_size": 1000}).json()["results"]) == 3
    assert auth_client.get(URL, {"page": 99}).status_code == 404


def test_empty_list(auth_client):
    assert auth_client.get(URL).json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_song_narrows_the_list_to_the_callers_rating_of_that_song(auth_client, song):
    mine = RatingFactory(user=auth_client.user, song=song, score=4)
    RatingFactory(user=auth_client.user, score=2)  # another song
    RatingFactory(song=song, score=1)  # someone else's rating of the same song

    body = auth_client.get(URL, {"song": song.pk}).json()
    assert body["count"] == 1
    assert [(r["song"], r["score"]) for r in body["results"]] == [(mine.song_id, 4)]
    assert auth_client.get(URL, {"song": SongFactory().pk}).json()["count"] == 0
    assert auth_client.get(URL, {"song": 987654321}).json()["count"] == 0
    assert auth_client.get(URL, {"song": ""}).json()["count"] == 2  # empty: no filter


@pytest.mark.parametrize(
    "value", ["abc", "0", "-1", "1.5", "99999999999999999999999", "1e3", "5.0", "+5", " 5", "\uff15"]
)
def test_song_filter_with_a_bad_value_is_400_naming_it(auth_client, value):
    response = auth_client.get(URL, {"song": value})
    assert response.status_code == 400
    assert set(response.json()) == {"song"}


# ------------------------------------------------------------------------------
# DELETE
# ------------------------------------------------------------------------------
def test_delete_removes_the_callers_rating(auth_client, song, django_capture_on_commit_callbacks):
    post(auth_client, {"song": song.pk, "score": 5}, django_capture_on_commit_callbacks)
    assert aggregates(song.pk)[0] == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"{URL}{song.pk}/")

    assert response.status_code == 204
    assert not Rating.objects.exists()
    assert aggregates(song.pk) == (0, 0.0, RATING_PRIOR_MEAN)


def test_delete_without_a_rating_is_404(auth_client, song):
    response = auth_client.delete(f"{URL}{song.pk}/")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_delete_never_touches_another_users_rating(auth_client, song):
    theirs = RatingFactory(song=song, score=2)

    assert auth_client.delete(f"{URL}{song.pk}/").status_code == 404
    assert Rating.objects.filter(pk=theirs.pk, score=2).exists()


@pytest.mark.parametrize("path", ["99999999999999999999999/", "-1/", "abc/", "1.5/"])
def test_delete_with_an_impossible_id_is_404(auth_client, path):
    response = auth_client.delete(f"{URL}{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_other_methods_are_405(auth_client, song):
    assert auth_client.put(URL, {"song": song.pk, "score": 3}, format="json").status_code == 405
    assert auth_client.put(f"{URL}{song.pk}/", {"score": 3}, format="json").status_code == 405
    assert auth_client.patch(f"{URL}{song.pk}/", {"score": 3}, format="json").status_code == 405


# ------------------------------------------------------------------------------
# Schema
# ------------------------------------------------------------------------------
def test_schema_documents_the_ratings_endpoints(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    post_op = schema["paths"]["/api/ratings/"]["post"]
    assert {"200", "201", "400"} <= set(post_op["responses"])
    assert "204" in schema["paths"]["/api/ratings/{song_id}/"]["delete"]["responses"]
    request_schema = post_op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    score = schema["components"]["schemas"][request_schema]["properties"]["score"]
    assert score["type"] == "integer" and score["minimum"] == 1 and score["maximum"] == 5


def test_schema_describes_ratings_for_clients_and_lists_only_possible_errors(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    assert schema["components"]["schemas"]["Rating"]["description"] == "The caller's rating of a song."
    operations = {
        **schema["paths"]["/api/ratings/"],
        **{
            f"{method} detail": operation
            for method, operation in schema["paths"]["/api/ratings/{song_id}/"].items()
        },
    }
    errors = {name: {code for code in op["responses"] if code >= "400"} for name, op in operations.items()}
    # 403: a session request without its CSRF token (unsafe methods only); 404: an unknown
    # rating or a page past the end, never a vote; 400 on any request (a refused Host), 406
    # too (content negotiation); 413 and 415 where a body is read.
    assert errors == {
        "get": {"400", "401", "404", "406", "429"},
        "post": {"400", "401", "403", "406", "413", "415", "429"},
        "get detail": {"400", "401", "404", "406", "429"},
        "delete detail": {"400", "401", "403", "404", "406", "429"},
    }
    list_song = next(p for p in operations["get"]["parameters"] if p["name"] == "song")
    assert list_song["in"] == "query" and list_song["schema"]["type"] == "integer"
    assert "Location" in operations["post"]["responses"]["201"]["headers"]


# ------------------------------------------------------------------------------
# A song deleted while it is being rated
# ------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_song_deleted_concurrently_is_400_not_500(make_auth_client):
    song = SongFactory()
    client = make_auth_client()
    db = connection.settings_dict
    deleter = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"], dbname=db["NAME"]
    )
    # The song is deleted but not yet committed: the rating's insert still sees it, and its
    # foreign key check at commit waits for this transaction, then finds the song gone.
    deleter.execute("DELETE FROM catalog_song WHERE id = %s", [song.pk])
    result = {}

    def rate():
        try:
            result["response"] = post(client, {"song": song.pk, "score": 4})
        finally:
            connection.close()

    thread = threading.Thread(target=rate)
    thread.start()
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = %s"
    for _ in range(100):
        with psycopg.connect(
            host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"], dbname=db["NAME"]
        ) as probe:
            if probe.execute(waiting, [db["NAME"]]).fetchone()[0]:
                break
        time.sleep(0.05)
    deleter.commit()
    deleter.close()
    thread.join(timeout=10)

    response = result["response"]
    assert response.status_code == 400
    assert response.json() == {"song": [f"Song {song.pk} does not exist."]}
    assert not Rating.objects.exists()
    assert songs_with_drifted_ratings() == []
    assert song_ratings_stored(song_ids=[song.pk]) == {}


@pytest.mark.django_db(transaction=True)
def test_upsert_really_commits_and_aggregates(make_auth_client):
    """Outside the test transaction: on_commit runs for real, on both databases."""
    song = SongFactory()
    for score in (1, 2):
        assert post(make_auth_client(), {"song": song.pk, "score": score}).status_code == 201
    assert aggregates(song.pk)[:2] == (2, 1.5)
    assert songs_with_drifted_ratings() == []
