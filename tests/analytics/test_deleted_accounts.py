"""Deleting an account takes its events' counts out of every rollup, in the deletion's
transaction: trends and summary then show what they would without that listener, and a
rebuild from the events that remain changes nothing (no drift). Django's cascade removes
the listener's events, pending rows and per-user rollups; the per-song ones (SongDay,
SongTotal) hold everyone's counts and are corrected by `analytics.services.account_deletion`."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from analytics.models import PendingRollup, PendingUserRollup
from analytics.services.exclusions import Selection, activity_exclude
from analytics.services.rollups import days_refresh, rollups_catch_up, snapshots_catch_up
from music_discovery.signals import account_deleting
from tests.analytics.builders import rollups, today_at
from tests.factories import ArtistFactory, SongArtistFactory, SongFactory, UserFactory
from users.models import User

TRENDS = "/api/analytics/trends/"
SUMMARY = "/api/analytics/summary/"
WINDOWS = ("day", "week", "month", "all")


@pytest.fixture
def songs(db):
    """Three songs, credited and filed so that artists' and genres' trends move too."""
    one, two = ArtistFactory(), ArtistFactory()
    hit, other, third = SongFactory(genres=["pop"]), SongFactory(genres=["pop", "soul"]), SongFactory()
    for song, artist in ((hit, one), (other, one), (other, two), (third, two)):
        SongArtistFactory(song=song, artist=artist, position=song.credits.count())
    return hit, other, third


@pytest.fixture
def staying(record, songs):
    """A listener who stays, with events over the windows; everything rolled up."""
    hit, other, third = songs
    listener = UserFactory()
    record(listener, other, "like", times=3)
    record(listener, third, "play", times=4, at=today_at(days_ago=2))
    record(listener, hit, "play", at=today_at(days_ago=9))
    record(listener, other, "share", at=today_at(days_ago=20))
    rollups_catch_up()
    return listener


def _figures(client) -> dict:
    """Trends of every window and the summary as the API serves them, once beat's snapshot
    job has run (it recomputes them only if it thinks the rollups changed)."""
    snapshots_catch_up()
    summary = client.get(SUMMARY).json()
    summary.pop("as_of")
    return {"summary": summary, **{w: client.get(TRENDS, {"window": w, "limit": 50}).json() for w in WINDOWS}}


def _counted() -> dict[str, set[tuple]]:
    """Every rollup table's rows but those left with all counters at zero (taking counts out
    leaves such rows, as an exclusion does; a rebuild, which counts events, writes none)."""
    counters_at = {"song_totals": 1}
    return {
        table: {row for row in rows if any(row[counters_at.get(table, 2) :][:4])}
        for table, rows in rollups().items()
    }


def _listen(record, listener, songs) -> None:
    """The listener's 2,000 shares of the hit today (its #1 of the day), and a few events on
    other days: yesterday, the week before (the week's previous window), and last month."""
    hit, other, third = songs
    record(listener, hit, "share", times=2000)
    record(listener, other, "like", times=2, at=today_at(days_ago=1))
    record(listener, third, "skip", at=today_at(days_ago=8))
    record(listener, third, "play", times=5, at=today_at(days_ago=20))


def _assert_as_if_never_there(client, without: dict, tables: dict) -> None:
    assert _figures(client) == without
    assert _counted() == tables
    call_command("analytics_rebuild")
    assert _figures(client) == without
    assert _counted() == tables


def test_deleting_an_account_takes_its_rolled_up_counts_out_of_trends_and_summary(
    auth_client, make_auth_client, record, songs, staying, django_capture_on_commit_callbacks
):
    without, tables = _figures(auth_client), _counted()
    leaving = UserFactory()
    _listen(record, leaving, songs)
    rollups_catch_up()
    counted = _figures(auth_client)
    assert counted["day"]["songs"][0]["id"] == songs[0].id
    assert counted["summary"]["activities"] == without["summary"]["activities"] + 2008

    with django_capture_on_commit_callbacks(execute=True):
        response = make_auth_client(leaving).delete(f"/api/users/{leaving.id}/")

    assert response.status_code == 204
    _assert_as_if_never_there(auth_client, without, tables)


def test_counts_still_pending_in_either_stage_are_taken_out_once(
    auth_client, make_auth_client, record, songs, staying, django_capture_on_commit_callbacks
):
    """Events in every state at the deletion: rolled up, past the day stage only, not rolled
    up at all, and rolled up then excluded (the exclusion's negative rows still pending)."""
    hit, other, third = songs
    without, tables = _figures(auth_client), _counted()
    leaving = UserFactory()
    _listen(record, leaving, songs)
    rollups_catch_up()
    activity_exclude(
        user_id=leaving.id,
        selection=Selection(since=today_at(days_ago=1), until=today_at(hour=23, days_ago=1)),
    )
    record(leaving, other, "share", times=7, at=today_at(days_ago=3))
    days_refresh()  # the exclusion's rows and these shares now wait in the user stage
    record(leaving, hit, "like", times=5)
    record(leaving, third, "share", times=2, at=today_at(days_ago=1))
    assert PendingRollup.objects.filter(user_id=leaving.id).exists()
    assert PendingUserRollup.objects.filter(user_id=leaving.id).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = make_auth_client(leaving).delete(f"/api/users/{leaving.id}/")
    rollups_catch_up()

    assert response.status_code == 204
    _assert_as_if_never_there(auth_client, without, tables)


def test_deleting_accounts_in_the_admin_takes_their_counts_out_too(
    client, auth_client, record, songs, staying, django_capture_on_commit_callbacks
):
    """One account from its delete page, one by the bulk action: both go through
    `user_delete`. The events' admin is read-only; that must not stop an account's deletion."""
    without, tables = _figures(auth_client), _counted()
    one, other = UserFactory.create_batch(2)
    for listener in (one, other):
        _listen(record, listener, songs)
    rollups_catch_up()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    without["summary"]["users"] += 1  # the admin

    with django_capture_on_commit_callbacks(execute=True):
        single = client.post(reverse("admin:users_user_delete", args=[one.pk]), {"post": "yes"})
        bulk = client.post(
            reverse("admin:users_user_changelist"),
            {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"},
        )

    assert (single.status_code, bulk.status_code) == (302, 302)
    assert not User.objects.filter(pk__in=[one.pk, other.pk]).exists()
    _assert_as_if_never_there(auth_client, without, tables)


@pytest.mark.django_db(transaction=True)
def test_an_account_deleting_outside_a_transaction_takes_nothing_out():
    """Committed on their own, the counts taken out would stand whether or not the account
    then went: the signal is refused outside the deletion's transaction."""
    with pytest.raises(RuntimeError, match="inside the deletion's transaction"):
        account_deleting(user_id=UserFactory().pk)
