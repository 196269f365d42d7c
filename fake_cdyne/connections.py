"""The fake's HTTP connections: uvicorn's own protocols (httptools and h11), with the defences against
slow, many and huge clients that uvicorn leaves to a proxy, and an HTTP/2 upgrade ignored as IIS does.

- ``header_timeout``: a request head must be complete this many seconds after the connection opened
  (the first request) or after its first byte (the next ones on a kept-alive connection); else the
  connection gets 408 and is closed (closed without an answer if nothing came at all).
- ``max_header_bytes``: a longer head gets 431, however it arrives (in one piece or a trickle).
- ``max_connections``: at the cap, a new connection makes room by closing the one that has waited
  longest for a request head (idle, or trickling one); when every one has a request in progress, the new
  one gets 503. uvicorn's own ``limit_concurrency`` would instead answer 503 to every normal client while
  idle connections fill the cap.

``Upgrade: h2c`` (java.net.http.HttpClient sends it with every request over http://) is not an upgrade
the fake makes: the request is answered as the plain HTTP/1.1 request it also is. llhttp, under
httptools, has by then taken the body for the new protocol's bytes, so the head is parsed again without
the upgrade and the rest of the data follows it.
"""

from __future__ import annotations

import asyncio
import http
import importlib.util
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

HTTPTOOLS = importlib.util.find_spec("httptools") is not None  # a dependency, but not built everywhere


@dataclass(frozen=True, slots=True)
class Limits:
    header_timeout: float = 10.0
    max_connections: int = 500
    max_header_bytes: int = 64 * 1024


DEFAULT_LIMITS = Limits()
LINGER = 1.0  # seconds a refused client has to read the answer (_Defended._refuse)


class ServerConfig(uvicorn.Config):
    """uvicorn's settings, and the connection limits the fake's protocols read from it."""

    def __init__(self, app: Any, *, limits: Limits, **options: Any) -> None:
        super().__init__(app, ws="none", h11_max_incomplete_event_size=limits.max_header_bytes, **options)
        self.limits = limits


def _answer(status: int, text: str) -> bytes:
    body = text.encode()
    return (
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


class _Defended(asyncio.Protocol):
    """What both protocols add: the head's deadline and size, and the connection cap."""

    # uvicorn's protocols have these; the mixin only reads them.
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    config: uvicorn.Config
    connections: set[Any]
    cycle: Any  # the request in progress or last answered (uvicorn's RequestResponseCycle), None before

    limits = DEFAULT_LIMITS
    _head_timer: asyncio.TimerHandle | None = None  # set while a request head is awaited
    _head_bytes = 0  # received since the awaited head began
    _idle_since = 0.0  # when the connection opened or last answered
    _refused = False  # answered by the fake itself (408, 431, 503): what else comes is dropped

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if isinstance(self.config, ServerConfig):
            self.limits = self.config.limits
        self._idle_since = self.loop.time()
        self._await_head()
        if len(self.connections) > self.limits.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_arrived()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        awaiting_head = self._head_timer is not None
        if not awaiting_head and self._idle():  # the first bytes of the next head on a kept-alive connection
            awaiting_head, self._head_bytes = True, 0
        if awaiting_head:
            self._head_bytes += len(data)
        cycle = self.cycle
        self._feed(data)
        if not awaiting_head or self._closing():
            return
        if self.cycle is not cycle:
            self._head_arrived()
        elif self._head_bytes > self.limits.max_header_bytes:
            self._refuse_long_head()
        elif self._head_timer is None:
            # Its deadline runs from its first bytes: a head that came whole (nearly every one) needs no timer.
            self._await_head()

    def _feed(self, data: bytes) -> None:
        """Hand the bytes to the parser (uvicorn's own ``data_received``, unless a subclass knows better)."""
        super().data_received(data)

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]  # uvicorn's protocols have it
        self._idle_since = self.loop.time()

    def _idle(self) -> bool:
        """No request in progress: what comes next is a request head (or nothing)."""
        return (self.cycle is None or bool(self.cycle.response_complete)) and not self._in_body()

    def _in_body(self) -> bool:
        """Whether the parser is reading a request's body (one answered before it all came, say a 413)."""
        raise NotImplementedError

    def _closing(self) -> bool:
        return self._refused or self.transport.is_closing()

    def _await_head(self) -> None:
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_timed_out)

    def _head_arrived(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._closing():
            return
        if not self._head_bytes:  # nothing asked, nothing to answer (a client's spare connection)
            self.transport.close()
            return
        timeout = self.limits.header_timeout
        self._refuse(408, f"The request head was not complete within {timeout:g} s (header_timeout).")

    def _head_too_long(self, target: int, headers: list[tuple[bytes, bytes]]) -> bool:
        """Whether a complete head, its request target and headers, is over the limit (measured only when
        more bytes than the limit came while it was awaited: the usual head costs nothing)."""
        limit = self.limits.max_header_bytes
        return self._head_bytes > limit and target + sum(len(n) + len(v) + 4 for n, v in headers) > limit

    def _refuse_long_head(self) -> None:
        limit = self.limits.max_header_bytes
        self._refuse(431, f"The request head is over {limit} bytes (max_header_bytes).")

    def _refuse(self, status: int, text: str) -> None:
        """Answer and close. Closing at once with the client's bytes unread would reset the connection,
        and a client's system may drop the answer with it; so, as web servers do, the fake closes its
        side only, drops what still comes, and closes when the client does or LINGER seconds pass."""
        self._head_arrived()
        self._refused = True
        self.transport.write(_answer(status, text))
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER, self.transport.close)
        else:  # TLS cannot close one side
            self.transport.close()

    def _make_room(self) -> None:
        """Over the cap: close the connection that has waited longest for a head, or refuse this one."""
        open_ = [c for c in self.connections if isinstance(c, _Defended) and not c._closing()]
        if len(open_) <= self.limits.max_connections:
            return
        idle = [c for c in open_ if c is not self and c._idle()]
        if not idle:
            cap = self.limits.max_connections
            self._refuse(503, f"{cap} connections have requests in progress (max_connections).")
            return
        oldest = min(idle, key=lambda c: c._idle_since)
        if oldest._head_bytes:
            oldest._refuse(503, "Closed to make room for a new connection (max_connections).")
        else:
            oldest._head_arrived()
            oldest.transport.close()


class FakeH11(_Defended, H11Protocol):
    def _in_body(self) -> bool:
        return self.conn.their_state is h11.SEND_BODY

    def _should_upgrade(self) -> bool:
        """uvicorn asks this of every request head before starting its request. No upgrade is made (the
        fake serves no WebSocket and no HTTP/2), so an Upgrade header is ignored without uvicorn's
        warning; True only hands an over-long head to ``handle_websocket_upgrade``, to refuse it."""
        target = len(self.scope["raw_path"]) + len(self.scope["query_string"]) + 1
        return self._head_too_long(target, self.headers)

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._refuse_long_head()

    def send_400_response(self, msg: str) -> None:
        if self._head_bytes > self.limits.max_header_bytes:  # h11's own limit on an incomplete head
            self._refuse_long_head()
        else:
            super().send_400_response(msg)


if HTTPTOOLS:
    import httptools
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class _Refused(Exception):
        """Raised from a parser callback once the request has been answered, to stop the parser."""

    class FakeHttpTools(_Defended, HttpToolsProtocol):
        _upgrade_headers: list[tuple[bytes, bytes]] | None = None  # of a head llhttp took as an upgrade
        _replayed_headers: list[tuple[bytes, bytes]] | None = None  # those headers, during the replay
        _body_pending = False  # from a request's head to the end of its body

        def _in_body(self) -> bool:
            return self._body_pending

        def _feed(self, data: bytes) -> None:
            self._unset_keepalive_if_required()
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserUpgrade as upgrade:
                self._parse_again_without_upgrade(data[upgrade.args[0] :])
            except httptools.HttpParserError:
                if not self._closing():  # else answered already (_Refused)
                    message = "Invalid HTTP request received."
                    self.logger.warning(message)
                    self.send_400_response(message)

        def _should_upgrade(self) -> bool:
            return False

        def on_headers_complete(self) -> None:
            if self.parser.should_upgrade():
                self._upgrade_headers = self.headers  # llhttp now stops; _feed parses the head again
                return
            if self._replayed_headers is not None:  # the app and the request log see what was sent
                self.headers[:], self._replayed_headers = self._replayed_headers, None
            if self._head_too_long(len(self.url), self.headers):
                self._refuse_long_head()
                raise _Refused
            self._body_pending = True
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            if not self.parser.should_upgrade():
                self._body_pending = False
                super().on_message_complete()

        def _parse_again_without_upgrade(self, rest: bytes) -> None:
            headers, self._upgrade_headers = self._upgrade_headers, None
            method = self.parser.get_method()
            if headers is None or method == b"CONNECT":
                self.send_400_response(f"{method.decode()} is not served here.")
                return
            head = [method, b" ", self.url, b" HTTP/", self.parser.get_http_version().encode(), b"\r\n"]
            for name, value in headers:
                if name == b"connection":
                    value = b",".join(t for t in value.split(b",") if t.strip().lower() != b"upgrade")
                head += [name, b": ", value, b"\r\n"]
            head.append(b"\r\n")
            self._replayed_headers = headers
            self.parser = httptools.HttpRequestParser(self)
            self.parser.set_dangerous_leniencies(lenient_data_after_close=True)  # as uvicorn's
            self._feed(b"".join(head) + rest)


def protocol(http: str) -> type[asyncio.Protocol]:
    """The protocol class for uvicorn's ``http`` setting: "auto" (httptools where installed), "httptools"
    or "h11"."""
    if http == "h11" or (http == "auto" and not HTTPTOOLS):
        return FakeH11
    if not HTTPTOOLS:
        raise ImportError("httptools is not installed")
    return FakeHttpTools
