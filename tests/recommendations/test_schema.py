"""The recommendation endpoints' OpenAPI: each 404 is documented with the body it has,
`{"detail": "Not found."}` (the Error schema)."""

from __future__ import annotations

from tests.factories import UserFactory

OPERATIONS = {
    "recommendations_user",
    "recommendations_refresh",
    "recommendations_task",
    "recommendations_why_not",
    "recommendations_feedback",
    "recommendations_snooze",
    "recommendations_playlist",
    "songs_similar",
}


def test_each_404_is_documented_with_its_detail_body(api_client, make_auth_client, db):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    not_found = {
        operation["operationId"]: operation["responses"]["404"]
        for operations in schema["paths"].values()
        for operation in operations.values()
        if operation["operationId"] in OPERATIONS
    }
    someone = UserFactory()
    answered = make_auth_client(UserFactory()).get(f"/api/recommendations/user/{someone.pk}/")

    assert set(not_found) == OPERATIONS
    for operation, response in not_found.items():
        body = response["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/Error"}, operation
    assert "detail" in schema["components"]["schemas"]["Error"]["properties"]
    assert answered.status_code == 404
    assert answered.json() == {"detail": "Not found."}
