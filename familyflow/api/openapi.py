"""The OpenAPI document says which errors each operation can answer, and that each
is application/problem+json (problems.py), so a client, and schemathesis's status
and content-type checks, can rely on it (issue 7: errors at the edge).

Which errors, from what the operation is:
- 401 and 403: it needs a caller (a bearer token or a session), whose role or
  CSRF token may not do; 401 alone for GOV.UK Notify's callback token;
- 404: it names something (a path parameter, an `_id` filter), or its body may;
- 409: it changes something, which may be in the wrong state or changed meanwhile;
- 413: it takes a body, which may be over FAMILYFLOW_MAX_BODY_BYTES;
- 422: it takes parameters or a body, which may be invalid.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from familyflow.api.problems import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
        "allowed": {"type": "array", "items": {"type": "string"}},
        "allowed_roles": {"type": "array", "items": {"type": "string"}},
    },
}
MEANING = {
    401: "Not signed in: no token or session, or an unknown or revoked token",
    403: "Signed in, but this role may not do this, or the CSRF token is missing",
    404: "Not found, or not visible to the caller",
    409: "In a state that does not allow this, or changed by someone else meanwhile",
    413: "The request body is over the limit (FAMILYFLOW_MAX_BODY_BYTES)",
    422: "Invalid input: `errors` names each field and the reason",
}
CHANGES = frozenset({"post", "put", "patch", "delete"})


# Notify's callback checks its own bearer token (routes/notify.py), not a user's.
NOTIFY_CALLBACK = "/api/notify/callback"
NOTIFY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "FAMILYFLOW_NOTIFY_CALLBACK_TOKEN, as configured on GOV.UK Notify",
}


def errors_of(method: str, operation: dict[str, Any]) -> list[int]:
    body = "requestBody" in operation
    parameters = operation.get("parameters", [])
    # A path parameter names something, and so does a query filter by id (?case_id=).
    named = any(
        p.get("in") == "path" or (p.get("in") == "query" and str(p.get("name")).endswith("_id"))
        for p in parameters
    )
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    statuses = []
    if schemes:
        statuses.append(401)
    if "HTTPBearer" in schemes:  # a user: their role, or a session's CSRF token
        statuses.append(403)
    if named or body:
        statuses.append(404)
    if method in CHANGES:
        statuses.append(409)
    if body:
        statuses.append(413)
    if body or parameters:
        statuses.append(422)
    return statuses


def document(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    schemes = schema["components"].setdefault("securitySchemes", {})
    schemes["NotifyCallbackToken"] = NOTIFY_SCHEME
    for operation in schema.get("paths", {}).get(NOTIFY_CALLBACK, {}).values():
        operation["security"] = [{"NotifyCallbackToken": []}]
    for methods in schema.get("paths", {}).values():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            for status in errors_of(method, operation):
                responses[str(status)] = {
                    "description": MEANING[status],
                    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def declare_errors(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
