"""The control API under ``/_fake/``: JSON for tests and tools to drive and inspect the fake.

It goes through the same store, life cycle and clock as the service's own operations, never around
them. Its inputs are declared in ``inputs`` (each a kind of value with its range); errors are
``{"error": "..."}`` with a 4xx naming the field. ``guard`` decides who may call it.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from . import openapi
from .clock import ClockIsNotManual, ClockOutOfRange
from .inputs import (
    ATTEMPTS,
    COUNT,
    FLAG,
    KEY,
    OBJECT,
    PHONE,
    SECONDS,
    SEED,
    TEXT,
    WAIT,
    ControlError,
    Fields,
    Phones,
    Text,
    read_json,
)
from .model import RECEIPT_CODES, Message
from .postbacks import Chaos
from .scenario_files import ScenarioError, build_scenario, read_scenario
from .service import Service
from .store import Account
from .views import account_json, incoming_json, iso, message_json, postback_json


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def _body(request: Request) -> Fields:
    return read_json(await request.body())


def _query(request: Request) -> Fields:
    return Fields(request.query_params, text=True)


def _optional_key(request: Request) -> uuid.UUID | None:
    return _query(request).optional("license_key", KEY)


def _limit(request: Request) -> int | None:
    """``limit=N``: at most N results; 0 or absent, all of them."""
    return _query(request).get("limit", COUNT, 0) or None


def _account(service: Service, key: uuid.UUID) -> Account:
    account = service.store.account(key)
    if account is None:
        raise ControlError(f"license key {key} is not a valid account", 404)
    return account


def _message(service: Service, request: Request) -> Message:
    message_id = KEY.read_text("message id", request.path_params["message_id"])
    message = service.store.message(message_id)
    if message is None:
        raise ControlError(f"no message {message_id}", 404)
    return message


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def messages(request: Request) -> Response:
    found = _service(request).store.messages_of(_optional_key(request))
    return JSONResponse([message_json(m) for m in found])


async def incoming_list(request: Request) -> Response:
    found = _service(request).store.incoming_of(_optional_key(request))
    return JSONResponse([incoming_json(i) for i in found])


async def incoming_post(request: Request) -> Response:
    service = _service(request)
    body = await _body(request)
    account = _account(service, body.need("license_key", KEY))
    text = body.need("message", TEXT)
    received = service.lifecycle.receive(account, body.need("from", PHONE), text, body.optional("to", PHONE))
    result = incoming_json(received.incoming) | {"auto_reply": received.auto_reply}
    return JSONResponse(result, status_code=201)


async def reset(request: Request) -> Response:
    """Only an absent license key means every key: an empty, null or wrong one is a 400."""
    body = await _body(request)
    key = (body if "license_key" in body else _query(request)).optional("license_key", KEY)
    _service(request).reset(key)
    return JSONResponse({"reset": "all" if key is None else str(key)})


async def account_get(request: Request) -> Response:
    service = _service(request)
    key = KEY.read_text("license_key", request.path_params["license_key"])
    account = service.store.find(key)
    if account is None:
        raise ControlError(f"no account for license key {key} yet", 404)
    return JSONResponse(account_json(account))


async def account_put(request: Request) -> Response:
    service = _service(request)
    key = KEY.read_text("license_key", request.path_params["license_key"])
    body = await _body(request)
    postback_url = body.optional("postback_url", Text(null_is_empty=True))
    try:
        account = service.store.declare(
            key,
            dids=body.optional("dids", Phones(empty=False)),
            suspended=body.optional("suspended", FLAG),
            blocked=body.optional("blocked", Phones()),
            postback_url=postback_url,
        )
    except ValueError as error:
        raise ControlError(str(error)) from None
    return JSONResponse(account_json(account))


async def postbacks(request: Request) -> Response:
    found = _service(request).postbacks.for_key(_optional_key(request))
    return JSONResponse([postback_json(p) for p in found])


async def postbacks_wait(request: Request) -> Response:
    """Long-poll until ``count`` postbacks have finished (or ``attempts`` attempts were made): 200 with
    the journal, or 408 with what there is."""
    dispatcher = _service(request).postbacks
    query = _query(request)
    key = query.optional("license_key", KEY)
    by_attempts = "attempts" in query
    count = query.get("attempts" if by_attempts else "count", COUNT, 1)
    timeout = query.get("timeout", WAIT, 5.0)
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
    key = (await _body(request)).need("license_key", KEY)
    _service(request).postbacks.hold(key)
    return JSONResponse({"holding": str(key)})


async def postbacks_release(request: Request) -> Response:
    body = await _body(request)
    key = body.need("license_key", KEY)
    count = body.optional("count", COUNT)
    newest_first = body.get("newest_first", FLAG, False)
    released = _service(request).postbacks.release(key, count, newest_first=newest_first)
    return JSONResponse({"released": released})


async def postbacks_redeliver(request: Request) -> Response:
    """Queue failed postbacks again (one key's, or all): one more attempt each, on the same journal entry."""
    body = await _body(request)
    key = (body if "license_key" in body else _query(request)).optional("license_key", KEY)
    return JSONResponse({"redelivered": _service(request).postbacks.redeliver(key)})


async def postbacks_chaos(request: Request) -> Response:
    body = await _body(request)
    key = body.need("license_key", KEY)
    chaos = Chaos(
        duplicate=body.get("duplicate", FLAG, False),
        drop=body.get("drop", FLAG, False),
        delay=body.get("delay", SECONDS, 0.0),
        jitter=body.get("jitter", SECONDS, 0.0),
        seed=body.get("seed", SEED, 0),
    )
    _service(request).postbacks.set_chaos(key, chaos)
    return JSONResponse({"license_key": str(key)} | dataclasses.asdict(chaos))


async def message_refuse(request: Request) -> Response:
    service = _service(request)
    message = _message(service, request)
    service.lifecycle.refuse(message, (await _body(request)).get("attempts", ATTEMPTS, 3))
    return JSONResponse(message_json(message))


async def message_receipt(request: Request) -> Response:
    service = _service(request)
    message = _message(service, request)
    body = await _body(request)
    code = body.get("code", TEXT, "000")
    if not (len(code) == 3 and code.isascii() and code.isdigit()):
        raise ControlError(f"code must be three digits, for example one of {', '.join(RECEIPT_CODES)}")
    service.lifecycle.receipt(message, code, body.get("message", TEXT, RECEIPT_CODES.get(code, "Unknown")))
    return JSONResponse(message_json(message))


async def scenario_post(request: Request) -> Response:
    """Install a scenario for one license key: ``{"license_key", "scenario": {...}}`` or, to have
    problems reported with line numbers, ``{"license_key", "text": "<YAML>", "source": "name.yaml"}``."""
    service = _service(request)
    body = await _body(request)
    key = body.need("license_key", KEY)
    source = body.get("source", TEXT, "scenario")
    if ("text" in body) == ("scenario" in body):
        raise ControlError("give the scenario as 'scenario' (an object) or as 'text' (YAML or JSON), one of them")
    try:
        if "text" in body:
            scenario = read_scenario(body.need("text", TEXT), source, for_key=key)
        else:
            scenario = build_scenario(body.need("scenario", OBJECT), source, for_key=key)
    except ScenarioError as error:
        return JSONResponse({"error": "the scenario is not valid", "problems": error.problems}, status_code=400)
    service.install_scenario(key, scenario)
    return JSONResponse({"license_key": str(key), "rules": len(scenario.rules), "accounts": len(scenario.accounts)})


async def scenario_delete(request: Request) -> Response:
    key = _query(request).need("license_key", KEY)
    return JSONResponse({"license_key": str(key), "removed": _service(request).scenarios.remove(key)})


async def surprises(request: Request) -> Response:
    found = _service(request).scenarios.surprises_for(_optional_key(request))
    return JSONResponse([{"at": iso(s.at), "license_key": str(s.license_key), "request": s.request} for s in found])


async def requests_log(request: Request) -> Response:
    found = _service(request).traffic.find(_optional_key(request), _limit(request))
    return JSONResponse([exchange.to_json() for exchange in found])


async def clock_get(request: Request) -> Response:
    service = _service(request)
    return JSONResponse(
        {"now": iso(service.clock.now()), "manual": service.clock.manual, "pending": service.scheduler.pending}
    )


async def clock_advance(request: Request) -> Response:
    service = _service(request)
    seconds = (await _body(request)).need("seconds", SECONDS)
    try:
        ran = service.scheduler.advance(seconds)
    except ClockIsNotManual as error:
        raise ControlError(str(error), 409) from None
    except ClockOutOfRange as error:
        raise ControlError(f"seconds: {error}") from None
    return JSONResponse({"now": iso(service.clock.now()), "ran": ran})


async def inbox_json(request: Request) -> Response:
    from .inbox import conversations

    query = _query(request).get("q", TEXT, "")
    found = conversations(_service(request), _optional_key(request), query, _limit(request))
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


async def settings(request: Request) -> Response:
    """The settings in effect (scenario files' defaults applied); the control token only as "(set)"."""
    shown = dataclasses.asdict(_service(request).config)
    shown["control_token"] = "(set)" if shown["control_token"] is not None else None
    return JSONResponse(shown)


async def errors(request: Request) -> Response:
    service = _service(request)
    return JSONResponse([{"at": iso(e.at), "where": e.where, "error": e.error} for e in service.errors])


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
    Route("/settings", settings),
    Route("/errors", errors),
    Route("/openapi.json", openapi_json),
    Route("/inbox", inbox_json),
    Route("/events", events),
]
