"""The web inbox: every conversation, its texts both ways and each message's postbacks, live.

``conversations`` builds the page's data from the store and the postback journal; the page itself is
static (``index.html``, ``inbox.js``, ``inbox.css`` beside this file, no CDN, nothing to build) and
drives the fake only through the control API, like a test.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..control import incoming_json, message_json, postback_json
from ..service import Service

HERE = Path(__file__).parent
ASSETS = {"inbox.js": "text/javascript; charset=utf-8", "inbox.css": "text/css; charset=utf-8"}


def conversations(service: Service, license_key: uuid.UUID | None = None, query: str = "") -> list[dict[str, Any]]:
    """One entry per (license key, phone): outgoing and incoming texts in time order, newest first."""
    by_message: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for postback in service.postbacks.for_key(license_key):
        by_message[postback.message_id].append(postback_json(postback))
    accounts = service.store.accounts.values() if license_key is None else [service.store.accounts.get(license_key)]
    needle = query.strip().lower()
    found = []
    for account in accounts:
        if account is None:
            continue
        threads: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for message in account.messages:
            item = {"direction": "out", "at": message.created_at.isoformat(), **message_json(message)}
            threads[message.to_number].append(item | {"postbacks": by_message.get(message.id, [])})
        for incoming in account.incoming:
            item = {"direction": "in", "at": incoming.received_at.isoformat(), **incoming_json(incoming)}
            threads[incoming.from_number].append(item | {"postbacks": by_message.get(incoming.id, [])})
        held = sum(1 for p in service.postbacks.for_key(account.license_key) if p.state.value == "held")
        for phone, items in threads.items():
            if needle and needle not in phone and not any(needle in item["message"].lower() for item in items):
                continue
            items.sort(key=lambda item: item["at"])
            found.append(
                {
                    "license_key": str(account.license_key),
                    "phone": phone,
                    "dids": account.dids,
                    "blocked": phone in account.blocked,
                    "held_postbacks": held,
                    "last": items[-1]["at"],
                    "items": items,
                }
            )
    found.sort(key=lambda conversation: conversation["last"], reverse=True)
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


routes = [Route("/", page), Route("/_fake/ui", page), Route("/_fake/ui/{name}", asset)]
