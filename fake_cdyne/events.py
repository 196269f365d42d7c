"""Change notices for live pages: every subscriber learns *that* something changed, and re-reads.

Notices coalesce: a subscriber that has not yet taken one is not sent another, so a burst of 10,000
postbacks costs a page one refresh, and a slow page never makes the fake hold memory. ``close`` ends
every subscription (the server is stopping), so no stream keeps it waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator

_CLOSED = ""  # never a payload: payloads are JSON objects


class EventHub:
    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[str]] = set()
        self._closed = False

    def publish(self, kind: str, license_key: uuid.UUID | None = None) -> None:
        if not self._subscribers:
            return  # the common case, on every state change of every postback
        payload = json.dumps({"kind": kind, "license_key": str(license_key) if license_key else None})
        for queue in self._subscribers:
            if queue.empty():
                queue.put_nowait(payload)

    def close(self) -> None:
        self._closed = True
        for queue in self._subscribers:
            queue.put_nowait(_CLOSED)

    async def subscribe(self, keepalive: float = 15.0) -> AsyncIterator[str | None]:
        """Notices as they come; None every ``keepalive`` seconds without one; the end once closed."""
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            while not self._closed:
                notice = None
                with contextlib.suppress(TimeoutError):
                    notice = await asyncio.wait_for(queue.get(), keepalive)
                if notice == _CLOSED:
                    return
                yield notice
        finally:
            self._subscribers.discard(queue)
