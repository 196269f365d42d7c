"""The OpenAPI 3.1 document of the control API, served at ``/_fake/openapi.json``.

Built from one table of routes so that it stays short; a test checks that it names every route the
control API has, and that it is a valid OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from .inputs import ATTEMPTS, COUNT, SECONDS, SEED
from .version import __version__

DESCRIPTION = (
    "Drive and inspect the fake CDYNE SMS Notify! service. The service itself is at /sms.svc. "
    "Requests that change something (POST, PUT, DELETE) send their body as application/json (415 otherwise) "
    "and come from no page on another origin (403); the control API answers only to localhost, IP addresses "
    "and the names in FAKE_CDYNE_ALLOWED_HOSTS (421 otherwise)."
)
GUID = {"type": "string", "format": "uuid"}
TIME = {"type": ["string", "null"], "format": "date-time"}
KEY = ("license_key", "the account's license key (a GUID)")

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
            "messages": {"type": "integer"},
            "unread": {"type": "integer"},
        },
    },
}

# method, path, summary, query parameters (name, description, required), request body, response schema
ROUTES: list[tuple[str, str, str, list[tuple[str, str, bool]], dict[str, Any] | None, dict[str, Any] | None]] = [
    ("get", "/_fake/health", "Whether the fake is up", [], None, {"type": "object"}),
    (
        "get",
        "/_fake/messages",
        "Messages sent, oldest first",
        [(*KEY, False)],
        None,
        {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
    ),
    (
        "get",
        "/_fake/incoming",
        "Texts received from phones",
        [(*KEY, False)],
        None,
        {"type": "array", "items": {"$ref": "#/components/schemas/Incoming"}},
    ),
    (
        "post",
        "/_fake/incoming",
        "A phone texts the fake",
        [],
        {
            "required": ["license_key", "from", "message"],
            "properties": {
                "license_key": GUID,
                "from": {"type": "string"},
                "message": {"type": "string"},
                "to": {"type": "string"},
            },
        },
        {"$ref": "#/components/schemas/Incoming"},
    ),
    (
        "post",
        "/_fake/reset",
        "Forget everything, or one license key",
        [(*KEY, False)],
        {"properties": {"license_key": GUID}},
        {"type": "object"},
    ),
    ("get", "/_fake/accounts/{license_key}", "An account", [], None, {"$ref": "#/components/schemas/Account"}),
    (
        "put",
        "/_fake/accounts/{license_key}",
        "Declare or change an account",
        [],
        {
            "properties": {
                "dids": {"type": "array"},
                "suspended": {"type": "boolean"},
                "blocked": {"type": "array"},
                "postback_url": {"type": "string"},
            }
        },
        {"$ref": "#/components/schemas/Account"},
    ),
    (
        "post",
        "/_fake/messages/{message_id}/refuse",
        "The carrier refuses a message",
        [],
        {"properties": {"attempts": ATTEMPTS.schema()}},
        {"$ref": "#/components/schemas/Message"},
    ),
    (
        "post",
        "/_fake/messages/{message_id}/receipt",
        "A delivery receipt",
        [],
        {"properties": {"code": {"type": "string", "pattern": "^[0-9]{3}$"}, "message": {"type": "string"}}},
        {"$ref": "#/components/schemas/Message"},
    ),
    (
        "get",
        "/_fake/postbacks",
        "Every postback and its attempts",
        [(*KEY, False)],
        None,
        {"type": "array", "items": {"$ref": "#/components/schemas/Postback"}},
    ),
    (
        "get",
        "/_fake/postbacks/wait",
        "Wait until postbacks finish (408 after the timeout)",
        [
            (*KEY, False),
            ("count", "postbacks to wait for: 0 to 1,000,000", False),
            ("attempts", "or attempts to wait for: 0 to 1,000,000", False),
            ("timeout", "seconds: 0 to 3,600", False),
        ],
        None,
        {"type": "array", "items": {"$ref": "#/components/schemas/Postback"}},
    ),
    (
        "post",
        "/_fake/postbacks/hold",
        "Hold a key's postbacks",
        [],
        {"required": ["license_key"], "properties": {"license_key": GUID}},
        {"type": "object"},
    ),
    (
        "post",
        "/_fake/postbacks/release",
        "Release held postbacks",
        [],
        {
            "required": ["license_key"],
            "properties": {"license_key": GUID, "count": COUNT.schema(), "newest_first": {"type": "boolean"}},
        },
        {"type": "object"},
    ),
    (
        "post",
        "/_fake/postbacks/redeliver",
        "Queue failed postbacks again (a key's, or all): one more attempt each, on the same journal entry",
        [],
        {"properties": {"license_key": GUID}},
        {"type": "object", "properties": {"redelivered": {"type": "integer"}}},
    ),
    (
        "put",
        "/_fake/postbacks/chaos",
        "Duplicate, drop or delay a key's postbacks",
        [],
        {
            "required": ["license_key"],
            "properties": {
                "license_key": GUID,
                "duplicate": {"type": "boolean"},
                "drop": {"type": "boolean"},
                "delay": SECONDS.schema(),
                "jitter": SECONDS.schema(),
                "seed": SEED.schema(),
            },
        },
        {"type": "object"},
    ),
    (
        "post",
        "/_fake/scenario",
        "Apply a scenario to one license key",
        [],
        {
            "required": ["license_key"],
            "properties": {
                "license_key": GUID,
                "scenario": {"type": "object"},
                "text": {"type": "string"},
                "source": {"type": "string"},
            },
        },
        {"type": "object"},
    ),
    ("delete", "/_fake/scenario", "Drop a key's scenario", [(*KEY, True)], None, {"type": "object"}),
    (
        "get",
        "/_fake/surprises",
        "Requests no rule of a strict scenario matched",
        [(*KEY, False)],
        None,
        {"type": "array"},
    ),
    (
        "get",
        "/_fake/requests",
        "The newest requests to /sms.svc and their answers, oldest first",
        [(*KEY, False), ("limit", "only the newest this many", False)],
        None,
        {"type": "array", "items": {"$ref": "#/components/schemas/Request"}},
    ),
    ("get", "/_fake/clock", "The fake's time", [], None, {"type": "object"}),
    (
        "post",
        "/_fake/clock/advance",
        "Move a manual clock",
        [],
        {"required": ["seconds"], "properties": {"seconds": SECONDS.schema()}},
        {"type": "object"},
    ),
    (
        "get",
        "/_fake/settings",
        "The settings in effect: the configuration with scenario files' defaults applied",
        [],
        None,
        {"type": "object"},
    ),
    ("get", "/_fake/errors", "Failures inside the fake", [], None, {"type": "array"}),
    ("get", "/_fake/openapi.json", "This document", [], None, {"type": "object"}),
    (
        "get",
        "/_fake/inbox",
        "Conversations, for the web inbox",
        [(*KEY, False), ("q", "a phone number or text to look for", False)],
        None,
        {"type": "array"},
    ),
    ("get", "/_fake/events", "Server-sent events: a notice whenever something changed", [], None, {"type": "string"}),
]


def _operation(
    summary: str,
    query: list[tuple[str, str, bool]],
    body: dict[str, Any] | None,
    result: dict[str, Any] | None,
    path: str,
) -> dict[str, Any]:
    parameters = [
        {"name": name, "in": "query", "required": required, "description": text, "schema": {"type": "string"}}
        for name, text, required in query
    ] + [
        {"name": name, "in": "path", "required": True, "schema": GUID}
        for name in ("license_key", "message_id")
        if "{" + name + "}" in path
    ]
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {
            "200": {"description": "done", "content": {"application/json": {"schema": result or {}}}},
            "4XX": {
                "description": "refused",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        },
    }
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        schema = {"type": "object", **body}
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    return operation


def document(server_url: str, *, secured: bool) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, summary, query, body, result in ROUTES:
        paths.setdefault(path, {})[method] = _operation(summary, query, body, result, path)
    components: dict[str, Any] = {"schemas": SCHEMAS}
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "fake-cdyne control API",
            "version": __version__,
            "description": DESCRIPTION,
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": components,
    }
    if secured:
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        doc["security"] = [{"bearer": []}]
        paths["/_fake/health"]["get"]["security"] = []
    return doc
