"""Change notices for live pages: every subscriber learns *that* something changed, and re-reads.

Notices coalesce: a subscriber that has not yet taken one is not sent another, so a burst of 10,000
postbacks costs a page one refresh, and a slow page never makes the fake hold memory. ``close`` ends
every subscription (the server is stopping), so no stream keeps it waiting. ``on_watched`` hears when
the first subscriber comes and the last goes, so a source of notices can stay quiet while no one watches.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncGenerator, Callable

_CLOSED = ""  # never a payload: payloads are JSON objects


class EventHub:
    def __init__(self, on_watched: Callable[[bool], None] | None = None) -> None:
        self._subscribers: set[asyncio.Queue[str]] = set()
        self._closed = False
        self._on_watched = on_watched  # True: the first subscriber came; False: the last went

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

    async def subscribe(self, keepalive: float = 15.0) -> AsyncGenerator[str | None, None]:
        """Notices as they come; None every ``keepalive`` seconds without one; the end once closed."""
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._subscribers.add(queue)
        if len(self._subscribers) == 1 and self._on_watched is not None:
            self._on_watched(True)
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
            if not self._subscribers and self._on_watched is not None:
                self._on_watched(False)
