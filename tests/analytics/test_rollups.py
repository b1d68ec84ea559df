"""The rollup job: every committed event counted exactly once, whatever its day and however
runs overlap; a rebuild from the events gives what the incremental job gave."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from analytics.models import (
    Action,
    FillState,
    PendingRollup,
    PendingUserRollup,
    SongDay,
    SongTotal,
    UserArtist,
    UserGenre,
    UserMonth,
    UserSong,
    day_bit,
    days_of,
    month_start,
)
from analytics.selectors import user_song_signals
from analytics.services import rollups as rollups_service
from analytics.services import rollups_merge
from analytics.services.rollups import (
    days_refresh,
    fill_state_get_or_create,
    fill_state_lock,
    rollups_refresh,
    user_rollups_refresh,
)
from analytics.services.rollups_rebuild import rollups_rebuild
from tests.analytics.builders import rollups, scores_kept, song_days_summed, today_at, tops_recounted
from tests.factories import ArtistFactory, GenreFactory, SongArtistFactory, SongFactory, UserFactory


@pytest.fixture(params=["portable", "sql"])
def apply_path(request, monkeypatch):
    """Runs a test with each way of applying pending rows (the SQL one on PostgreSQL only)."""
    if request.param == "sql" and connection.vendor != "postgresql":
        pytest.skip("the single-statement path is PostgreSQL's")
    monkeypatch.setattr(rollups_service, "use_sql", lambda: request.param == "sql")
    return request.param


@pytest.fixture
def people(db):
    """Two users, three songs: X is credited on one and two, Y on two and three; one is
    rock, two rock and pop, three has no genre."""
    songs = one, two, three = SongFactory.create_batch(3)
    x, y = ArtistFactory(), ArtistFactory()
    for position, (song, artist) in enumerate(((one, x), (two, x), (two, y), (three, y))):
        SongArtistFactory(song=song, artist=artist, position=position)
    rock, pop = GenreFactory(name="rock"), GenreFactory(name="pop")
    one.genres.set([rock])
    two.genres.set([rock, pop])
    return UserFactory.create_batch(2), songs


def _history(record, people) -> None:
    """Events over several days, users, songs and actions, some of them late."""
    (ann, bob), (one, two, three) = people
    record(ann, one, "play", times=3)
    record(ann, one, "like")
    record(ann, two, "skip", at=today_at(days_ago=1))
    record(bob, one, "share", at=today_at(hour=5, days_ago=1))
    record(bob, three, "play", times=2, at=today_at(days_ago=20))
    record(bob, three, "play", at=today_at(hour=7, days_ago=20))


def test_refresh_adds_each_event_once(record, people, apply_path):
    (ann, bob), (one, two, three) = people
    _history(record, people)

    done = rollups_refresh()

    assert (done.applied, done.more, done.skipped) == (6, False, False)
    assert not PendingRollup.objects.exists()
    today = today_at().date()
    assert SongDay.objects.get(day=today, song=one).plays == 3
    assert SongDay.objects.get(day=today, song=one).likes == 1
    assert SongDay.objects.get(day=today - dt.timedelta(days=20), song=three).plays == 3
    old_day, yesterday = today - dt.timedelta(days=20), today - dt.timedelta(days=1)
    bob_old = UserMonth.objects.get(user=bob, month=month_start(old_day))
    assert (bob_old.plays, bob_old.listen_ms) == (3, 3 * three.duration_ms)
    bob_months = UserMonth.objects.filter(user=bob)
    assert sorted(day for row in bob_months for day in days_of(row.month, row.days)) == [old_day, yesterday]
    assert max(row.last_at for row in bob_months) == today_at(hour=5, days_ago=1)
    ann_one = UserSong.objects.get(user=ann, song=one)
    assert (ann_one.plays, ann_one.likes, ann_one.skips, ann_one.shares) == (3, 1, 0, 0)
    assert UserSong.objects.get(user=ann, song=two).skips == 1
    state = FillState.objects.get(name="rollups")
    assert (state.last_applied, state.total_applied) == (6, 6)

    before = rollups()
    again = rollups_refresh()

    assert again.applied == 0
    assert rollups() == before
    assert FillState.objects.get(name="rollups").total_applied == 6


def test_refresh_keeps_scores_and_each_users_artists_and_genres_exact(record, people, apply_path):
    (ann, bob), (one, two, three) = people
    _history(record, people)
    rollups_refresh()
    # Onto rows that exist (updates) and new ones (inserts).
    record(ann, two, "share", times=2)
    record(ann, three, "like")
    record(bob, two, "skip", times=3)
    rollups_refresh()

    assert scores_kept()
    tops = rollups()
    assert {name: tops[name] for name in ("user_artists", "user_genres")} == tops_recounted()
    assert tops["song_totals"] == song_days_summed()
    # Ann: one 3 plays + 1 like (6), two 1 skip + 2 shares (6), three 1 like (3).
    scores = dict(UserSong.objects.filter(user=ann).values_list("song_id", "score"))
    assert scores == {one.id: 6, two.id: 6, three.id: 3}
    x, y = (credit.artist for credit in two.credits.order_by("position"))
    ann_x = UserArtist.objects.get(user=ann, artist=x)
    assert (ann_x.plays, ann_x.likes, ann_x.skips, ann_x.shares, ann_x.score) == (3, 1, 1, 2, 12)
    assert UserArtist.objects.get(user=ann, artist=y).score == 9
    assert UserGenre.objects.get(user=ann, genre__name="rock").score == 12
    assert UserGenre.objects.get(user=ann, genre__name="pop").score == 6
    assert UserSong.objects.get(user=bob, song=two).score == -6
    # Bob: one shared (4), two skipped three times (-6): a negative total is kept as such.
    assert UserGenre.objects.get(user=bob, genre__name="rock").score == -2


def _signals() -> set[tuple]:
    signals = user_song_signals()
    return set(zip(signals.user_ids.tolist(), signals.song_ids.tolist(), signals.score.tolist(), strict=True))


def test_the_day_stage_leaves_all_time_rollups_to_the_user_stage(record, people, apply_path):
    """Each stage moves its rows on exactly once; the recommendation signals, which read
    every stage, count each event once whichever stages have run."""
    (ann, _), (one, _, _) = people
    _history(record, people)
    signals = _signals()

    days = days_refresh()

    assert (days.applied, days.more) == (6, False)
    assert not PendingRollup.objects.exists()
    assert PendingUserRollup.objects.count() == 6
    assert SongDay.objects.get(day=today_at().date(), song=one).plays == 3
    assert not any(model.objects.exists() for model in (SongTotal, UserSong, UserArtist, UserGenre))
    assert _signals() == signals
    assert days_refresh().applied == 0
    assert PendingUserRollup.objects.count() == 6

    users = user_rollups_refresh()

    assert (users.applied, users.more) == (6, False)
    assert not PendingUserRollup.objects.exists()
    ann_one = UserSong.objects.get(user=ann, song=one)
    assert (ann_one.plays, ann_one.likes) == (3, 1)
    tops = rollups()
    assert {name: tops[name] for name in ("user_artists", "user_genres")} == tops_recounted()
    assert tops["song_totals"] == song_days_summed()
    assert _signals() == signals
    assert user_rollups_refresh().applied == 0
    assert rollups() == tops
    state = FillState.objects.get(name="user-rollups")
    assert (state.last_applied, state.total_applied) == (0, 6)


def test_a_capped_user_stage_run_says_more_remain(record, people, apply_path):
    _history(record, people)
    days_refresh()

    first = user_rollups_refresh(cap=4)

    assert (first.applied, first.more) == (4, True)
    assert user_rollups_refresh(cap=4).applied == 2
    assert sum(UserSong.objects.values_list("plays", flat=True)) == 6


def test_rebuild_counts_rows_waiting_in_the_user_stage_once(record, people, apply_path):
    _history(record, people)
    days_refresh()
    (ann, _), (_, _, three) = people
    record(ann, three, "share", at=today_at(days_ago=10))
    days_refresh()

    rollups_rebuild(since=today_at(days_ago=1).date())

    assert not PendingUserRollup.objects.exists()
    after = rollups()
    rollups_rebuild()
    assert rollups() == after
    assert UserSong.objects.get(user=ann, song=three).shares == 1


def test_a_late_event_adds_to_its_own_day(record, people, apply_path):
    (ann, _), (one, _, _) = people
    record(ann, one, "play", at=today_at(days_ago=12))
    rollups_refresh()

    record(ann, one, "play", times=2, at=today_at(hour=3, days_ago=12))
    record(ann, one, "like")
    rollups_refresh()

    old_day = today_at(days_ago=12).date()
    assert SongDay.objects.get(day=old_day, song=one).plays == 3
    assert SongDay.objects.get(day=today_at().date(), song=one).plays == 0
    late = UserMonth.objects.get(user=ann, month=month_start(old_day))
    assert (late.plays, late.days & day_bit(old_day)) == (3, day_bit(old_day))
    together = UserSong.objects.get(user=ann, song=one)
    assert (together.plays, together.likes, together.last_at) == (3, 1, today_at())


def test_a_capped_run_says_more_remain_and_the_next_takes_them(record, people, apply_path):
    (ann, _), songs = people
    for song in songs:
        record(ann, song, "play")

    first = rollups_refresh(cap=2)
    second = rollups_refresh(cap=2)

    assert (first.applied, first.more) == (2, True)
    assert (second.applied, second.more) == (1, False)
    assert sum(SongDay.objects.values_list("plays", flat=True)) == 3


def test_a_row_committed_during_a_portable_run_waits_for_the_next(record, people, monkeypatch):
    """The portable path deletes exactly the rows it read: one arriving after the read stays."""
    (ann, bob), (one, two, _) = people
    monkeypatch.setattr(rollups_service, "use_sql", lambda: False)
    record(ann, one, "play")
    real_add = rollups_merge.rollups_add

    def add_then_a_batch_arrives(rows):
        real_add(rows)
        record(bob, two, "share")

    monkeypatch.setattr(rollups_service, "rollups_add", add_then_a_batch_arrives)
    assert rollups_refresh().applied == 1
    monkeypatch.setattr(rollups_service, "rollups_add", real_add)

    assert PendingRollup.objects.get().song_id == two.id
    assert rollups_refresh().applied == 1
    assert SongDay.objects.get(song=two).shares == 1


def test_pending_rows_of_a_deleted_song_or_user_are_consumed_uncounted(record, people, apply_path):
    """Pending rows have no foreign-key constraints: a song or user deleted while its batch
    committed leaves rows the rollups' keys would refuse."""
    (ann, _), (one, _, _) = people
    record(ann, one, "play")
    gone = {"day": today_at().date(), "action": Action.PLAY, "count": 1, "last_at": today_at()}
    PendingRollup.objects.create(user=ann, song_id=10**9, **gone)
    PendingRollup.objects.create(user_id=10**9, song=one, **gone)

    assert rollups_refresh().applied == 3

    assert not PendingRollup.objects.exists()
    assert SongDay.objects.get().plays == 1
    assert UserSong.objects.get().plays == 1


def test_deleting_a_song_artist_genre_or_user_takes_its_rollup_rows(record, people, apply_path):
    """The per-user tables are keyed by the user first and have no database constraints:
    Django's cascade must still find a deleted song's, artist's or genre's rows, and only
    theirs."""
    (ann, bob), (one, two, three) = people
    for user in (ann, bob):
        for song in (one, two, three):
            record(user, song, "play")
    rollups_refresh()
    artist = one.credits.get().artist
    rock = one.genres.get()
    # Their ids: a deleted instance's id is None.
    song_id, artist_id, genre_id = one.id, artist.id, rock.id

    one.delete()
    assert not UserSong.objects.filter(song_id=song_id).exists()
    assert UserSong.objects.count() == 4
    artist.delete()
    assert not UserArtist.objects.filter(artist_id=artist_id).exists()
    assert UserArtist.objects.count() == 2
    rock.delete()
    assert not UserGenre.objects.filter(genre_id=genre_id).exists()
    assert UserGenre.objects.count() == 2
    ann.delete()
    assert set(UserSong.objects.values_list("user_id", flat=True)) == {bob.id}
    assert set(UserArtist.objects.values_list("user_id", flat=True)) == {bob.id}
    assert set(UserGenre.objects.values_list("user_id", flat=True)) == {bob.id}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_count_once(record):
    """A run that finds another under way skips at once; runs started together never
    count a pending row twice."""
    users, songs = UserFactory.create_batch(3), SongFactory.create_batch(5)
    for user in users:
        for song in songs:
            record(user, song, "play", times=2)
    fill_state_get_or_create()  # as after a first run: the row exists, committed
    held, release = threading.Event(), threading.Event()
    results: list = []

    def hold_the_lock():
        with transaction.atomic():
            fill_state_lock(wait=True)
            held.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    held.wait(10)
    try:
        assert rollups_refresh().skipped
    finally:
        release.set()
        holder.join()

    def run():
        try:
            results.append(rollups_refresh(cap=4))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    while rollups_refresh(cap=4).more:
        pass

    assert sum(SongDay.objects.values_list("plays", flat=True)) == 30
    assert sum(UserSong.objects.values_list("plays", flat=True)) == 30
    assert not PendingRollup.objects.exists()


def test_rebuild_gives_what_the_refresh_gave(record, people, apply_path):
    _history(record, people)
    rollups_refresh()
    incremental = rollups()

    done = rollups_rebuild()

    assert done.since == today_at(days_ago=20).date()
    assert rollups() == incremental
    assert scores_kept()


def test_rebuild_since_a_day_repairs_it_and_counts_pending_rows_once(record, people, apply_path):
    (ann, bob), (one, _, three) = people
    _history(record, people)
    rollups_refresh()
    # Damage the rollups of recent days, then leave new events pending on both sides of `since`.
    SongDay.objects.filter(day=today_at().date()).update(plays=99)
    UserSong.objects.filter(user=ann).update(likes=42)
    SongTotal.objects.filter(song=one).update(plays=77)
    record(ann, three, "share", at=today_at(days_ago=10))
    record(bob, one, "play")

    rollups_rebuild(since=today_at(days_ago=1).date())
    expected_after = rollups()
    assert {name: expected_after[name] for name in ("user_artists", "user_genres")} == tops_recounted()
    assert expected_after["song_totals"] == song_days_summed()

    # What a clean incremental history gives: rebuild everything from the events.
    rollups_rebuild()
    assert rollups() == expected_after
    assert not PendingRollup.objects.exists()
    assert SongDay.objects.get(day=today_at().date(), song=one).plays == 4
    assert UserSong.objects.get(user=ann, song=one).likes == 1
    assert SongDay.objects.get(day=today_at(days_ago=10).date(), song=three).shares == 1
