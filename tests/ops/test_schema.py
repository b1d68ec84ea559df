"""The OpenAPI schema: valid, warning-free, and honest about error responses."""

import pytest
from django.core.management import call_command


@pytest.fixture
def schema(api_client, db) -> dict:
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns any generator warning (an un-inferable field, a name clash) into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").stat().st_size > 0


def test_every_operation_documents_the_errors_drf_can_send(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"401", "429"} <= documented, (method, path, documented)
            if path.startswith("/api/ratings/"):
                continue  # they list only the errors they can give (tests/catalog/test_ratings_api.py)
            assert {"400", "404"} <= documented, (method, path, documented)
            if method in {"post", "put", "patch", "delete"}:
                assert "403" in documented, (method, path)


def test_an_endpoints_own_error_documentation_is_kept(schema):
    # Logout documents its own 400; the generic one must not replace it.
    responses = schema["paths"]["/api/auth/logout/"]["post"]["responses"]
    assert responses["400"]["description"] == "Not a valid refresh token of the caller."
    assert responses["429"]["description"].startswith("Throttled")
    assert schema["components"]["schemas"]["Error"]["properties"]["detail"]["type"] == "string"
