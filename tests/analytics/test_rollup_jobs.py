"""The rollup jobs as they run: the rebuild command, the beat's tasks, what ingest leaves to
them on each setup, and the rollup tables' keys."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from analytics.models import Action, PendingRollup, SongDay, UserSong
from analytics.services.rollups import rollups_catch_up
from analytics.tasks import rollups_refresh_task, user_rollups_refresh_task
from tests.analytics.builders import today_at
from tests.factories import SongFactory, UserFactory


def test_rebuild_command(record, capsys):
    ann, one = UserFactory(), SongFactory()
    record(ann, one, "like", times=2)

    call_command("analytics_rebuild", "--since", today_at().date().isoformat())

    assert SongDay.objects.get(song=one).likes == 2
    assert "1 song-days" in capsys.readouterr().out
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("analytics_rebuild", "--since", "last week")


def test_the_tasks_apply_pending_counts_each_its_stage(record, settings):
    ann, one = UserFactory(), SongFactory()
    record(ann, one, "share")

    assert rollups_refresh_task.delay().get() == 1
    assert SongDay.objects.get(song=one).shares == 1
    assert not UserSong.objects.exists()
    assert user_rollups_refresh_task.delay().get() == 1
    assert UserSong.objects.get(user=ann, song=one).shares == 1
    assert user_rollups_refresh_task.delay().get() == 0
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["analytics.user_rollups_refresh"] == settings.ANALYTICS_USER_ROLLUP_SECONDS


def test_on_the_embedded_default_ingest_refreshes_after_commit(
    record, settings, django_capture_on_commit_callbacks
):
    ann, one = UserFactory(), SongFactory()
    settings.REDIS_URL = ""

    with django_capture_on_commit_callbacks(execute=True):
        record(ann, one, "play", times=2)

    assert not PendingRollup.objects.exists()
    assert SongDay.objects.get(song=one).plays == 2


def test_with_redis_ingest_leaves_the_work_to_beat(record, settings, django_capture_on_commit_callbacks):
    ann, one = UserFactory(), SongFactory()
    settings.REDIS_URL = "redis://127.0.0.1:6379/3"

    with django_capture_on_commit_callbacks(execute=True):
        record(ann, one, "play")

    assert PendingRollup.objects.get().action == Action.PLAY
    assert not SongDay.objects.exists()
    assert rollups_catch_up() == 1


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("analytics_songday", ["day", "song_id"]),
        ("analytics_usermonth", ["user_id", "month"]),
        ("analytics_usersong", ["user_id", "song_id"]),
        ("analytics_userartist", ["user_id", "artist_id"]),
        ("analytics_usergenre", ["user_id", "genre_id"]),
    ],
)
def test_each_rollup_tables_key_is_its_unique_key_and_no_index_is_idle(db, table, key):
    """A refresh's cost is the B-trees each row goes into (bench/README.md, "Analytics"):
    no surrogate `id` index, and a per-user table's key leads with the user, whose rows a
    refresh's pending rows come in groups of."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.indisprimary, array_agg(a.attname ORDER BY k.n)
            FROM pg_index i JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = %s::regclass GROUP BY i.indexrelid, i.indisprimary""",
            [table],
        )
        indexes = cursor.fetchall()

    assert [columns for primary, columns in indexes if primary] == [key]
    assert not [columns for _, columns in indexes if columns[0] == "id"]
