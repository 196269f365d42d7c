"""The web inbox: conversations on the left, one thread on the right, live.

The page is static (``index.html``, ``inbox.js``, ``inbox.css`` beside this file, no CDN, nothing to
build). It reads the fake through the paged endpoints below, each reading only what it shows from the
``threads`` index, and acts through the control API, as a test would. Those endpoints (``TABLE``) are
control routes under ``/_fake/inbox/``: the control API serves and documents them with its own.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..inputs import KEY, PHONE, TEXT, ControlError, Whole
from ..messaging.media import attachment_ids
from ..messaging.media_fetch import is_web_url
from ..messaging.media_store import MediaStore
from ..model import RECEIPT_CODES, IncomingMessage, Message, MessageState, RefusedSend
from ..postbacks import Postback, State
from ..routing import Call, ControlRoute, body, query
from ..service import Service
from ..views import incoming_json, iso, message_json, postback_json
from .threads import Conversation, Entry, at, index_of

HERE = Path(__file__).parent
ASSETS = {"inbox.js": "text/javascript; charset=utf-8", "inbox.css": "text/css; charset=utf-8"}
PAGE = Whole(500, low=1)  # conversations or texts in one answer
OFFSET = Whole(1_000_000)
DELIVERED = frozenset({"000", "003", "004"})  # receipts that say the text got through
TEXTS_SHOWN = 50  # per conversation in GET /_fake/inbox: the newest


def _clock(service: Service) -> dict[str, Any]:
    return {"now": iso(service.clock.now()), "manual": service.clock.manual}


def summary(conversation: Conversation) -> dict[str, Any]:
    """A conversation as the list shows it."""
    last = conversation.entries[-1]
    return {
        "license_key": str(conversation.license_key),
        "phone": conversation.phone,
        "last": {"at": iso(at(last)), "kind": _kind(last), "message": last.text},
        "texts": len(conversation.entries),
        "unread": conversation.unread,
        "blocked": conversation.phone in conversation.account.blocked,
        "failed_postbacks": conversation.count(State.FAILED),
        "held_postbacks": conversation.count(State.HELD),
    }


def _kind(entry: Entry) -> str:
    return "out" if isinstance(entry, Message) else "in" if isinstance(entry, IncomingMessage) else "refused"


def story(message: Message) -> list[dict[str, Any]]:
    """Each step of a message's life that the fake knows, in the order they happen (not sorted by time:
    stored times are quantised to SQL Server's steps, so a send's Sent can read a few ms before its creation)."""
    steps: list[tuple[datetime | None, str, str]] = []
    started = message.sent_at or message.refused_at or message.state is MessageState.QUEUED
    if message.scheduled_for is not None:
        steps.append((message.created_at, "scheduled", f"for {iso(message.scheduled_for)}"))
        if started:
            steps.append((message.scheduled_for, "queued", "its time came"))
    else:
        steps.append((message.created_at, "queued", "accepted by the service"))
    if message.sent_at is not None:
        steps.append((message.sent_at, "sent", f"to the carrier, {message.segments} segment(s)"))
    for receipt in message.receipts:
        what = "delivered" if receipt.code in DELIVERED else "not delivered"
        steps.append((receipt.at, what, f"receipt {receipt.code}: {receipt.description}"))
    if message.refused_at is not None:
        steps.append((message.refused_at, "refused", "by the carrier: cancelled"))
    if message.state is MessageState.CANCELLED and message.refused_at is None:
        steps.append((None, "cancelled", "by CancelMessage"))
    return [{"at": iso(when), "what": what, "detail": detail} for when, what, detail in steps]


def _status(message: Message) -> str:
    if message.receipts:
        return "delivered" if message.receipts[-1].code in DELIVERED else "not delivered"
    return "refused" if message.refused_at is not None else message.state.value


def mms(entry: Message | IncomingMessage, media: MediaStore | None) -> dict[str, Any]:
    """A message's MMS subject and its attachments, each with what the store knows of it and where the
    page can open it (the control API's copy of the bytes, or the URL it was recorded from)."""
    files: list[dict[str, Any]] = []
    for media_id in attachment_ids(entry):
        found = media.get(entry.license_key, media_id) if media is not None else None
        if found is None:
            files.append({"media_id": media_id, "file_name": None, "mime_type": None, "size": None, "href": None})
            continue
        if found.content is not None:
            href: str | None = f"/_fake/media/{media_id}?license_key={entry.license_key}"
        else:
            href = found.url if found.url and is_web_url(found.url) else None
        files.append({
            "media_id": media_id, "file_name": found.file_name, "mime_type": found.mime_type, "size": found.size,
            "href": href,
        })  # fmt: skip
    return {"subject": getattr(entry, "subject", None), "media": files}


def item(
    entry: Entry, postbacks: dict[uuid.UUID, list[Postback]], media: MediaStore | None = None
) -> list[dict[str, Any]]:
    """A thread's bubbles for one entry: a text (with its postbacks, and an MMS's subject and media),
    and CDYNE's auto-reply to it."""
    if isinstance(entry, RefusedSend):
        at, error = iso(entry.at), entry.error.name
        return [{"kind": "refused", "direction": "out", "at": at, "message": entry.text, "error": error}]
    shown = [postback_json(p) for p in postbacks.get(entry.id, [])]
    if isinstance(entry, Message):
        fields = message_json(entry) | mms(entry, media)
        del fields["replies"]  # each is in the thread already, in its place
        open_ = entry.state in (MessageState.QUEUED, MessageState.SENT) and not entry.receipts
        return [
            fields
            | {"kind": "out", "direction": "out", "at": fields["created_at"], "status": _status(entry)}
            | {"story": story(entry), "postbacks": shown, "can_refuse": open_}
            | {"can_deliver": open_ and entry.state is MessageState.SENT}
        ]
    received = {"kind": "in", "direction": "in", "at": iso(entry.received_at), "postbacks": shown}
    bubbles = [incoming_json(entry) | mms(entry, media) | received]
    if entry.auto_reply is not None:
        auto = {"kind": "auto", "direction": "out", "at": received["at"], "message": entry.auto_reply}
        bubbles.append(auto | {"from": entry.to_number, "to": entry.from_number})
    return bubbles


def thread(conversation: Conversation, limit: int, media: MediaStore | None = None) -> dict[str, Any]:
    """A conversation's newest ``limit`` entries, oldest first, with what the thread's header shows."""
    start = max(0, len(conversation.entries) - limit)
    shown = conversation.entries[start:]
    postbacks: dict[uuid.UUID, list[Postback]] = defaultdict(list)
    ids = {entry.id for entry in shown if not isinstance(entry, RefusedSend)}
    for postback in conversation.postbacks:
        if postback.message_id in ids:
            postbacks[postback.message_id].append(postback)
    account = conversation.account
    return summary(conversation) | {
        "dids": account.dids,
        "suspended": account.suspended,
        "earlier": start,
        "items": [bubble for entry in shown for bubble in item(entry, postbacks, media)],
    }


async def conversations_page(call: Call) -> Response:
    """One page of the list."""
    found = list(index_of(call.service).find(call["license_key"], call["q"]))
    offset = call["offset"]
    return call.answer({
        "total": len(found),
        "offset": offset,
        "conversations": [summary(c) for c in found[offset : offset + call["limit"]]],
        "clock": _clock(call.service),
        "receipt_codes": list(RECEIPT_CODES.items()),
    })  # fmt: skip


def _conversation(service: Service, key: uuid.UUID, phone: str) -> Conversation:
    conversation = index_of(service).get(key, phone)
    if conversation is None:
        raise ControlError(f"no conversation between license key {key} and {phone}", 404)
    return conversation


async def thread_page(call: Call) -> Response:
    """The newest ``limit`` texts of one conversation."""
    limit = call["limit"]  # a bad limit is refused before a missing conversation
    shown = thread(_conversation(call.service, call["license_key"], call["phone"]), limit, call.service.store.media)
    return call.answer(shown | {"clock": _clock(call.service)})


async def seen(call: Call) -> Response:
    """The reader has seen a conversation's texts (``license_key`` and ``phone``), a key's, or (with
    neither) every conversation's. CDYNE's own "read" is left as it is."""
    service, key = call.service, call["license_key"]
    if "phone" in call:
        if key is None:
            raise ControlError(f"license_key is required with phone: {KEY.describe()}")
        chosen = [_conversation(service, key, call["phone"])]
    else:
        chosen = list(index_of(service).find(key))
    marked = 0
    for conversation in chosen:
        marked += conversation.unread
        conversation.seen = conversation.incoming
    if marked:
        service.events.publish("seen", chosen[0].license_key if len(chosen) == 1 else None)
    return call.answer({"marked": marked})


def conversations(
    service: Service, license_key: uuid.UUID | None = None, query: str = "", limit: int | None = None
) -> list[dict[str, Any]]:
    """``GET /_fake/inbox``: conversations, most recently active first, each with its newest texts."""
    found: list[dict[str, Any]] = []
    for conversation in index_of(service).find(license_key, query):
        if limit is not None and len(found) >= limit:
            break
        shown = thread(conversation, TEXTS_SHOWN, service.store.media)
        found.append(shown | {"last": shown["last"]["at"], "held_postbacks": shown["held_postbacks"]})
    return found


@cache
def _asset(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


async def page(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    return HTMLResponse(_asset("index.html").replace("{base}", base), headers={"Cache-Control": "no-store"})


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        return Response("Not Found", 404, media_type="text/plain")
    return Response(_asset(name), media_type=ASSETS[name])


OBJ = {"type": "object"}
# The page's data, served and documented with the control API's routes (for the page: may change).
TABLE: list[ControlRoute] = [
    ControlRoute(
        "GET",
        "/inbox/conversations",
        "One page of the inbox's conversations, most recently active first",
        conversations_page,
        (
            query("license_key", KEY, note="one license key's; all keys' without it"),
            query("q", TEXT, "", "a phone number or text to look for"),
            query("offset", OFFSET, 0, "conversations to skip"),
            query("limit", PAGE, 50, "conversations in the page"),
        ),
        OBJ,
    ),
    ControlRoute(
        "GET",
        "/inbox/thread",
        "The newest texts of one conversation, oldest first",
        thread_page,
        (
            query("license_key", KEY, required=True),
            query("phone", PHONE, required=True),
            query("limit", PAGE, 50, "the newest this many texts"),
        ),
        OBJ,
    ),
    ControlRoute(
        "POST",
        "/inbox/seen",
        "The reader has seen a conversation's texts (license_key and phone), a key's, or every one's",
        seen,
        (body("license_key", KEY), body("phone", PHONE, note="one conversation (with license_key)")),
        {"type": "object", "properties": {"marked": {"type": "integer"}}},
    ),
]
routes = [Route("/", page), Route("/_fake/ui", page), Route("/_fake/ui/{name}", asset)]
