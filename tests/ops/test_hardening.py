"""Requests a probe sends on purpose: JSON nested a thousand levels deep, bodies of any
encoding past the size limit, unsafe methods on unrouted /api/ paths without a CSRF token,
admin password guessing. Each gets a clear answer, JSON under /api/, and changes nothing."""

from __future__ import annotations

import json
import textwrap
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from music_discovery.parsers import MAX_JSON_DEPTH, JSONParser
from tests.factories import UserFactory
from tests.users.builders import PASSWORD, registration
from users.models import User

FORM = "application/x-www-form-urlencoded"

pytestmark = pytest.mark.django_db

DEEP_BODIES = {
    "unclosed": "[" * 1000,
    "closed": "[" * 1000 + "]" * 1000,
    "objects": '{"a":' * 1000 + "1" + "}" * 1000,
    "in_a_field": '{"username": ' + "[" * 950 + "]" * 950 + "}",
    "just_past_the_limit": "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),
}


def assert_json_400(response) -> None:
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"].startswith("JSON parse error")


@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
@pytest.mark.parametrize("path", ["/api/users/", "/api/auth/token/", "/api/auth/token/refresh/"])
def test_deep_json_is_400_on_anonymous_endpoints(api_client, path, body):
    response = api_client.post(path, data=body, content_type="application/json")

    assert_json_400(response)
    assert not User.objects.exists()


@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
@pytest.mark.parametrize(
    ("method", "path"),
    [("patch", "/api/users/me/"), ("put", "me"), ("post", "/api/ratings/"), ("post", "/api/auth/logout/")],
)
def test_deep_json_is_400_on_authenticated_endpoints(auth_client, method, path, body):
    path = f"/api/users/{auth_client.user.pk}/" if path == "me" else path

    response = getattr(auth_client, method)(path, data=body, content_type="application/json")

    assert_json_400(response)


def test_nesting_up_to_the_limit_is_parsed(api_client):
    body = json.dumps(registration(first_name="x")).replace(
        '"x"', "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    )

    response = api_client.post("/api/users/", data=body, content_type="application/json")

    # Parsed, then refused by the field's own validation: a list is not a name.
    assert response.status_code == 400
    assert "first_name" in response.json()


def _api_views(resolver: URLResolver | None = None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern)
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None)
            if view_class is not None:
                yield view_class


def test_every_api_view_parses_json_with_the_depth_limit():
    views = list(_api_views())
    assert len(views) > 5
    for view_class in views:
        for parser in view_class().get_parsers():
            if parser.media_type == "application/json":
                # Or a parser whose view decodes the body itself within the same bound
                # (the listening-history import, tested in tests/analytics/test_import_validation.py).
                assert isinstance(parser, JSONParser) or getattr(parser, "bounds_json_depth", False), (
                    view_class
                )


PRODUCTION_SCRIPT = textwrap.dedent(
    """
    import django
    django.setup()
    from django.test import Client
    response = Client().post("/api/users/", data="[" * 1000, content_type="application/json", secure=True)
    print(response.status_code, response["Content-Type"])
    """
)


def test_deep_json_is_400_in_production_settings(run_django):
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "testserver",
        "PYTHONWARNINGS": "ignore",
    }

    result = run_django("-c", PRODUCTION_SCRIPT, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["400", "application/json"]


# ---------------------------------------------------------------------------------------------
# One size limit for every body
# ---------------------------------------------------------------------------------------------
def test_a_multipart_registration_past_the_limit_is_413_and_creates_nothing(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = registration()
    body.pop("profile")
    body["avatar"] = SimpleUploadedFile("big.bin", b"x" * 20_000)

    response = api_client.post("/api/users/", body, format="multipart")

    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large."}
    assert not User.objects.exists()


def test_a_form_body_past_the_limit_is_413_outside_api_too(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000

    response = client.post("/admin/login/", {"username": "x", "password": "y" * 20_000})

    assert response.status_code == 413


@pytest.mark.parametrize("body_format", ["multipart", "form"])
def test_a_login_takes_json_only_like_every_endpoint(api_client, body_format):
    """The contract: JSON everywhere. A form or multipart login is a 415, as a rating is."""
    user = UserFactory(password=PASSWORD)
    credentials = {"username": user.username, "password": PASSWORD}
    if body_format == "form":
        response = api_client.post("/api/auth/token/", urlencode(credentials), content_type=FORM)
    else:
        response = api_client.post("/api/auth/token/", credentials, format="multipart")

    assert response.status_code == 415, response.content
    assert api_client.post("/api/auth/token/", credentials, format="json").status_code == 200


# ---------------------------------------------------------------------------------------------
# CSRF: JSON under /api/
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unsafe_methods_on_unrouted_api_paths_are_json_404_without_csrf_token(method):
    client = APIClient(enforce_csrf_checks=True)

    response = getattr(client, method)("/api/no/such/thing/", {}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.urls("tests.ops.error_urls")
def test_a_csrf_failure_under_api_is_json_403():
    client = APIClient(enforce_csrf_checks=True)

    response = client.post("/api/test-form/", {"a": 1})

    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"].startswith("CSRF")


def test_a_csrf_failure_outside_api_keeps_the_html_page():
    client = APIClient(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


# ---------------------------------------------------------------------------------------------
# Admin login
# ---------------------------------------------------------------------------------------------
def test_admin_login_is_throttled_after_repeated_wrong_passwords(client, staff_user):
    statuses = [
        client.post("/admin/login/", {"username": staff_user.username, "password": f"guess-{n}"}).status_code
        for n in range(15)
    ]

    assert 429 in statuses
    assert statuses[-1] == 429
    assert set(statuses) == {200, 429}  # 200: the form again, with its error
    right = client.post("/admin/login/", {"username": staff_user.username, "password": PASSWORD})
    assert right.status_code == 429
    assert int(right["Retry-After"]) > 0


def test_admin_login_form_is_still_shown_while_throttled(client, staff_user):
    for n in range(15):
        client.post("/admin/login/", {"username": staff_user.username, "password": f"guess-{n}"})

    assert client.get("/admin/login/").status_code == 200


# ---------------------------------------------------------------------------------------------
# The site root
# ---------------------------------------------------------------------------------------------
def test_the_site_root_leads_to_the_api_docs(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/api/docs/"
    assert client.get(response["Location"]).status_code == 200
