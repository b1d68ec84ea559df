"""OpenAPI post-processing: the error responses every endpoint can give, documented once."""

from __future__ import annotations

ERROR_COMPONENT = {
    "type": "object",
    "description": (
        'DRF\'s error shapes: `{"detail": "..."}` for request-level errors, or '
        '`{"<field>": ["message", ...]}` for invalid fields.'
    ),
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}

ERROR_RESPONSES = {
    "400": "Invalid input: the body or a query parameter was refused; nothing changed.",
    "401": "No valid credentials: a missing, expired or malformed bearer token.",
    "403": "Authenticated but not allowed (staff-only listing, or a session request without its CSRF token).",
    "404": "Not found: an unknown id, another user's resource, or a page past the end of a list.",
    "429": "Throttled: retry after the number of seconds in the Retry-After header.",
}
UNSAFE_METHODS = {"post", "put", "patch", "delete"}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """Give every operation the error responses DRF can send for it, unless it documents them."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_COMPONENT)
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            # An operation may say which of them it can give (extension `x-error-responses`).
            declared = operation.pop("x-error-responses", None)
            codes = declared or ["400", "401", "404", "429"]
            if declared is None and (method in UNSAFE_METHODS or path == "/api/users/"):
                codes = [*codes, "403"]
            for code in codes:
                operation["responses"].setdefault(
                    code, {"description": ERROR_RESPONSES[code], "content": reference}
                )
    return result
