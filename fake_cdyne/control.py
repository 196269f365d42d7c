"""The control API under ``/_fake/``: JSON for tests and tools to drive and inspect the fake.

It goes through the same store, life cycle and clock as the service's own operations, never around
them. Errors are ``{"error": "..."}`` with a 4xx naming the field.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .clock import ClockIsNotManual
from .model import IncomingMessage, Message
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


def account_json(account: Account) -> dict[str, Any]:
    return {
        "license_key": str(account.license_key),
        "dids": account.dids,
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
    service.store.reset(None if key is None else _key(key))
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
    return JSONResponse(account_json(account))


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
    Route("/clock", clock_get),
    Route("/clock/advance", clock_advance, methods=["POST"]),
    Route("/errors", errors),
]
