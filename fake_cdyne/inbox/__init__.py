"""The web inbox: every conversation, its texts both ways and each message's postbacks, live.

``conversations`` builds the page's data from the store and the postback journal; the page itself is
static (``index.html``, ``inbox.js``, ``inbox.css`` beside this file, no CDN, nothing to build) and
drives the fake only through the control API, like a test.
"""

from __future__ import annotations

import heapq
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..model import IncomingMessage, Message
from ..service import Service
from ..store import Account
from ..views import incoming_json, message_json, postback_json

HERE = Path(__file__).parent
ASSETS = {"inbox.js": "text/javascript; charset=utf-8", "inbox.css": "text/css; charset=utf-8"}


Text = Message | IncomingMessage
TEXTS_SHOWN = 50  # per conversation: the newest; the page says how many earlier ones it leaves out


def _at(text: Text) -> datetime:
    return text.created_at if isinstance(text, Message) else text.received_at


def conversations(
    service: Service, license_key: uuid.UUID | None = None, query: str = "", limit: int | None = None
) -> list[dict[str, Any]]:
    """One entry per (license key, phone), most recently active first (the first ``limit``): its newest
    ``TEXTS_SHOWN`` texts both ways in time order, with their postbacks. Only what is returned is
    rendered to JSON, so a store of 100,000 texts costs a grouping pass, not 100,000 renderings."""
    store = service.store
    accounts = store.accounts.values() if license_key is None else filter(None, [store.accounts.get(license_key)])
    by_key = {account.license_key: account for account in accounts}
    # Every text in time order (each list already is; equal times keep the order they were stored in),
    # each moving its conversation to the end: the dict's order is the order of last activity.
    threads: dict[tuple[Account, str], list[Text]] = {}
    streams: list[Sequence[Text]] = [
        texts for account in by_key.values() for texts in (account.messages, account.incoming)
    ]
    for text in heapq.merge(*streams, key=_at):
        phone = text.to_number if isinstance(text, Message) else text.from_number
        where = (by_key[text.license_key], phone)
        texts = threads.pop(where, [])
        texts.append(text)
        threads[where] = texts
    needle = query.strip().lower()
    if needle:
        threads = {
            (account, phone): texts
            for (account, phone), texts in threads.items()
            if needle in phone or any(needle in text.text.lower() for text in texts)
        }
    newest = list(reversed(threads.items()))[:limit]
    postbacks: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    held: dict[uuid.UUID, int] = defaultdict(int)
    for account in {account for (account, _), _ in newest}:
        for postback in service.postbacks.for_key(account.license_key):  # O(the account's postbacks)
            postbacks[postback.message_id].append(postback_json(postback))
            held[account.license_key] += postback.state.value == "held"
    found = []
    for (account, phone), texts in newest:
        found.append(
            {
                "license_key": str(account.license_key),
                "phone": phone,
                "dids": account.dids,
                "blocked": phone in account.blocked,
                "held_postbacks": held[account.license_key],
                "last": _at(texts[-1]).isoformat(),
                "earlier": max(0, len(texts) - TEXTS_SHOWN),
                "items": [_item(text, postbacks) for text in texts[-TEXTS_SHOWN:]],
            }
        )
    return found


def _item(text: Text, postbacks: dict[uuid.UUID, list[dict[str, Any]]]) -> dict[str, Any]:
    if isinstance(text, Message):
        item = {"direction": "out", "at": text.created_at.isoformat(), **message_json(text)}
    else:
        item = {"direction": "in", "at": text.received_at.isoformat(), **incoming_json(text)}
    return item | {"postbacks": postbacks.get(text.id, [])}


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


routes = [Route("/", page), Route("/_fake/ui", page), Route("/_fake/ui/{name}", asset)]
