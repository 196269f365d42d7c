"""A real HTTP endpoint to pass as StatusPostBackURL: it records every post, decoded.

Paths choose how it answers, so one receiver can play every kind of client server:
``/status/<code>`` answers with that status; ``/flaky/<n>`` (or ``/flaky/<n>/<anything>``, each path
counted apart) fails n times with 500, then answers 200;
``/hang`` holds the request until the receiver closes (for timeouts); ``/redirect`` answers 302. Any
other path answers 200. It runs on uvicorn in a thread, like the fake itself.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.types import Message as ASGIMessage
from starlette.types import Receive, Scope, Send

from .server import ThreadedServer
from .tls import TLSFiles


@dataclass(frozen=True, slots=True)
class ReceivedPost:
    path: str  # percent-decoded
    headers: dict[str, str]  # names in lower case
    body: bytes
    arrived: float  # time.monotonic()
    query: str = ""  # as sent

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.text, keep_blank_values=True))

    @property
    def kind(self) -> str:
        fields = self.form
        if "SMSResponse" in fields or "MMSResponse" in fields:
            return "reply"
        if "DeliveryReceipt" in fields:
            return "receipt"
        return "sent" if fields.get("SMSSent", fields.get("MMSSent")) == "1" else "refused"


class PostbackReceiver(ThreadedServer):
    name = "postback receiver"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, tls_files: TLSFiles | None = None) -> None:
        """``tls_files``: serve https with this certificate (a test CA's, for example)."""
        super().__init__(self._app, host=host, port=port, tls_files=tls_files)
        self.posts: list[ReceivedPost] = []
        self._arrived = threading.Condition()
        self._failures: Counter[str] = Counter()
        self._closing: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedPost]:
        """The first ``count`` posts, once they have arrived; AssertionError after the deadline."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.posts) >= count, timeout):
                raise AssertionError(f"expected {count} postback(s) within {timeout} s, got {len(self.posts)}")
            return self.posts[:count]

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None and self._closing is not None:
            self._loop.call_soon_threadsafe(self._closing.set)  # let hanging requests go
        super().stop(timeout)

    async def _app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        with self._arrived:
            query = scope["query_string"].decode("latin-1")
            self.posts.append(ReceivedPost(scope["path"], headers, body, time.monotonic(), query))
            self._arrived.notify_all()
        status, extra = await self._answer(scope["path"])
        start: ASGIMessage = {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", b"2"), *extra],
        }
        await send(start)
        await send({"type": "http.response.body", "body": b"OK"})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._loop = asyncio.get_running_loop()
                self._closing = asyncio.Event()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _answer(self, path: str) -> tuple[int, list[tuple[bytes, bytes]]]:
        if path.startswith("/status/") and path[8:].isdigit():
            return int(path[8:]), []
        times = path.split("/")[2] if path.startswith("/flaky/") else ""
        if times.isdigit():
            self._failures[path] += 1
            return (500 if self._failures[path] <= int(times) else 200), []
        if path == "/hang" and self._closing is not None:
            await self._closing.wait()
        if path == "/redirect":
            return 302, [(b"location", b"/elsewhere")]
        return 200, []
