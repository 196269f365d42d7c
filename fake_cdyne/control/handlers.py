"""The control API's handlers: each reads its inputs from a ``Call`` by name, as its route declares them."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from urllib.parse import quote

from starlette.responses import JSONResponse, Response, StreamingResponse

from ..clock import ClockIsNotManual, ClockOutOfRange
from ..inputs import ControlError
from ..model import RECEIPT_CODES, Message
from ..postbacks import Chaos
from ..routing import Call
from ..scenario_files import ScenarioError, build_scenario, read_scenario
from ..store import Account
from ..views import account_json, incoming_json, iso, message_json, postback_json


def _account(call: Call) -> Account:
    key = call["license_key"]
    account = call.service.store.account(key)
    if account is None:
        raise ControlError(f"license key {key} is not a valid account", 404)
    return account


def _message(call: Call) -> Message:
    message_id = call["message_id"]
    message = call.service.store.message(message_id)
    if message is None:
        raise ControlError(f"no message {message_id}", 404)
    return message


async def health(call: Call) -> Response:
    return call.answer({"status": "ok"})


async def messages(call: Call) -> Response:
    return call.answer([message_json(m) for m in call.service.store.messages_of(call["license_key"])])


async def incoming_list(call: Call) -> Response:
    return call.answer([incoming_json(i) for i in call.service.store.incoming_of(call["license_key"])])


async def incoming_post(call: Call) -> Response:
    """A phone texts the account; with ``subject`` or ``attachments``, an MMS whose parts become media."""
    account = _account(call)
    text, subject, parts = call["message"], call["subject"], call["attachments"]
    limit = call.service.config.max_media_bytes
    for index, (_, _, content) in enumerate(parts):
        if len(content) > limit:
            size = f"attachments[{index}] is {len(content):,} bytes"
            raise ControlError(f"{size}; the limit is {limit:,} (max_media_bytes)")
    ids = tuple(call.service.messaging.media.add_received(account.license_key, parts))
    lifecycle = call.service.lifecycle
    received = lifecycle.receive(account, call["from"], text, call["to"], subject=subject, attachments=ids)
    return call.answer(incoming_json(received.incoming) | {"auto_reply": received.auto_reply})


SHOWN_INLINE = ("image/", "audio/", "video/", "text/plain")  # other media types download


def media_headers(file_name: str, mime_type: str) -> dict[str, str]:
    """How the control API hands out a media file: shown inline only for pictures, sound, video and
    plain text, always sandboxed (a file that is HTML or SVG runs no script as the fake's page)."""
    shown = "inline" if mime_type.startswith(SHOWN_INLINE) else "attachment"
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in file_name) or "media"
    return {
        "Content-Disposition": f"{shown}; filename=\"{plain}\"; filename*=UTF-8''{quote(file_name, safe='')}",
        "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; media-src 'self'",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


async def media_get(call: Call) -> Response:
    """A media file's bytes (an MMS part, an upload), as its MIME type; a page cannot run as the fake's."""
    media_id, key = call["media_id"], call["license_key"]
    store = call.service.store.media
    item = store.find(media_id) if key is None else store.get(key, media_id)
    if item is None:
        raise ControlError(f"no media {media_id}" + (f" of license key {key}" if key else ""), 404)
    if item.content is None:
        raise ControlError(f"media {media_id} was recorded from {item.url} without its bytes", 404)
    return Response(item.content, media_type=item.mime_type, headers=media_headers(item.file_name, item.mime_type))


async def reset(call: Call) -> Response:
    """Only an absent license key means every key: an empty, null or wrong one is a 400."""
    key = call["license_key"]
    call.service.reset(key)
    return call.answer({"reset": "all" if key is None else str(key)})


async def account_get(call: Call) -> Response:
    key = call["license_key"]
    account = call.service.store.find(key)
    if account is None:
        raise ControlError(f"no account for license key {key} yet", 404)
    return call.answer(account_json(account))


async def account_put(call: Call) -> Response:
    key = call["license_key"]
    postback_url = call["postback_url"]
    try:
        account = call.service.store.declare(
            key,
            dids=call["dids"],
            suspended=call["suspended"],
            blocked=call["blocked"],
            postback_url=postback_url,
            short_codes=call["short_codes"],
        )
    except ValueError as error:
        raise ControlError(str(error)) from None
    return call.answer(account_json(account))


async def postbacks(call: Call) -> Response:
    return call.answer([postback_json(p) for p in call.service.postbacks.for_key(call["license_key"])])


async def postbacks_wait(call: Call) -> Response:
    """Long-poll until ``count`` postbacks have finished (or ``attempts`` attempts were made): 200 with
    the journal, or 408 with what there is."""
    dispatcher = call.service.postbacks
    key = call["license_key"]
    by_attempts = "attempts" in call
    count = call["attempts" if by_attempts else "count"]
    timeout = call["timeout"]
    reached = await dispatcher.wait(key, count, timeout, attempts=by_attempts)
    found = [postback_json(p) for p in dispatcher.for_key(key)]
    if reached:
        return call.answer(found)
    if by_attempts:
        error = f"only {dispatcher.attempts(key)} of {count} attempt(s) made"
    else:
        error = f"only {dispatcher.finished(key)} of {count} postback(s) finished"
    if dispatcher.stopping:
        return JSONResponse({"error": f"fake-cdyne is stopping: {error}", "postbacks": found}, status_code=503)
    return JSONResponse({"error": f"{error} within {timeout:g} s", "postbacks": found}, status_code=408)


async def postbacks_hold(call: Call) -> Response:
    key = call["license_key"]
    call.service.postbacks.hold(key)
    return call.answer({"holding": str(key)})


async def postbacks_release(call: Call) -> Response:
    key, count, newest_first = call["license_key"], call["count"], call["newest_first"]
    return call.answer({"released": call.service.postbacks.release(key, count, newest_first=newest_first)})


async def postbacks_redeliver(call: Call) -> Response:
    """Queue failed postbacks again (one key's, or all): one more attempt each, on the same journal entry."""
    return call.answer({"redelivered": call.service.postbacks.redeliver(call["license_key"])})


async def postbacks_chaos(call: Call) -> Response:
    key = call["license_key"]
    names = ("duplicate", "drop", "delay", "jitter", "seed")
    chaos = Chaos(**{name: call[name] for name in names})
    call.service.postbacks.set_chaos(key, chaos)
    return call.answer({"license_key": str(key)} | dataclasses.asdict(chaos))


async def message_refuse(call: Call) -> Response:
    message = _message(call)
    call.service.lifecycle.refuse(message, call["attempts"])
    return call.answer(message_json(message))


async def message_receipt(call: Call) -> Response:
    message = _message(call)
    code = call["code"]
    if not (len(code) == 3 and code.isascii() and code.isdigit()):
        raise ControlError(f"code must be three digits, for example one of {', '.join(RECEIPT_CODES)}")
    description = call["message"] if "message" in call else RECEIPT_CODES.get(code, "Unknown")
    call.service.lifecycle.receipt(message, code, description)
    return call.answer(message_json(message))


async def scenario_post(call: Call) -> Response:
    """Install a scenario for one license key: ``{"license_key", "scenario": {...}}`` or, to have
    problems reported with line numbers, ``{"license_key", "text": "<YAML>", "source": "name.yaml"}``."""
    key = call["license_key"]
    source = call["source"]
    if ("text" in call) == ("scenario" in call):
        raise ControlError("give the scenario as 'scenario' (an object) or as 'text' (YAML or JSON), one of them")
    try:
        if "text" in call:
            scenario = read_scenario(call["text"], source, for_key=key)
        else:
            scenario = build_scenario(call["scenario"], source, for_key=key)
    except ScenarioError as error:
        return JSONResponse({"error": "the scenario is not valid", "problems": error.problems}, status_code=400)
    call.service.install_scenario(key, scenario)
    return call.answer({"license_key": str(key), "rules": len(scenario.rules), "accounts": len(scenario.accounts)})


async def scenario_delete(call: Call) -> Response:
    key = call["license_key"]
    return call.answer({"license_key": str(key), "removed": call.service.scenarios.remove(key)})


async def surprises(call: Call) -> Response:
    found = call.service.scenarios.surprises_for(call["license_key"])
    return call.answer([{"at": iso(s.at), "license_key": str(s.license_key), "request": s.request} for s in found])


async def requests_log(call: Call) -> Response:
    service, key = call.service, call["license_key"]
    account = service.store.account(key) if key else None
    ids = {message.id for message in account.messages} if account else frozenset()  # keyless calls naming them
    found = service.traffic.find(key, call["limit"] or None, ids)
    return call.answer([exchange.to_json() for exchange in found])


async def clock_get(call: Call) -> Response:
    service = call.service
    return call.answer(
        {"now": iso(service.clock.now()), "manual": service.clock.manual, "pending": service.scheduler.pending}
    )


async def clock_advance(call: Call) -> Response:
    service = call.service
    seconds = call["seconds"]
    try:
        ran = service.scheduler.advance(seconds)
    except ClockIsNotManual as error:
        raise ControlError(str(error), 409) from None
    except ClockOutOfRange as error:
        raise ControlError(f"seconds: {error}") from None
    return call.answer({"now": iso(service.clock.now()), "ran": ran})


async def inbox_json(call: Call) -> Response:
    from ..inbox import conversations

    query_text = call["q"]
    return call.answer(conversations(call.service, call["license_key"], query_text, call["limit"] or None))


async def events(call: Call) -> Response:
    """Server-sent events: ``data: {"kind", "license_key"}`` whenever something changed."""
    hub = call.service.events

    async def stream() -> AsyncIterator[str]:
        yield "retry: 1000\n: connected\n\n"
        async for notice in hub.subscribe():
            yield ": keep-alive\n\n" if notice is None else f"data: {notice}\n\n"

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


async def settings(call: Call) -> Response:
    """The settings in effect (scenario files' defaults applied); the control token only as "(set)"."""
    shown = dataclasses.asdict(call.service.config)
    shown["control_token"] = "(set)" if shown["control_token"] is not None else None
    return call.answer(shown)


async def errors(call: Call) -> Response:
    return call.answer([{"at": iso(e.at), "where": e.where, "error": e.error} for e in call.service.errors])
