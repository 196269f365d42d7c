"""The control API under ``/_fake/``: JSON for tests and tools to drive and inspect the fake.

It goes through the same store, life cycle and clock as the service's own operations, never around
them. ``TABLE`` at the end declares every route once (``routing``), the inbox's data routes among
them: its inputs (kinds of value from ``inputs``, with their ranges), handler and answer; the Starlette
routes and the OpenAPI document are both made from it. Errors are ``{"error": "..."}`` with a 4xx
naming the field. ``guard`` decides who may call it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import openapi
from ..inbox import TABLE as INBOX_TABLE
from ..inputs import (
    ARRAY,
    ATTACHMENTS,
    ATTEMPTS,
    COUNT,
    FLAG,
    KEY,
    NAME,
    OBJECT,
    PHONE,
    SECONDS,
    SEED,
    TEXT,
    WAIT,
    ControlError,
    Phones,
    ShortCodes,
    Text,
    Whole,
)
from ..metrics import MEDIA_TYPE as METRICS_TYPE
from ..openapi import array, ref
from ..persist.state import KINDS
from ..routing import Call, ControlRoute, Input, body, path, query, starlette_routes
from .handlers import (
    account_get,
    account_put,
    clock_advance,
    clock_get,
    errors,
    events,
    health,
    inbox_json,
    incoming_list,
    incoming_post,
    media_get,
    message_receipt,
    message_refuse,
    messages,
    metrics,
    postbacks,
    postbacks_chaos,
    postbacks_hold,
    postbacks_redeliver,
    postbacks_release,
    postbacks_wait,
    requests_log,
    reset,
    scenario_delete,
    scenario_post,
    settings,
    surprises,
)
from .pages import PAGED
from .snapshots import snapshot_delete, snapshot_restore, snapshot_take, snapshots_list, state_get, state_put


async def openapi_json(call: Call) -> Response:
    base = str(call.request.base_url).rstrip("/")
    return call.answer(openapi.document(TABLE, base, secured=call.service.config.control_token is not None))


def control_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ControlError)
    return JSONResponse({"error": exc.detail}, status_code=exc.status)


# ---- the table: each route once ----------------------------------------------------------------

BY_KEY = query("license_key", KEY, note="the account's license key (a GUID); all keys without it")
KEY_IN_PATH = path("license_key", KEY)
NEEDS_KEY = body("license_key", KEY, required=True)
# A reset's or a redelivery's key: from the body, else the query; absent means every key.
ANY_KEY = Input("license_key", KEY, ("body", "query"), note="one license key; every key without it")
LIMIT = query("limit", COUNT, 0, "only the newest this many (0: all)")
OBJ = {"type": "object"}
MEDIA_ID = Whole(2**63 - 1, low=1)
SNAPSHOT = path("name", NAME)

TABLE: list[ControlRoute] = [
    ControlRoute("GET", "/health", "Whether the fake is up", health, answer=OBJ, open=True),
    ControlRoute(
        "GET",
        "/messages",
        "Messages sent, oldest first, a page at a time",
        messages,
        (BY_KEY, *PAGED),
        array("Message"),
    ),
    ControlRoute(
        "GET",
        "/incoming",
        "Texts received from phones, oldest first, a page at a time",
        incoming_list,
        (BY_KEY, *PAGED),
        array("Incoming"),
    ),
    ControlRoute(
        "POST",
        "/incoming",
        "A phone texts the fake (an MMS: with a subject or attachments)",
        incoming_post,
        (
            NEEDS_KEY,
            body("message", TEXT, required=True),
            body("from", PHONE, required=True),
            body("to", PHONE),
            body("subject", TEXT, note="an MMS's subject"),
            body("attachments", ATTACHMENTS, [], note="an MMS's parts, kept as the account's media"),
        ),
        ref("Incoming"),
        status=201,
    ),
    ControlRoute(
        "GET",
        "/media/{media_id}",
        "A media file's bytes (an MMS part or an upload), as its MIME type",
        media_get,
        (path("media_id", MEDIA_ID, "media id"), query("license_key", KEY, note="only this key's media")),
        {"type": "string", "format": "binary"},
    ),
    ControlRoute("POST", "/reset", "Forget everything, or one license key", reset, (ANY_KEY,), OBJ),
    ControlRoute("GET", "/accounts/{license_key}", "An account", account_get, (KEY_IN_PATH,), ref("Account")),
    ControlRoute(
        "PUT",
        "/accounts/{license_key}",
        "Declare or change an account",
        account_put,
        (
            KEY_IN_PATH,
            body("postback_url", Text(null_is_empty=True), note="null or empty: none"),
            body("dids", Phones(empty=False)),
            body("suspended", FLAG),
            body("blocked", Phones()),
            body("short_codes", ShortCodes(), note="the short codes keywords may be assigned on"),
        ),
        ref("Account"),
    ),
    ControlRoute(
        "POST",
        "/messages/{message_id}/refuse",
        "The carrier refuses a message",
        message_refuse,
        (path("message_id", KEY, "message id"), body("attempts", ATTEMPTS, 3)),
        ref("Message"),
    ),
    ControlRoute(
        "POST",
        "/messages/{message_id}/receipt",
        "A delivery receipt",
        message_receipt,
        (
            path("message_id", KEY, "message id"),
            body("code", TEXT, "000", schema={"type": "string", "pattern": "^[0-9]{3}$"}),
            body("message", TEXT, note="the receipt's description; by default CDYNE's for the code"),
        ),
        ref("Message"),
    ),
    ControlRoute(
        "GET",
        "/postbacks",
        "Every postback and its attempts, oldest first, a page at a time",
        postbacks,
        (BY_KEY, *PAGED),
        array("Postback"),
    ),
    ControlRoute(
        "GET",
        "/postbacks/wait",
        "Wait until postbacks finish (408 after the timeout)",
        postbacks_wait,
        (
            BY_KEY,
            query("count", COUNT, 1, "postbacks to wait for"),
            query("attempts", COUNT, 1, "or attempts to wait for"),
            query("timeout", WAIT, 5.0, "seconds to wait"),
        ),
        array("Postback"),
    ),
    ControlRoute("POST", "/postbacks/hold", "Hold a key's postbacks", postbacks_hold, (NEEDS_KEY,), OBJ),
    ControlRoute(
        "POST",
        "/postbacks/release",
        "Release held postbacks",
        postbacks_release,
        (NEEDS_KEY, body("count", COUNT, note="how many; all without it"), body("newest_first", FLAG, False)),
        OBJ,
    ),
    ControlRoute(
        "POST",
        "/postbacks/redeliver",
        "Queue failed postbacks again (a key's, or all): one more attempt each, on the same journal entry",
        postbacks_redeliver,
        (ANY_KEY,),
        {"type": "object", "properties": {"redelivered": {"type": "integer"}}},
    ),
    ControlRoute(
        "PUT",
        "/postbacks/chaos",
        "Duplicate, drop or delay a key's postbacks",
        postbacks_chaos,
        (
            NEEDS_KEY,
            body("duplicate", FLAG, False),
            body("drop", FLAG, False),
            body("delay", SECONDS, 0.0),
            body("jitter", SECONDS, 0.0),
            body("seed", SEED, 0),
        ),
        OBJ,
    ),
    ControlRoute(
        "POST",
        "/scenario",
        "Apply a scenario to one license key",
        scenario_post,
        (
            NEEDS_KEY,
            body("source", TEXT, "scenario", note="the name problems are reported under"),
            body("text", TEXT, note="the scenario as YAML or JSON text; or give 'scenario'"),
            body("scenario", OBJECT, note="the scenario as an object; or give 'text'"),
        ),
        OBJ,
    ),
    ControlRoute(
        "DELETE",
        "/scenario",
        "Drop a key's scenario",
        scenario_delete,
        (query("license_key", KEY, required=True),),
        OBJ,
    ),
    ControlRoute(
        "GET", "/surprises", "Requests no rule of a strict scenario matched", surprises, (BY_KEY,), {"type": "array"}
    ),
    ControlRoute(
        "GET",
        "/requests",
        "The newest requests to /sms.svc and their answers, oldest first",
        requests_log,
        (BY_KEY, LIMIT),
        array("Request"),
    ),
    ControlRoute("GET", "/clock", "The fake's time", clock_get, answer=OBJ),
    ControlRoute(
        "POST", "/clock/advance", "Move a manual clock", clock_advance, (body("seconds", SECONDS, required=True),), OBJ
    ),
    ControlRoute(
        "GET",
        "/settings",
        "The settings in effect: the configuration with scenario files' defaults applied",
        settings,
        answer=OBJ,
    ),
    ControlRoute(
        "GET",
        "/errors",
        "The newest failures inside the fake, oldest first, a page at a time",
        errors,
        PAGED,
        {"type": "array"},
    ),
    ControlRoute("GET", "/state", "The whole state as a document (fake-cdyne export)", state_get, answer=OBJ),
    ControlRoute(
        "PUT",
        "/state",
        "Replace the whole state with a document (fake-cdyne import); a bad one changes nothing",
        state_put,
        (
            body("format", TEXT, required=True, note="fake-cdyne state"),
            body("version", COUNT, required=True),
            body("taken_at", TEXT, required=True, note="what was due by then had happened"),
            body("clock", OBJECT),
            body("next_media_id", MEDIA_ID, note="the MediaId the next media file gets"),
            *(body(kind.name, ARRAY, note=f"{kind.cls.__name__} records") for kind in KINDS),
        ),
        OBJ,
    ),
    ControlRoute("GET", "/snapshots", "The snapshots kept", snapshots_list, answer={"type": "array"}),
    ControlRoute(
        "POST", "/snapshots/{name}", "Keep the state as a snapshot", snapshot_take, (SNAPSHOT,), OBJ, status=201
    ),
    ControlRoute(
        "POST",
        "/snapshots/{name}/restore",
        "Make a snapshot the state again (what was scheduled then is armed again)",
        snapshot_restore,
        (SNAPSHOT,),
        OBJ,
    ),
    ControlRoute("DELETE", "/snapshots/{name}", "Forget a snapshot", snapshot_delete, (SNAPSHOT,), OBJ),
    ControlRoute("GET", "/openapi.json", "This document", openapi_json, answer=OBJ),
    ControlRoute(
        "GET",
        "/metrics",
        "Counts in Prometheus's text format: requests by service, surface, operation and status, SMSErrors, "
        "latency histograms, postbacks by kind and state, the store's size",
        metrics,
        answer={"type": "string"},
        media_type=METRICS_TYPE,
    ),
    ControlRoute(
        "GET",
        "/inbox",
        "Conversations, for the web inbox",
        inbox_json,
        (BY_KEY, query("q", TEXT, "", "a phone number or text to look for"), LIMIT),
        {"type": "array"},
    ),
    *INBOX_TABLE,
    ControlRoute(
        "GET", "/events", "Server-sent events: a notice whenever something changed", events, answer={"type": "string"}
    ),
]

routes = starlette_routes(TABLE)
OPEN_PATHS = tuple(route.path for route in TABLE if route.open)  # the guard lets these through
