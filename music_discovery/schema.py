"""OpenAPI generation: the error responses each operation can give, documented once.

Every operation gets the generic error responses it can actually send, unless it documents
them itself: 400 (a refused body, parameter or Host) always; 401 where the view reads a
credential (a bad bearer token is refused even where none is needed); 403 where its
permissions can refuse an authenticated caller, or where a session caller's unsafe request
is checked for its CSRF token; 404 on paths with an id and on paginated lists (a page past
the end); 406 always (content negotiation); 413 and 415 where the operation reads a body;
429 where the view is throttled.

And the OpenAPI links of a listener's first steps: register, log in, rate, read the
recommendations, poll their task. Clients see them in the schema; the stateful fuzz test
(tests/ops/test_fuzz.py) follows them.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import ComponentRegistry
from rest_framework import permissions

ERROR_COMPONENT = {
    "type": "object",
    "description": (
        'DRF\'s error shapes: `{"detail": "..."}` for request-level errors, or '
        '`{"<field>": ["message", ...]}` for invalid fields, nested as the body is '
        '(`{"profile": {"moods": {"3": ["..."]}}}`: the fourth mood of the profile). A refused '
        "bearer token adds SimpleJWT's `code` (`token_not_valid`) and `messages` (one per token type tried)."
    ),
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "messages": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]},
}
ERROR_REFERENCE = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

ERROR_RESPONSES = {
    "400": "Invalid input: the body or a query parameter was refused; nothing changed.",
    "401": "No valid credentials: a missing, expired or malformed bearer token.",
    "403": "Authenticated but not allowed (staff-only listing, or a session request without its CSRF token).",
    "404": "Not found: an unknown id, another user's resource, or a page past the end of a list.",
    "406": "Not acceptable: the Accept header or `?format=` names no type this operation gives.",
    "413": (
        "The body is over its size limit (DATA_UPLOAD_MAX_MEMORY_SIZE unless the operation says); "
        "refused unread, nothing changed."
    ),
    "415": "Unsupported media type: the body is not one this operation reads (JSON); nothing changed.",
    "429": "Throttled: retry after the number of seconds in the Retry-After header.",
}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Permissions that refuse only the anonymous caller (a 401), never an authenticated one.
_NEVER_FORBID = (permissions.AllowAny, permissions.IsAuthenticated, permissions.IsAuthenticatedOrReadOnly)
SESSION_SCHEME = "cookieAuth"


class AutoSchema(openapi.AutoSchema):
    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: ComponentRegistry
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None:
            for code in self._error_codes(operation):
                operation["responses"].setdefault(
                    code, {"description": ERROR_RESPONSES[code], "content": ERROR_REFERENCE}
                )
            # An error a view documents by its description only has the same JSON body.
            for code, response in operation["responses"].items():
                if code.startswith("4") and "content" not in response:
                    response["content"] = ERROR_REFERENCE
        return operation

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        schemes = {name for requirement in operation.get("security", []) for name in requirement}
        parameters = {parameter["name"] for parameter in operation.get("parameters", [])}
        codes = ["400"]
        if schemes:
            codes.append("401")
        if self._can_forbid(schemes):
            codes.append("403")
        if "{" in self.path or "page" in parameters:
            codes.append("404")
        codes.append("406")
        if "requestBody" in operation:
            codes += ["413", "415"]
        if self.view.throttle_classes:
            codes.append("429")
        return codes

    def _can_forbid(self, schemes: set[str]) -> bool:
        if self.method in UNSAFE_METHODS and SESSION_SCHEME in schemes:
            return True
        return bool(schemes) and any(not isinstance(p, _NEVER_FORBID) for p in self.view.get_permissions())


class KnownFieldsSchema(OpenApiSerializerExtension):
    """A request body that refuses a field it does not have (`fields.KnownFieldsMixin`, a 400
    naming it) says so: `additionalProperties: false`."""

    target_class = "music_discovery.fields.KnownFieldsMixin"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


def add_error_component(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """The Error schema the error responses refer to."""
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault("Error", ERROR_COMPONENT)
    return result


# Source operation and status -> link name -> OpenAPI link. Values are runtime expressions
# over the source's request and response. Links carry data, not credentials: a client sends
# its access token with every later request itself; RateASong passes it only because the
# token is all a rating needs from the login.
LINKS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("users_create", "201"): {
        "LogIn": {
            "operationId": "auth_token_create",
            "description": "Log in as the new account: its username and the password it was registered with.",
            "requestBody": {"username": "$response.body#/username", "password": "$request.body#/password"},
        },
        "Recommendations": {
            "operationId": "recommendations_user",
            "description": "The new account's recommendations (with its access token).",
            "parameters": {"user_id": "$response.body#/id"},
        },
    },
    ("auth_token_create", "200"): {
        "RateASong": {
            "operationId": "ratings_submit",
            "description": "Rate a song with the access token just obtained.",
            "parameters": {"header.Authorization": "Bearer {$response.body#/access}"},
        },
    },
    ("recommendations_user", "202"): {
        "TaskStatus": {
            "operationId": "recommendations_task",
            "description": "Poll the queued list's task (the same URL as `status_url`).",
            "parameters": {"task_id": "$response.body#/task_id"},
        },
    },
}


def add_links(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Every link of LINKS on its source operation's response; a source missing is an error."""
    responses = {
        (operation.get("operationId"), code): response
        for methods in result.get("paths", {}).values()
        for operation in methods.values()
        for code, response in operation.get("responses", {}).items()
    }
    for (operation_id, code), links in LINKS.items():
        if (operation_id, code) not in responses:
            raise ValueError(f"LINKS: no operation {operation_id} answering {code}")
        responses[(operation_id, code)].setdefault("links", {}).update(links)
    return result
