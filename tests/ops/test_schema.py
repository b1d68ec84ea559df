"""The OpenAPI schema: valid, warning-free, and honest about error responses."""

import re

import jsonschema
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


def test_every_operation_documents_400_and_429(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"400", "429"} <= set(operation["responses"]), (method, path)


def test_operations_that_read_credentials_document_401_and_csrf_403(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            schemes = {name for requirement in operation.get("security", []) for name in requirement}
            if schemes:
                assert "401" in operation["responses"], (method, path)
            if "cookieAuth" in schemes and method in {"post", "put", "patch", "delete"}:
                assert "403" in operation["responses"], (method, path)


# What each users and auth operation can answer besides its successes, 400 and 429.
USERS_AND_AUTH_ERRORS = {
    ("post", "/api/users/"): set(),
    ("get", "/api/users/"): {"401", "403", "404"},
    ("get", "/api/users/me/"): {"401"},
    ("patch", "/api/users/me/"): {"401", "403"},
    ("get", "/api/users/{id}/"): {"401", "404"},
    ("put", "/api/users/{id}/"): {"401", "403", "404"},
    ("patch", "/api/users/{id}/"): {"401", "403", "404"},
    ("delete", "/api/users/{id}/"): {"401", "403", "404"},
    ("post", "/api/auth/token/"): {"401"},
    ("post", "/api/auth/token/refresh/"): {"401"},
    ("post", "/api/auth/logout/"): {"401"},
}


@pytest.mark.parametrize(
    ("method", "path"),
    [pytest.param(*operation, id=" ".join(operation)) for operation in USERS_AND_AUTH_ERRORS],
)
def test_users_and_auth_operations_list_only_the_errors_they_can_give(schema, method, path):
    responses = set(schema["paths"][path][method]["responses"])

    assert responses & {"401", "403", "404"} == USERS_AND_AUTH_ERRORS[(method, path)]


def test_credential_changes_document_current_password(schema):
    for path in ("/api/users/{id}/", "/api/users/me/"):
        body = schema["paths"][path]["patch"]["requestBody"]["content"]["application/json"]["schema"]
        component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
        assert "current_password" in component["properties"], path
        assert "current_password" in schema["paths"][path]["patch"]["description"]


def test_logout_needs_a_bearer_access_token(schema):
    security = schema["paths"]["/api/auth/logout/"]["post"]["security"]

    assert security == [{"jwtAuth": []}]


def test_an_endpoints_own_error_documentation_is_kept(schema):
    # Logout documents its own 400; the generic one must not replace it.
    responses = schema["paths"]["/api/auth/logout/"]["post"]["responses"]
    assert responses["400"]["description"].startswith(
        "Not a valid, unrevoked refresh token of the authenticated"
    )
    assert responses["429"]["description"].startswith("Too many attempts")
    assert schema["components"]["schemas"]["Error"]["properties"]["detail"]["type"] == "string"


def test_a_refused_token_answers_what_the_error_schema_documents(schema, api_client):
    # SimpleJWT adds `code` and `messages` to the detail (found by the stateful fuzz test).
    response = api_client.get("/api/users/me/", HTTP_AUTHORIZATION="Bearer not-a-token")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    jsonschema.validate(response.json(), schema["components"]["schemas"]["Error"])


def test_a_listeners_first_steps_are_linked(schema):
    operations = {
        operation["operationId"]: operation
        for methods in schema["paths"].values()
        for operation in methods.values()
    }
    links = {
        (source, code, name): link
        for source, operation in operations.items()
        for code, response in operation["responses"].items()
        for name, link in response.get("links", {}).items()
    }

    assert {key: link["operationId"] for key, link in links.items()} == {
        ("users_create", "201", "LogIn"): "auth_token_create",
        ("users_create", "201", "Recommendations"): "recommendations_user",
        ("auth_token_create", "200", "RateASong"): "ratings_submit",
        ("recommendations_user", "202", "TaskStatus"): "recommendations_task",
    }
    for link in links.values():
        # Each parameter named is one of the target's (the bearer token is its security scheme's).
        target = {parameter["name"] for parameter in operations[link["operationId"]].get("parameters", [])}
        assert set(link.get("parameters", {})) - {"header.Authorization"} <= target, link


@pytest.mark.parametrize(
    ("path", "name", "bounds"),
    [
        ("/api/songs/", "artist", {"minimum": 1, "maximum": 2**63 - 1}),
        ("/api/songs/", "key", {"minimum": -1, "maximum": 11}),
        ("/api/songs/", "time_signature", {"minimum": 0, "maximum": 12}),
        ("/api/songs/", "min_popularity", {"minimum": -(2**15), "maximum": 2**15 - 1}),
        ("/api/songs/", "max_energy", {"minimum": -1e6, "maximum": 1e6}),
        ("/api/songs/", "spotify_id", {"maxLength": 64}),
        ("/api/songs/", "genre", {"maxLength": 100}),
        ("/api/artists/", "genre", {"maxLength": 100}),
    ],
)
def test_list_parameters_carry_the_bounds_the_server_enforces(schema, api_client, path, name, bounds):
    """A value the schema allows is accepted, one past it refused: the schema says what the
    filters check (a schema-valid `artist=0` was a 400)."""
    [parameter] = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
    assert bounds.items() <= parameter["schema"].items()

    if "maxLength" in bounds:
        inside, outside = ["a" * bounds["maxLength"]], ["a" * (bounds["maxLength"] + 1)]
    else:
        inside, outside = (
            [bounds["minimum"], bounds["maximum"]],
            [bounds["minimum"] - 1, bounds["maximum"] + 1],
        )
    for value in inside:
        assert api_client.get(path, {name: value}).status_code == 200, value
    for value in outside:
        assert api_client.get(path, {name: value}).status_code == 400, value


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/songs/", "title"),
        ("/api/songs/", "genre"),
        ("/api/songs/", "search"),
        ("/api/artists/", "genre"),
        ("/api/artists/", "search"),
    ],
)
def test_text_parameters_say_a_nul_is_refused(schema, api_client, path, name):
    [parameter] = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
    pattern = re.compile(parameter["schema"]["pattern"].replace("\\u0000", "\\x00"))

    assert not pattern.match("a\x00b")
    assert pattern.match("rock")
    assert api_client.get(path, {name: "a\x00b"}).status_code == 400
