"""The control API under ``/_fake/``: JSON for tests and tools to drive and inspect the fake.

It goes through the same store, life cycle and clock as the service's own operations, never around
them. Errors are ``{"error": "..."}`` with a 4xx naming the field.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import openapi
from .clock import ClockIsNotManual
from .model import RECEIPT_CODES, IncomingMessage, Message
from .postbacks import Chaos, Postback
from .scenario_files import ScenarioError, build_scenario, read_scenario
from .service import Service
from .store import Account
from .values import normalise_phone, parse_guid


class ControlError(Exception):
    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def incoming_json(incoming: IncomingMessage) -> dict[str, Any]:
    return {
        "incoming_message_id": str(incoming.id),
        "license_key": str(incoming.license_key),
        "from": incoming.from_number,
        "to": incoming.to_number,
        "message": incoming.text,
        "matched_message_id": str(incoming.matched_message_id),
        "received_at": _iso(incoming.received_at),
        "read": incoming.read,
    }


def message_json(message: Message) -> dict[str, Any]:
    return {
        "message_id": str(message.id),
        "license_key": str(message.license_key),
        "to": message.to_number,
        "from": message.from_number,
        "message": message.text,
        "reference_id": message.reference_id,
        "status_postback_url": message.postback_url,
        "state": message.state.value,
        "segments": message.segments,
        "created_at": _iso(message.created_at),
        "scheduled_for": _iso(message.scheduled_for),
        "sent_at": _iso(message.sent_at),
        "replies": [incoming_json(reply) for reply in message.replies],
    }


def postback_json(postback: Postback) -> dict[str, Any]:
    return {
        "id": postback.id,
        "kind": postback.kind,
        "license_key": str(postback.license_key),
        "message_id": str(postback.message_id),
        "url": postback.url,
        "body": postback.body,
        "state": postback.state.value,
        "created_at": _iso(postback.created_at),
        "duplicate_of": postback.duplicate_of,
        "attempts": [
            {"number": a.number, "at": _iso(a.at), "status": a.status, "error": a.error, "latency_ms": a.latency_ms}
            for a in postback.attempts
        ],
    }


def account_json(account: Account) -> dict[str, Any]:
    return {
        "license_key": str(account.license_key),
        "dids": account.dids,
        "postback_url": account.postback_url,
        "suspended": account.suspended,
        "blocked": sorted(account.blocked),
        "messages": len(account.messages),
        "unread": len(account.unread),
    }


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ControlError(f"the body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def _key(value: object, name: str = "license_key") -> uuid.UUID:
    if not isinstance(value, str):
        raise ControlError(f"{name} is required: a GUID string")
    try:
        return parse_guid(value)
    except ValueError:
        raise ControlError(f"{name} {value!r} is not a GUID") from None


def _phone(value: object, name: str) -> str:
    number = normalise_phone(str(value)) if isinstance(value, str | int) else None
    if number is None:
        raise ControlError(f"{name} {value!r} is not a phone number")
    return number


def _account(service: Service, key: uuid.UUID) -> Account:
    account = service.store.account(key)
    if account is None:
        raise ControlError(f"license key {key} is not a valid account", 404)
    return account


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def messages(request: Request) -> Response:
    service = _service(request)
    key = request.query_params.get("license_key")
    if key is None:
        found = list(service.store.messages.values())
    else:
        account = service.store.accounts.get(_key(key))
        found = account.messages if account else []
    return JSONResponse([message_json(m) for m in found])


async def incoming_list(request: Request) -> Response:
    service = _service(request)
    key = request.query_params.get("license_key")
    accounts = service.store.accounts.values() if key is None else [service.store.accounts.get(_key(key))]
    return JSONResponse([incoming_json(i) for a in accounts if a for i in a.incoming])


async def incoming_post(request: Request) -> Response:
    service = _service(request)
    body = await _body(request)
    account = _account(service, _key(body.get("license_key")))
    text = body.get("message")
    if not isinstance(text, str):
        raise ControlError("message is required: the text the phone sends")
    to = _phone(body["to"], "to") if body.get("to") else None
    received = service.lifecycle.receive(account, _phone(body.get("from"), "from"), text, to)
    result = incoming_json(received.incoming) | {"auto_reply": received.auto_reply}
    return JSONResponse(result, status_code=201)


async def reset(request: Request) -> Response:
    service = _service(request)
    body = await _body(request)
    key = body.get("license_key") or request.query_params.get("license_key")
    service.reset(None if key is None else _key(key))
    return JSONResponse({"reset": "all" if key is None else str(_key(key))})


async def account_get(request: Request) -> Response:
    service = _service(request)
    key = _key(request.path_params["license_key"])
    account = service.store.accounts.get(key)
    if account is None:
        raise ControlError(f"no account for license key {key} yet", 404)
    return JSONResponse(account_json(account))


async def account_put(request: Request) -> Response:
    service = _service(request)
    key = _key(request.path_params["license_key"])
    body = await _body(request)
    dids, blocked, suspended = body.get("dids"), body.get("blocked"), body.get("suspended")
    postback_url = body.get("postback_url")
    if postback_url is not None and not isinstance(postback_url, str):
        raise ControlError("postback_url must be a URL string")
    if dids is not None and (not isinstance(dids, list) or not dids):
        raise ControlError("dids must be a non-empty list of phone numbers")
    if blocked is not None and not isinstance(blocked, list):
        raise ControlError("blocked must be a list of phone numbers")
    if suspended is not None and not isinstance(suspended, bool):
        raise ControlError("suspended must be true or false")
    try:
        account = service.store.declare(
            key,
            dids=[_phone(d, "dids[]") for d in dids] if dids else None,
            suspended=suspended,
            blocked=[_phone(b, "blocked[]") for b in blocked] if blocked is not None else None,
        )
    except ValueError as error:
        raise ControlError(str(error)) from None
    if "postback_url" in body:
        account.postback_url = postback_url or None
    return JSONResponse(account_json(account))


def _optional_key(request: Request, body: dict[str, Any] | None = None) -> uuid.UUID | None:
    value = (body or {}).get("license_key") or request.query_params.get("license_key")
    return None if value is None else _key(value)


def _number(value: object, name: str, default: float) -> float:
    if value is None:
        return default
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise ControlError(f"{name} must be a number, 0 or more")
    return float(value)


def _query_limit(request: Request) -> int | None:
    """``limit=N``: at most N results; 0 or absent, all of them."""
    limit = _query_number(request, "limit", 0.0)
    if not limit.is_integer():
        raise ControlError("limit must be a whole number, 0 or more")
    return int(limit) or None


def _query_number(request: Request, name: str, default: float) -> float:
    raw = request.query_params.get(name)
    try:
        return _number(None if raw is None else float(raw), name, default)
    except ValueError:
        raise ControlError(f"{name} must be a number, 0 or more") from None


async def postbacks(request: Request) -> Response:
    found = _service(request).postbacks.for_key(_optional_key(request))
    return JSONResponse([postback_json(p) for p in found])


async def postbacks_wait(request: Request) -> Response:
    """Long-poll until ``count`` postbacks have finished (or ``attempts`` attempts were made): 200 with
    the journal, or 408 with what there is."""
    dispatcher = _service(request).postbacks
    key = _optional_key(request)
    by_attempts = "attempts" in request.query_params
    count = int(_query_number(request, "attempts" if by_attempts else "count", 1))
    timeout = _query_number(request, "timeout", 5.0)
    reached = await dispatcher.wait(key, count, timeout, attempts=by_attempts)
    found = [postback_json(p) for p in dispatcher.for_key(key)]
    if reached:
        return JSONResponse(found)
    if by_attempts:
        error = f"only {dispatcher.attempts(key)} of {count} attempt(s) made"
    else:
        error = f"only {dispatcher.finished(key)} of {count} postback(s) finished"
    if dispatcher.stopping:
        return JSONResponse({"error": f"fake-cdyne is stopping: {error}", "postbacks": found}, status_code=503)
    return JSONResponse({"error": f"{error} within {timeout:g} s", "postbacks": found}, status_code=408)


async def postbacks_hold(request: Request) -> Response:
    key = _key((await _body(request)).get("license_key"))
    _service(request).postbacks.hold(key)
    return JSONResponse({"holding": str(key)})


async def postbacks_release(request: Request) -> Response:
    body = await _body(request)
    key = _key(body.get("license_key"))
    count = body.get("count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
        raise ControlError("count must be a whole number, 0 or more")
    released = _service(request).postbacks.release(key, count, newest_first=bool(body.get("newest_first")))
    return JSONResponse({"released": released})


async def postbacks_redeliver(request: Request) -> Response:
    """Queue failed postbacks again (one key's, or all): one more attempt each, on the same journal entry."""
    key = _optional_key(request, await _body(request))
    return JSONResponse({"redelivered": _service(request).postbacks.redeliver(key)})


async def postbacks_chaos(request: Request) -> Response:
    body = await _body(request)
    key = _key(body.get("license_key"))
    for flag in ("duplicate", "drop"):
        if not isinstance(body.get(flag, False), bool):
            raise ControlError(f"{flag} must be true or false")
    seed = body.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ControlError("seed must be a whole number")
    chaos = Chaos(
        duplicate=body.get("duplicate", False),
        drop=body.get("drop", False),
        delay=_number(body.get("delay"), "delay", 0.0),
        jitter=_number(body.get("jitter"), "jitter", 0.0),
        seed=seed,
    )
    _service(request).postbacks.set_chaos(key, chaos)
    return JSONResponse({"license_key": str(key)} | dataclasses.asdict(chaos))


def _message(service: Service, request: Request) -> Message:
    message_id = _key(request.path_params["message_id"], "message id")
    message = service.store.messages.get(message_id)
    if message is None:
        raise ControlError(f"no message {message_id}", 404)
    return message


async def message_refuse(request: Request) -> Response:
    service = _service(request)
    message = _message(service, request)
    attempts = (await _body(request)).get("attempts", 3)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= 100:
        raise ControlError("attempts must be a whole number from 1 to 100")
    service.lifecycle.refuse(message, attempts)
    return JSONResponse(message_json(message))


async def message_receipt(request: Request) -> Response:
    service = _service(request)
    message = _message(service, request)
    body = await _body(request)
    code = body.get("code", "000")
    if not isinstance(code, str) or not (len(code) == 3 and code.isdigit()):
        raise ControlError(f"code must be three digits, for example one of {', '.join(RECEIPT_CODES)}")
    description = body.get("message", RECEIPT_CODES.get(code, "Unknown"))
    if not isinstance(description, str):
        raise ControlError("message must be a string")
    service.lifecycle.receipt(message, code, description)
    return JSONResponse(message_json(message))


async def scenario_post(request: Request) -> Response:
    """Install a scenario for one license key: ``{"license_key", "scenario": {...}}`` or, to have
    problems reported with line numbers, ``{"license_key", "text": "<YAML>", "source": "name.yaml"}``."""
    service = _service(request)
    body = await _body(request)
    key = _key(body.get("license_key"))
    given = body.get("source")
    source = given if isinstance(given, str) else "scenario"
    try:
        if isinstance(body.get("text"), str):
            scenario = read_scenario(body["text"], source, for_key=key)
        elif isinstance(body.get("scenario"), dict):
            scenario = build_scenario(body["scenario"], source, for_key=key)
        else:
            raise ControlError("give the scenario as 'scenario' (an object) or 'text' (YAML or JSON)")
    except ScenarioError as error:
        return JSONResponse({"error": "the scenario is not valid", "problems": error.problems}, status_code=400)
    service.install_scenario(key, scenario)
    return JSONResponse({"license_key": str(key), "rules": len(scenario.rules), "accounts": len(scenario.accounts)})


async def scenario_delete(request: Request) -> Response:
    key = _key(request.query_params.get("license_key"))
    return JSONResponse({"license_key": str(key), "removed": _service(request).scenarios.remove(key)})


async def surprises(request: Request) -> Response:
    found = _service(request).scenarios.surprises_for(_optional_key(request))
    return JSONResponse([{"at": _iso(s.at), "license_key": str(s.license_key), "request": s.request} for s in found])


async def requests_log(request: Request) -> Response:
    found = _service(request).traffic.find(_optional_key(request), _query_limit(request))
    return JSONResponse([exchange.to_json() for exchange in found])


async def clock_get(request: Request) -> Response:
    service = _service(request)
    return JSONResponse(
        {"now": _iso(service.clock.now()), "manual": service.clock.manual, "pending": service.scheduler.pending}
    )


async def clock_advance(request: Request) -> Response:
    service = _service(request)
    seconds = (await _body(request)).get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        raise ControlError("seconds is required: a number of seconds, 0 or more")
    try:
        ran = service.scheduler.advance(seconds)
    except ClockIsNotManual as error:
        raise ControlError(str(error), 409) from None
    return JSONResponse({"now": _iso(service.clock.now()), "ran": ran})


async def inbox_json(request: Request) -> Response:
    from .inbox import conversations

    query = request.query_params.get("q", "")
    found = conversations(_service(request), _optional_key(request), query, _query_limit(request))
    return JSONResponse(found)


async def events(request: Request) -> Response:
    """Server-sent events: ``data: {"kind", "license_key"}`` whenever something changed."""
    hub = _service(request).events

    async def stream() -> AsyncIterator[str]:
        yield "retry: 1000\n: connected\n\n"
        async for notice in hub.subscribe():
            yield ": keep-alive\n\n" if notice is None else f"data: {notice}\n\n"

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


async def openapi_json(request: Request) -> Response:
    service = _service(request)
    base = str(request.base_url).rstrip("/")
    return JSONResponse(openapi.document(base, secured=service.config.control_token is not None))


async def errors(request: Request) -> Response:
    service = _service(request)
    return JSONResponse([{"at": _iso(e.at), "where": e.where, "error": e.error} for e in service.errors])


def control_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ControlError)
    return JSONResponse({"error": exc.detail}, status_code=exc.status)


routes = [
    Route("/health", health),
    Route("/messages", messages),
    Route("/incoming", incoming_list, methods=["GET"]),
    Route("/incoming", incoming_post, methods=["POST"]),
    Route("/reset", reset, methods=["POST"]),
    Route("/accounts/{license_key}", account_get, methods=["GET"]),
    Route("/accounts/{license_key}", account_put, methods=["PUT"]),
    Route("/messages/{message_id}/refuse", message_refuse, methods=["POST"]),
    Route("/messages/{message_id}/receipt", message_receipt, methods=["POST"]),
    Route("/postbacks", postbacks),
    Route("/postbacks/wait", postbacks_wait),
    Route("/postbacks/hold", postbacks_hold, methods=["POST"]),
    Route("/postbacks/release", postbacks_release, methods=["POST"]),
    Route("/postbacks/redeliver", postbacks_redeliver, methods=["POST"]),
    Route("/postbacks/chaos", postbacks_chaos, methods=["PUT"]),
    Route("/scenario", scenario_post, methods=["POST"]),
    Route("/scenario", scenario_delete, methods=["DELETE"]),
    Route("/surprises", surprises),
    Route("/requests", requests_log),
    Route("/clock", clock_get),
    Route("/clock/advance", clock_advance, methods=["POST"]),
    Route("/errors", errors),
    Route("/openapi.json", openapi_json),
    Route("/inbox", inbox_json),
    Route("/events", events),
]


class RequireToken:
    """When the fake has a control token, every control route but /health wants it as a bearer token."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.expected is not None and scope["type"] == "http" and not scope["path"].endswith("/health"):
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not secrets.compare_digest(given, self.expected):
                refusal = JSONResponse(
                    {"error": "the control API wants 'Authorization: Bearer <token>' (FAKE_CDYNE_CONTROL_TOKEN)"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
