"""Under /api/ every error is DRF's JSON shape, never an HTML page; elsewhere (the admin)
Django's usual pages remain."""

import json

import pytest
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ops.error_urls")]


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"]
    return body


@pytest.mark.parametrize("path", ["/api/no/such/thing/", "/api/", "/api"])
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_unknown_api_path_is_json_404_for_every_method(api_client, method, path):
    response = getattr(api_client, method)(path)

    assert_json_error(response, 404)


def test_unknown_path_outside_api_keeps_the_html_page(api_client):
    response = api_client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_method_not_allowed_is_json_405(api_client):
    response = api_client.post("/api/schema/", {}, format="json")

    body = assert_json_error(response, 405)
    assert body == {"detail": 'Method "POST" not allowed.'}
    assert "GET" in response["Allow"]


def test_malformed_json_is_json_400(api_client):
    response = api_client.post("/api/test-echo/", data='{"song": 1,', content_type="application/json")

    body = assert_json_error(response, 400)
    assert body["detail"].startswith("JSON parse error")


def test_well_formed_json_reaches_the_view(api_client):
    response = api_client.post("/api/test-echo/", {"b": 1, "a": 2}, format="json")

    assert response.status_code == 200
    assert response.json() == {"keys": ["a", "b"]}


def test_unsupported_media_type_is_json_415(api_client):
    response = api_client.post("/api/test-echo/", data="song=1", content_type="text/csv")

    assert_json_error(response, 415)


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_oversized_body_is_json_413(api_client, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    if content_type == "application/json":
        body = json.dumps({"context": "x" * 2000})
    else:
        body = "context=" + "x" * 2000

    response = api_client.post("/api/test-echo/", data=body, content_type=content_type)

    assert assert_json_error(response, 413) == {"detail": "Request body too large."}


def test_body_just_under_the_limit_is_accepted(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"context": "x" * 900})

    response = api_client.post("/api/test-echo/", data=body, content_type="application/json")

    assert response.status_code == 200


def test_too_many_form_fields_is_json_400(api_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=1" for i in range(50))

    response = api_client.post("/api/test-echo/", data=body, content_type="application/x-www-form-urlencoded")

    assert assert_json_error(response, 400) == {"detail": "Bad request."}


def test_disallowed_host_under_api_is_json_400(api_client):
    response = api_client.get("/api/schema/", HTTP_HOST="attacker.example")

    assert assert_json_error(response, 400) == {"detail": "Bad request."}


def test_disallowed_host_outside_api_is_django_page(api_client):
    response = api_client.get("/admin/login/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_unhandled_exception_under_api_is_json_500():
    client = APIClient(raise_request_exception=False)

    response = client.get("/api/test-crash/")

    body = assert_json_error(response, 500)
    assert body == {"detail": "Internal server error."}
    assert "a bug" not in response.content.decode()


def test_unhandled_exception_outside_api_is_django_page():
    client = APIClient(raise_request_exception=False)

    response = client.get("/test-crash/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_unacceptable_accept_header_is_json_406(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/xml")

    assert_json_error(response, 406)


def test_a_browser_gets_json_404_under_api_too(api_client):
    response = api_client.get("/api/no-such-thing/", HTTP_ACCEPT="text/html,application/xhtml+xml")

    assert_json_error(response, 404)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/songs/999999/", "/api/artists/999999/"])
def test_an_unknown_object_is_a_404_that_names_no_model(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
