"""The staff dashboard in the admin (a server-side SVG chart and the week's top), and events
and the rollup job's state in the admin."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from analytics.services.rollups import rollups_catch_up
from tests.factories import SongFactory, UserFactory

URL = "/admin/analytics/activity/dashboard/"
FETCHED_ELSEWHERE = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(?:https?:)?//', re.IGNORECASE)


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_see_the_chart_and_the_weeks_top(superuser, record):
    song = SongFactory(title="Heard All Week", genres=["pop"])
    record(UserFactory(), song, "play", times=3)
    record(UserFactory(), song, "like")
    rollups_catch_up()

    response = _client(superuser).get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page and "<polyline" in page
    # One point per day and action, each with its figure.
    assert page.count("<circle") == 30 * 4
    assert ": 3 play</title>" in page and ": 1 like</title>" in page
    assert "Heard All Week" in page and "pop" in page
    # Nothing fetched from elsewhere: every script, style sheet and image is the site's own.
    # (A word test such as "cdn" would meet the page's random CSRF token now and then.)
    assert not FETCHED_ELSEWHERE.search(page)


def test_the_dashboard_renders_with_no_events(superuser):
    response = _client(superuser).get(URL)

    assert response.status_code == 200
    assert "No activity this week." in response.content.decode()


def test_anonymous_goes_to_the_admin_login(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_non_staff_user_has_no_access(user):
    response = _client(user).get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_analytics_permission_are_refused(db):
    staff = UserFactory(is_staff=True)
    assert _client(staff).get(URL).status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_activity"))
    assert _client(UserFactory._meta.model.objects.get(pk=staff.pk)).get(URL).status_code == 200


def test_the_analytics_app_page_links_the_dashboard(superuser):
    page = _client(superuser).get("/admin/analytics/").content.decode()

    assert URL in page


def test_events_are_listed_read_only(superuser, record):
    song = SongFactory()
    record(UserFactory(), song, "share")
    client = _client(superuser)

    listing = client.get("/admin/analytics/activity/")

    assert listing.status_code == 200
    assert "share" in listing.content.decode()
    assert URL in listing.content.decode()
    assert client.get("/admin/analytics/activity/add/").status_code == 403


def test_events_are_searched_by_a_listeners_full_username(superuser, record):
    song = SongFactory()
    record(UserFactory(username="night_owl"), song, "like", times=2)
    record(UserFactory(username="night_owl_2"), song, "skip")
    client = _client(superuser)

    def listed(term: str) -> list[str]:
        response = client.get("/admin/analytics/activity/", {"q": term})
        assert response.status_code == 200
        return [event.get_action_display() for event in response.context["cl"].result_list]

    assert listed("Night_Owl") == ["like", "like"]
    assert listed("night") == []
    assert sorted(listed("")) == ["like", "like", "skip"]


def test_the_fill_state_is_listed(superuser, record):
    record(UserFactory(), SongFactory(), "play")
    rollups_catch_up()

    page = _client(superuser).get("/admin/analytics/fillstate/")

    assert page.status_code == 200
    assert "rollups" in page.content.decode()
