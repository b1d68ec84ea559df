"""Every 4xx the OpenAPI schema documents has the body the API answers it with: the Error
schema (`{"detail": ...}` or field errors), whether a view documents it by a description only
or leaves it to `music_discovery.schema.AutoSchema`."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_each_documented_4xx_has_the_error_body(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    errors = {
        (path, method, code): response
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for code, response in operation["responses"].items()
        if code.startswith("4")
    }

    bodiless = [
        key for key, response in errors.items() if "application/json" not in response.get("content", {})
    ]
    assert bodiless == []
    # Among them, 404s each view described itself (an artist's, a block's, a recommendation's).
    described = {
        (path, code)
        for (path, _, code), response in errors.items()
        if code == "404"
        and response["description"]
        != "Not found: an unknown id, another user's resource, or a page past the end of a list."
    }
    assert {"/api/artists/{id}/", "/api/recommendations/user/{user_id}/"} <= {path for path, _ in described}
    assert "detail" in schema["components"]["schemas"]["Error"]["properties"]


def test_a_404_answers_that_body(make_auth_client):
    someone = UserFactory()

    answered = make_auth_client(UserFactory()).get(f"/api/recommendations/user/{someone.pk}/")

    assert answered.status_code == 404
    assert answered.json() == {"detail": "Not found."}


def test_negotiation_and_body_refusals_are_documented_where_they_can_happen(api_client, make_auth_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    rate = schema["paths"]["/api/ratings/"]["post"]["responses"]
    songs = schema["paths"]["/api/songs/"]["get"]["responses"]

    assert {"406", "413", "415"} <= set(rate)
    assert "406" in songs and not {"413", "415"} & set(songs)
    # Each as the API answers it.
    assert api_client.get("/api/songs/", HTTP_ACCEPT="text/html").status_code == 406
    form = make_auth_client(UserFactory()).post(
        "/api/ratings/", "song=1&score=3", content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 415


def test_a_body_that_refuses_unknown_fields_says_so_in_the_schema(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]

    assert components["ExclusionInputRequest"]["additionalProperties"] is False
    assert "additionalProperties" not in components["RatingInputRequest"]
