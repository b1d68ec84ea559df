"""Rating services: the upsert, the recompute, the coalescing marks and the reconcile job."""

from __future__ import annotations

import json
import os

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from catalog.models import RATING_PRIOR_MEAN, RATING_PRIOR_WEIGHT, Rating, Song
from catalog.ratings import dirty_queue, services
from catalog.ratings.aggregates import song_ratings_recompute
from catalog.ratings.selectors import (
    song_ratings_stored,
    song_ratings_truth,
    songs_with_drifted_ratings,
)
from tests.catalog import ratings_worker
from tests.catalog.ratings_worker import free_port
from tests.factories import RatingFactory, SongFactory, UserFactory

pytestmark = pytest.mark.django_db

clean_rating_marks = ratings_worker.clean_rating_marks  # autouse: no Redis state leaks between tests


def redis_client():
    return dirty_queue.client()


def expected_aggregates(*, count: int, total: int) -> tuple[int, float, float]:
    """The formula, written out independently of the code under test (its oracle)."""
    average = total / count if count else 0.0
    return count, average, (RATING_PRIOR_WEIGHT * RATING_PRIOR_MEAN + total) / (RATING_PRIOR_WEIGHT + count)


def approx(aggregates):
    return pytest.approx(aggregates, rel=1e-12)


# ------------------------------------------------------------------------------
# Upsert and delete
# ------------------------------------------------------------------------------
def test_submit_creates_then_replaces(user):
    song = SongFactory()
    rating, created = services.rating_submit(user_id=user.pk, song_id=song.pk, score=2)
    assert created and rating.pk and rating.score == 2

    again, created = services.rating_submit(user_id=user.pk, song_id=song.pk, score=4)
    assert not created and again.pk == rating.pk
    assert again.created_at == rating.created_at and again.updated_at >= rating.updated_at
    assert Rating.objects.get().score == 4


def test_submit_unknown_song_raises_naming_song_and_stores_nothing(user):
    with pytest.raises(ValidationError) as excinfo:
        services.rating_submit(user_id=user.pk, song_id=123456, score=3)
    assert "song" in excinfo.value.message_dict
    assert not Rating.objects.exists()


def test_delete_reports_whether_there_was_a_rating(user):
    rating = RatingFactory(user=user)
    assert services.rating_delete(user_id=user.pk, song_id=rating.song_id) is True
    assert services.rating_delete(user_id=user.pk, song_id=rating.song_id) is False


def test_writes_recompute_after_commit_only(user, django_capture_on_commit_callbacks):
    song = SongFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.rating_submit(user_id=user.pk, song_id=song.pk, score=5)
    # Nothing is recomputed before the commit...
    assert song_ratings_stored(song_ids=[song.pk])[song.pk][0] == 0
    # Two: mark the song dirty, and tell that the user's signals changed.
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    # ...and the callback brings the song up to date.
    assert song_ratings_stored(song_ids=[song.pk])[song.pk][:2] == (1, 5.0)


# ------------------------------------------------------------------------------
# Recompute
# ------------------------------------------------------------------------------
def test_recompute_writes_absolute_values_and_is_idempotent():
    song = SongFactory()
    for score in (5, 5, 2):
        RatingFactory(song=song, score=score)
    Song.objects.filter(pk=song.pk).update(total_ratings=99, average_rating=1.0, rating_score=1.0)

    assert song_ratings_recompute(song_ids=[song.pk]) == 1
    expected = approx(expected_aggregates(count=3, total=12))
    assert song_ratings_stored(song_ids=[song.pk])[song.pk] == expected
    # A second run changes nothing and writes no row.
    assert song_ratings_recompute(song_ids=[song.pk, song.pk]) == 0
    assert song_ratings_stored(song_ids=[song.pk])[song.pk] == expected


def test_recompute_of_a_song_without_ratings_resets_to_the_prior():
    song = SongFactory()
    Song.objects.filter(pk=song.pk).update(total_ratings=3, average_rating=4.5, rating_score=4.0)

    song_ratings_recompute(song_ids=[song.pk, 987654])  # an unknown id is ignored

    assert song_ratings_stored(song_ids=[song.pk])[song.pk] == (0, 0.0, RATING_PRIOR_MEAN)


def test_rating_score_lets_many_good_votes_beat_one_lucky_five():
    lucky, loved = SongFactory(), SongFactory()
    RatingFactory(song=lucky, score=5)
    for _ in range(30):
        RatingFactory(song=loved, score=5)
    RatingFactory(song=loved, score=4)
    song_ratings_recompute(song_ids=[lucky.pk, loved.pk])

    stored = song_ratings_stored(song_ids=[lucky.pk, loved.pk])
    assert stored[lucky.pk][1] > stored[loved.pk][1]  # the plain average favours the lucky one
    assert stored[loved.pk][2] > stored[lucky.pk][2]  # the Bayesian score does not


def test_the_formula_as_the_database_computes_it():
    unrated, rated = SongFactory(), SongFactory()
    for score in (4, 5, 4, 5):
        RatingFactory(song=rated, score=score)
    truth = song_ratings_truth(song_ids=[unrated.pk, rated.pk])
    assert truth[unrated.pk] == (0, 0.0, RATING_PRIOR_MEAN)
    assert truth[rated.pk] == approx(expected_aggregates(count=4, total=18))
    assert truth[rated.pk][:2] == (4, 4.5)


# ------------------------------------------------------------------------------
# Reconcile
# ------------------------------------------------------------------------------
def test_reconcile_finds_and_repairs_every_kind_of_drift():
    stale, orphaned, unrecorded, fine = SongFactory.create_batch(4)
    for song in (stale, unrecorded, fine):
        RatingFactory(song=song, score=4)
    song_ratings_recompute(song_ids=[stale.pk, fine.pk])
    RatingFactory(song=stale, score=1)  # a rating whose recompute was lost
    Song.objects.filter(pk=orphaned.pk).update(total_ratings=2, average_rating=3.0, rating_score=3.0)
    # `unrecorded` has a rating but still shows the defaults: its mark was lost.

    assert songs_with_drifted_ratings() == sorted([stale.pk, orphaned.pk, unrecorded.pk])
    assert songs_with_drifted_ratings(limit=1) == [min(stale.pk, orphaned.pk, unrecorded.pk)]

    assert services.song_ratings_reconcile() == 3

    assert songs_with_drifted_ratings() == []
    ids = [stale.pk, orphaned.pk, unrecorded.pk, fine.pk]
    assert song_ratings_stored(song_ids=ids) == song_ratings_truth(song_ids=ids)
    assert services.song_ratings_reconcile() == 0


def test_reconcile_detects_a_subtly_wrong_average():
    song = SongFactory()
    RatingFactory(song=song, score=3)
    song_ratings_recompute(song_ids=[song.pk])
    Song.objects.filter(pk=song.pk).update(average_rating=3.0000001)
    assert songs_with_drifted_ratings() == [song.pk]


@pytest.mark.postgres
def test_the_drift_check_reads_the_rated_songs_not_the_catalog():
    """The drift check's own queries, run on a catalog large enough (and analyzed) for the
    planner to prefer reading the whole table if nothing better served them."""
    copy_songs(SongFactory(), 20_000)
    rated = list(Song.objects.order_by("?").values_list("pk", flat=True)[:40])
    users = UserFactory.create_batch(2)
    Rating.objects.bulk_create(
        [Rating(user=user, song_id=song_id, score=4) for user in users for song_id in rated]
    )
    song_ratings_recompute(song_ids=rated[:20])  # half counted, half still unrecorded
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_song")
        cursor.execute("ANALYZE catalog_rating")

    with CaptureQueriesContext(connection) as queries:
        assert songs_with_drifted_ratings() == sorted(rated[20:])
    for query in queries.captured_queries:
        assert songs_read(query["sql"]) < 500, query["sql"]


def songs_read(sql: str) -> int:
    """How many song rows a query really read (EXPLAIN ANALYZE): the rows its scans of the
    songs table returned or filtered out, over all their loops."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    read = 0
    nodes = [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        if node.get("Relation Name") == "catalog_song":
            read += (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
    return read


def copy_songs(template: Song, count: int) -> None:
    """`count` copies of `template` (PostgreSQL: one statement, every column copied)."""
    columns = [field.column for field in Song._meta.concrete_fields if not field.primary_key]
    copied = ", ".join("'plan' || g" if column == "spotify_id" else column for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO catalog_song ({', '.join(columns)}) SELECT {copied} "
            "FROM catalog_song, generate_series(1, %s) AS g WHERE id = %s",
            [count, template.pk],
        )


# ------------------------------------------------------------------------------
# Coalescing marks (Redis)
# ------------------------------------------------------------------------------
@pytest.mark.redis
@pytest.mark.real_celery
def test_many_marks_of_a_song_leave_one_dirty_entry_and_publish_one_flush():
    """Tasks are published, not run (no worker here): the broker's queue shows what was sent."""
    client = redis_client()
    client.delete("celery")
    try:
        for _ in range(50):
            services.song_ratings_mark_dirty(song_ids=[7])
        services.song_ratings_mark_dirty(song_ids=[8, 9])

        assert sorted(int(m) for m in client.zrange(dirty_queue.DIRTY_KEY, 0, -1)) == [7, 8, 9]
        assert client.llen("celery") == 1  # one flush published for 52 marks
        assert 0 < client.pttl(dirty_queue.FLUSH_FLAG_KEY) <= dirty_queue.FLUSH_FLAG_TTL_MS
    finally:
        client.delete("celery")


@pytest.mark.redis
@pytest.mark.real_celery
def test_a_flush_unmarks_what_it_recomputed_but_not_what_was_marked_again():
    first, second = SongFactory(), SongFactory()
    RatingFactory(song=first, score=5)
    RatingFactory(song=second, score=1)
    client = redis_client()
    try:
        services.song_ratings_mark_dirty(song_ids=[first.pk, second.pk])
        entries = dirty_queue.batch(client)
        assert sorted(int(member) for member, _ in entries) == [first.pk, second.pk]

        services.song_ratings_mark_dirty(song_ids=[second.pk])  # a vote lands mid-flush
        assert dirty_queue.forget(client, entries) == 1

        assert [int(m) for m in client.zrange(dirty_queue.DIRTY_KEY, 0, -1)] == [second.pk]
        assert services.song_ratings_flush() == 1
        assert client.zcard(dirty_queue.DIRTY_KEY) == 0
        assert songs_with_drifted_ratings() == [first.pk]  # only `second` was ever flushed
    finally:
        client.delete("celery")


@pytest.mark.redis
def test_flush_drains_the_dirty_set_and_clears_the_flag():
    songs = SongFactory.create_batch(3)
    for song in songs:
        RatingFactory(song=song, score=2)
    client = redis_client()
    client.zadd(dirty_queue.DIRTY_KEY, {str(song.pk): 1 for song in songs})
    client.set(dirty_queue.FLUSH_FLAG_KEY, "1")

    assert services.song_ratings_flush() == 3

    assert client.zcard(dirty_queue.DIRTY_KEY) == 0
    assert not client.exists(dirty_queue.FLUSH_FLAG_KEY)
    assert songs_with_drifted_ratings() == []


@pytest.mark.redis
def test_marking_while_redis_is_unreachable_is_logged_not_raised(settings, caplog):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": dead},
    }

    services.song_ratings_mark_dirty(song_ids=[1])

    assert "reconcile will repair" in caplog.text


def test_without_redis_the_recompute_runs_in_process(user, django_capture_on_commit_callbacks, settings):
    """The embedded default: no Redis, Celery eager; the same task runs inside the request."""
    settings.REDIS_URL = ""
    song = SongFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.rating_submit(user_id=user.pk, song_id=song.pk, score=3)
    assert song_ratings_stored(song_ids=[song.pk])[song.pk][:2] == (1, 3.0)


# ------------------------------------------------------------------------------
# Property: any sequence of upserts and deletes ends with aggregates == truth
# ------------------------------------------------------------------------------
operation = st.tuples(
    st.sampled_from(["rate", "rate", "rate", "delete"]),
    st.integers(min_value=0, max_value=3),  # which user
    st.integers(min_value=0, max_value=2),  # which song
    st.integers(min_value=1, max_value=5),  # score
)


@pytest.fixture
def cast():
    return UserFactory.create_batch(4), SongFactory.create_batch(3)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=st.lists(operation, max_size=25))
def test_any_sequence_of_writes_ends_with_aggregates_equal_to_truth(
    cast, django_capture_on_commit_callbacks, operations
):
    users, songs = cast
    song_ids = [song.pk for song in songs]
    Rating.objects.all().delete()
    song_ratings_recompute(song_ids=song_ids)
    model = {}

    for action, user_index, song_index, score in operations:
        user_id, song_id = users[user_index].pk, song_ids[song_index]
        with django_capture_on_commit_callbacks(execute=True):
            if action == "rate":
                _rating, created = services.rating_submit(user_id=user_id, song_id=song_id, score=score)
                assert created == ((user_id, song_id) not in model)
                model[(user_id, song_id)] = score
            else:
                deleted = services.rating_delete(user_id=user_id, song_id=song_id)
                assert deleted == ((user_id, song_id) in model)
                model.pop((user_id, song_id), None)

    truth = song_ratings_truth(song_ids=song_ids)
    for song_id in song_ids:
        scores = [score for (_user, rated), score in model.items() if rated == song_id]
        assert truth[song_id] == approx(expected_aggregates(count=len(scores), total=sum(scores)))
    assert song_ratings_stored(song_ids=song_ids) == truth
    assert songs_with_drifted_ratings() == []


def test_the_beat_runs_reconcile_every_minute_by_default():
    from music_discovery.celery import app

    # What a worker and beat do at startup: import every app's tasks module (autodiscovery).
    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["ratings-reconcile"]
    assert entry["task"] in app.tasks
    assert app.tasks[entry["task"]].name == "catalog.ratings_reconcile"
    assert (
        0 < entry["options"]["expires"] < entry["schedule"] <= 60 or "RATINGS_RECONCILE_SECONDS" in os.environ
    )


@pytest.mark.django_db
def test_rating_writes_tell_that_the_users_signals_changed(
    django_capture_on_commit_callbacks, signals_received
):
    user, song = UserFactory(), SongFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.rating_submit(user_id=user.id, song_id=song.id, score=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.rating_delete(user_id=user.id, song_id=song.id)
    with django_capture_on_commit_callbacks(execute=True):
        # Nothing to delete: nothing changed.
        services.rating_delete(user_id=user.id, song_id=song.id)

    assert signals_received == [user.id, user.id]


@pytest.mark.redis
def test_reconcile_warns_only_of_drift_that_no_vote_marked(caplog):
    """Under load many songs wait a fraction of a second for their recompute: reconcile
    repairs them all, but only a song no vote had marked is drift worth a warning."""
    waiting, lost = SongFactory(), SongFactory()
    RatingFactory(song=waiting, score=4)  # written past the service: both songs drift
    RatingFactory(song=lost, score=2)
    dirty_queue.mark(dirty_queue.client(), [waiting.pk])

    with caplog.at_level("INFO", logger="catalog.ratings.services"):
        assert services.song_ratings_reconcile() == 2

    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert warnings == ["ratings: reconcile repaired 1 songs"]
    assert not songs_with_drifted_ratings()
