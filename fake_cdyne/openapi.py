"""The OpenAPI 3.1 document of the control API, served at ``/_fake/openapi.json``.

Made from the control API's one table of routes (``control.TABLE``, declared with ``routing``): each
route's inputs give its parameters and body, with their kinds' ranges; a test checks that the
document is valid and names every route served.
"""

from __future__ import annotations

from typing import Any

from .routing import ControlRoute, Input
from .version import __version__

DESCRIPTION = (
    "Drive and inspect the fake CDYNE SMS Notify! service. The service itself is at /sms.svc. "
    "Requests that change something (POST, PUT, DELETE) send their body as application/json (415 otherwise) "
    "and come from no page on another origin (403); the control API answers only to localhost, IP addresses "
    "and the names in FAKE_CDYNE_ALLOWED_HOSTS (421 otherwise)."
)
GUID = {"type": "string", "format": "uuid"}
TIME = {"type": ["string", "null"], "format": "date-time"}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "properties": {"error": {"type": "string"}, "problems": {"type": "array"}}},
    "Incoming": {
        "type": "object",
        "properties": {
            "incoming_message_id": GUID,
            "license_key": GUID,
            "from": {"type": "string"},
            "to": {"type": "string"},
            "message": {"type": "string"},
            "matched_message_id": GUID,
            "received_at": TIME,
            "read": {"type": "boolean"},
            "auto_reply": {"type": ["string", "null"]},
            "subject": {"type": ["string", "null"]},
            "attachments": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "Message": {
        "type": "object",
        "properties": {
            "message_id": GUID,
            "license_key": GUID,
            "to": {"type": "string"},
            "from": {"type": "string"},
            "message": {"type": "string"},
            "reference_id": {"type": ["string", "null"]},
            "status_postback_url": {"type": ["string", "null"]},
            "state": {"enum": ["scheduled", "queued", "sent", "cancelled"]},
            "segments": {"type": "integer"},
            "created_at": TIME,
            "scheduled_for": TIME,
            "sent_at": TIME,
            "replies": {"type": "array", "items": {"$ref": "#/components/schemas/Incoming"}},
        },
    },
    "Postback": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"enum": ["sent", "refused", "reply", "receipt"]},
            "license_key": GUID,
            "message_id": GUID,
            "url": {"type": "string"},
            "body": {"type": "string"},
            "state": {"enum": ["pending", "held", "sending", "retrying", "delivered", "failed", "dropped"]},
            "created_at": TIME,
            "duplicate_of": {"type": ["integer", "null"]},
            "attempts": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Request": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "at": TIME,
            "method": {"type": "string"},
            "path": {"type": "string"},
            "query": {"type": "string"},
            "headers": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
            "body": {"type": "string", "description": "the first 16 KiB, as UTF-8"},
            "body_bytes": {"type": "integer"},
            "status": {"type": ["integer", "null"], "description": "null: not answered, or the connection closed"},
            "response": {"type": "string", "description": "the first 16 KiB, as UTF-8"},
            "response_bytes": {"type": "integer"},
            "summary": {"type": "string", "description": "the answer in a few words: SMSErrors, or the error page"},
        },
    },
    "Account": {
        "type": "object",
        "properties": {
            "license_key": GUID,
            "dids": {"type": "array", "items": {"type": "string"}},
            "postback_url": {"type": ["string", "null"]},
            "suspended": {"type": "boolean"},
            "blocked": {"type": "array", "items": {"type": "string"}},
            "short_codes": {"type": "array", "items": {"type": "string"}},
            "messages": {"type": "integer"},
            "unread": {"type": "integer"},
        },
    },
}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def array(name: str) -> dict[str, Any]:
    return {"type": "array", "items": ref(name)}


def _parameter(declared: Input, where: str) -> dict[str, Any]:
    described = f"{declared.note}: {declared.kind.describe()}" if declared.note else declared.kind.describe()
    return {
        "name": declared.name,
        "in": where,
        "required": declared.required or where == "path",
        "description": described,
        "schema": declared.schema or declared.kind.schema(),
    }


def _operation(route: ControlRoute) -> dict[str, Any]:
    parameters = [_parameter(i, where) for i in route.inputs for where in i.where if where != "body"]
    operation: dict[str, Any] = {
        "summary": route.summary,
        "responses": {
            str(route.status): {"description": "done", "content": {"application/json": {"schema": route.answer or {}}}},
            "4XX": {"description": "refused", "content": {"application/json": {"schema": ref("Error")}}},
        },
    }
    if parameters:
        operation["parameters"] = parameters
    members = [i for i in route.inputs if "body" in i.where]
    if members:
        schema: dict[str, Any] = {"type": "object"}
        required = [i.name for i in members if i.required]
        if required:
            schema["required"] = required
        schema["properties"] = {i.name: _member(i) for i in members}
        content = {"application/json": {"schema": schema}}
        operation["requestBody"] = {"required": bool(required), "content": content}  # else no body is {}
    if route.open:
        operation["security"] = []
    return operation


def _member(declared: Input) -> dict[str, Any]:
    schema = dict(declared.schema or declared.kind.schema())
    schema["description"] = (
        f"{declared.note}: {declared.kind.describe()}" if declared.note else declared.kind.describe()
    )
    return schema


def document(table: list[ControlRoute], server_url: str, *, secured: bool) -> dict[str, Any]:
    """The document for a table of control routes (each under /_fake), served at ``server_url``."""
    paths: dict[str, dict[str, Any]] = {}
    for route in table:
        operation = _operation(route)
        if not secured:
            operation.pop("security", None)
        paths.setdefault(f"/_fake{route.path}", {})[route.method.lower()] = operation
    components: dict[str, Any] = {"schemas": SCHEMAS}
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "fake-cdyne control API", "version": __version__, "description": DESCRIPTION},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": components,
    }
    if secured:
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        doc["security"] = [{"bearer": []}]
    return doc
