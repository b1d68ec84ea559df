"""Where events live: monthly partitions on PostgreSQL, retention, concurrent retries."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from analytics import partitions
from analytics.events_in import BatchError, parse_batch
from analytics.models import Action, Activity, ActivityKey
from analytics.services import EventIn, activity_record
from analytics.services.retention import partitions_maintain
from analytics.tasks import partitions_maintain_task
from tests.factories import SongFactory, UserFactory


def _event(song, at, event_id=None):
    return EventIn(song_id=song.id, action=Action.PLAY, occurred_at=at, event_id=event_id)


@pytest.fixture(autouse=True)
def _forget_partitions():
    # Tables made in one test's transaction are gone in the next.
    partitions.forget_known()
    yield
    partitions.forget_known()


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_event_years_old_gets_its_months_partition():
    user, song = UserFactory(), SongFactory()
    at = dt.datetime(2019, 3, 14, 15, 9, tzinfo=dt.UTC)

    activity_record(user_id=user.id, events=[_event(song, at)])

    assert (2019, 3) in partitions.existing_months()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM analytics_activity_201903")
        assert cursor.fetchone()[0] == 1
    assert Activity.objects.get().occurred_at == at


@pytest.mark.postgres
@pytest.mark.django_db
def test_maintenance_creates_the_coming_months_and_drops_whole_months_past_retention(settings):
    settings.ANALYTICS_RETENTION_MONTHS = 3
    user, song = UserFactory(), SongFactory()
    now = dt.datetime(2026, 12, 10, tzinfo=dt.UTC)
    old = dt.datetime(2026, 8, 31, 23, 0, tzinfo=dt.UTC)
    kept = dt.datetime(2026, 9, 1, 0, 0, tzinfo=dt.UTC)
    activity_record(user_id=user.id, events=[_event(song, old, "old"), _event(song, kept, "kept")])

    done = partitions_maintain(now=now)

    months = partitions.existing_months()
    assert (2027, 2) in months
    assert (2026, 8) not in months
    assert done.dropped == ["analytics_activity_202608"]
    assert list(Activity.objects.values_list("event_id", flat=True)) == ["kept"]
    assert list(ActivityKey.objects.values_list("event_id", flat=True)) == ["kept"]
    # Idempotent.
    assert partitions_maintain(now=now).dropped == []


@pytest.mark.django_db
def test_retention_forgets_old_events_on_any_database(settings):
    settings.ANALYTICS_RETENTION_MONTHS = 1
    user, song = UserFactory(), SongFactory()
    now = timezone.now()
    activity_record(
        user_id=user.id,
        events=[_event(song, now - dt.timedelta(days=70), "old"), _event(song, now, "new")],
    )

    partitions_maintain_task.delay()

    assert list(Activity.objects.values_list("event_id", flat=True)) == ["new"]
    assert list(ActivityKey.objects.values_list("event_id", flat=True)) == ["new"]


@pytest.mark.django_db
def test_no_retention_keeps_everything(settings):
    settings.ANALYTICS_RETENTION_MONTHS = 0
    user, song = UserFactory(), SongFactory()
    activity_record(user_id=user.id, events=[_event(song, timezone.now() - dt.timedelta(days=900))])

    partitions_maintain()

    assert Activity.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_batch_store_it_once():
    user, song = UserFactory(), SongFactory()
    now = timezone.now()
    batch = [_event(song, now, f"e{i}") for i in range(50)]
    start = threading.Barrier(4)
    results = []

    def send():
        try:
            start.wait()
            results.append(activity_record(user_id=user.id, events=batch))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Activity.objects.count() == 50
    assert sum(r.stored for r in results) == 50
    assert sum(r.duplicates for r in results) == 150


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_into_months_without_a_partition_all_succeed():
    """Imports of old histories by several users at once each create the months they need."""
    months = [(2004, month) for month in range(1, 13)]
    start = threading.Barrier(8)
    errors = []

    def create():
        try:
            start.wait()
            partitions.ensure_months(months)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    try:
        assert errors == []
        assert set(months) <= set(partitions.existing_months())
    finally:
        # Tables outlive a transactional test: another test's retention would drop them.
        with connection.cursor() as cursor:
            for month in months:
                cursor.execute(f"DROP TABLE IF EXISTS {partitions.partition_name(month)}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_of_the_same_keys_in_opposite_orders_store_them_once():
    """Clients retrying a batch in another order: one user's claims of the same keys must
    not deadlock each other."""
    user, song = UserFactory(), SongFactory()
    now = timezone.now()
    results, errors = [], []

    def send(start, events):
        try:
            # Connected before the start, so that the claims overlap.
            connection.ensure_connection()
            start.wait()
            results.append(activity_record(user_id=user.id, events=events))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    # Rounds of fresh keys: a round whose claims happen not to overlap cannot deadlock.
    for round_ in range(3):
        batch = [_event(song, now, f"{round_}-{i:03d}") for i in range(500)]
        start = threading.Barrier(12)
        threads = [
            threading.Thread(target=send, args=(start, batch[:: 1 if i % 2 else -1])) for i in range(12)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert Activity.objects.count() == 1500
    assert sum(r.stored for r in results) == 1500


@pytest.mark.django_db
def test_an_event_before_the_first_month_kept_is_refused_even_within_30_days(settings):
    settings.ANALYTICS_RETENTION_MONTHS = 1
    song = SongFactory()
    now = dt.datetime(2027, 3, 1, 0, 30, tzinfo=dt.UTC)  # the first month kept: February

    with pytest.raises(BatchError) as refused:
        parse_batch({"song": song.id, "action": "play", "occurred_at": "2027-01-30T12:00:00Z"}, now=now)
    kept = parse_batch({"song": song.id, "action": "play", "occurred_at": "2027-02-01T00:00:00Z"}, now=now)

    assert (refused.value.field, refused.value.message) == (
        "occurred_at",
        "Before the first month kept (ANALYTICS_RETENTION_MONTHS).",
    )
    assert kept[0].occurred_at == dt.datetime(2027, 2, 1, tzinfo=dt.UTC)
