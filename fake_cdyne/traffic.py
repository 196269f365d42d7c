"""The request log: every request to ``/sms.svc`` and the answer it got, exactly as on the wire.

What a test wants when its client and the fake disagree ("what did my client really send?"): the
method, path, query, headers and body the client sent, and the status and body it got back, including
400s, 404s and faults that never reach an operation. The newest ``request_log_size`` are kept; bodies
are kept up to ``BODY_LIMIT`` bytes each and headers up to ``HEADERS_LIMIT`` bytes in all (a last
``(cut)`` entry says how much more there was); the query is bounded by ``max_header_bytes``. Recording
is a few attribute stores on the hot path; everything else (decoding, filtering) happens when someone reads
the log.
"""

from __future__ import annotations

import collections
import itertools
import re
import time
import uuid
from collections.abc import Awaitable
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from typing import Any

from starlette.types import Message as ASGIMessage
from starlette.types import Receive, Scope, Send

from .clock import ManualClock, SystemClock
from .model import SMSError
from .registry import INCOMING_MESSAGES
from .sms2 import SMS2

BODY_LIMIT = 16 * 1024
SUMMARY_LIMIT = 200  # characters
HEADERS_LIMIT = 8 * 1024
_ERROR_NAMES = {error.value: error.name for error in SMSError}
_XML_ERRORS = re.compile(r"<SMSError>(\w+)</SMSError>")
_JSON_ERRORS = re.compile(r'"SMSError":(\d+)')
_BOOLEAN = re.compile(r"^(true|false)$|<(?:boolean|CancelMessageResult)\b[^>]*>(true|false)<")
_EMPTY_ARRAY = re.compile(r"^\[\]$|^<ArrayOf\w+ [^>]*/>$")
_GUIDS = re.compile(rb"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
_INCOMING = re.compile(r"<SMSIncomingMessage>|\"IncomingMessageID\"")


def _text(data: bytes | bytearray) -> str:
    return data.decode("utf-8", errors="replace")


def _shortened(text: str) -> str:
    """At most SUMMARY_LIMIT characters, cut after a whole word with " …" (a word that long, mid-word)."""
    if len(text) <= SUMMARY_LIMIT:
        return text
    head = text[: SUMMARY_LIMIT - 1].rpartition(" ")[0] or text[: SUMMARY_LIMIT - 2]
    return f"{head} …"


def _appended(kept: bytes, chunk: bytes) -> bytes:
    """What is kept of a body once ``chunk`` came: at most BODY_LIMIT bytes (a first chunk that fits is
    kept as it is, not copied)."""
    if not kept and type(chunk) is bytes:
        return chunk[:BODY_LIMIT]
    return kept + bytes(chunk[: BODY_LIMIT - len(kept)]) if len(kept) < BODY_LIMIT else kept


def _kept(headers: list[tuple[bytes, bytes]]) -> tuple[tuple[bytes, bytes], ...]:
    """The headers, or as many as fit in HEADERS_LIMIT and a note of the rest. "(cut)" cannot be a real
    header's name: parentheses are not allowed in one. A tuple, not the server's list: the collector stops
    tracking a tuple of bytes, and a logged exchange outlives its request by a thousand others."""
    total = sum(map(len, itertools.chain.from_iterable(headers)))
    if total <= HEADERS_LIMIT:
        return tuple(headers)
    kept: list[tuple[bytes, bytes]] = []
    size = 0
    for name, value in headers:
        if size + len(name) + len(value) > HEADERS_LIMIT - 100:  # room for the note
            break
        size += len(name) + len(value)
        kept.append((name, value))
    note = f"{len(headers) - len(kept)} more header(s), {total - size} bytes, not kept"
    return (*kept, (b"(cut)", f"{note} (the log keeps {HEADERS_LIMIT} bytes of headers)".encode()))


async def _answered(message: ASGIMessage) -> None:
    raise RuntimeError("the exchange is over: nothing more can be sent")


class Exchange:
    """One request and its answer, filled in as the exchange goes on. Made for every request to
    ``/sms.svc``, so it does as little as it can: the scope's own objects are kept as they are, a body
    that fits is kept without a copy, and the time is read as a number until someone asks for it."""

    __slots__ = (
        "_at",
        "_forward",
        "body",
        "body_bytes",
        "headers",
        "id",
        "method",
        "path",
        "query",
        "response",
        "response_bytes",
        "status",
    )  # fmt: skip

    def __init__(self, number: int, at: datetime | float, scope: Scope, send: Send) -> None:
        self.id = number
        self._at = at  # a datetime (the manual clock's), or the system clock's time.time()
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.query: bytes = scope["query_string"]
        self.headers = _kept(scope["headers"])
        self.body = b""
        self.body_bytes = 0
        self.status: int | None = None  # None: no answer (yet, or the connection was closed)
        self.response = b""
        self.response_bytes = 0
        self._forward = send

    @property
    def at(self) -> datetime:
        at = self._at
        return at if isinstance(at, datetime) else datetime.fromtimestamp(at, UTC)

    @property
    def started(self) -> bool:
        """Whether the answer has begun (its first message is always its start)."""
        return self.status is not None

    def reading(self, receive: Receive) -> Receive:
        """``receive``, keeping what the client sent (``__wrapped__`` leads back to the server's own)."""

        async def recording_receive() -> ASGIMessage:
            message = await receive()
            chunk = message.get("body", b"")
            if chunk:
                self.body_bytes += len(chunk)
                self.body = _appended(self.body, chunk)
            return message

        recording_receive.__wrapped__ = receive  # type: ignore[attr-defined]
        return recording_receive

    def send(self, message: ASGIMessage) -> Awaitable[None]:
        """The server's ``send``, keeping what goes to the client: what it returns is the server's own
        awaitable (no coroutine of the log's own per message)."""
        if message["type"] == "http.response.start":
            self.status = message["status"]
        else:
            chunk = message.get("body", b"")
            if chunk:
                self.response_bytes += len(chunk)
                self.response = _appended(self.response, chunk)
        return self._forward(message)

    def end(self) -> None:
        """The exchange is over: the log no longer holds on to the server's ``send`` (and its connection)."""
        self._forward = _answered

    def mentions(self, license_key: uuid.UUID, message_ids: AbstractSet[uuid.UUID] = frozenset()) -> bool:
        """Whether the key, or one of ``message_ids`` (its messages: GetMessageStatus and CancelMessage
        carry no key), appears in the query or body, in .NET's usual GUID forms."""
        haystack = (self.query + self.body).lower()
        if str(license_key).encode() in haystack or license_key.hex.encode() in haystack:
            return True
        return bool(message_ids) and any(uuid.UUID(found.decode()) in message_ids for found in _GUIDS.findall(haystack))

    def summary(self) -> str:
        """The answer in a few words: its SMSErrors, a count, a boolean, or the text of an error page."""
        if self.status is None:
            return "no answer (the connection was closed)"
        response = _text(self.response)
        named = _XML_ERRORS.findall(response)
        numbered = [_ERROR_NAMES.get(int(n), n) for n in _JSON_ERRORS.findall(response)]
        if named or numbered:
            return "SMSError " + ", ".join(named or numbered)
        if self.status == 200:
            if (op := SMS2.logged(self.path, response)) is not None and op.result == INCOMING_MESSAGES:
                return f"{len(_INCOMING.findall(response))} incoming message(s)"
            boolean = _BOOLEAN.search(response)
            if boolean:
                return "".join(boolean.groups(""))
            return "an empty list" if _EMPTY_ARRAY.search(response) else f"{self.response_bytes} bytes"
        page = re.sub(r"<head>.*?</head>", "", response, flags=re.S)
        return _shortened(" ".join(re.sub(r"<[^>]*>", " ", page).split()))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "method": self.method,
            "path": self.path,
            "query": _text(self.query),
            "headers": [[_text(name), _text(value)] for name, value in self.headers],
            "body": _text(self.body),
            "body_bytes": self.body_bytes,
            "status": self.status,
            "response": _text(self.response),
            "response_bytes": self.response_bytes,
            "summary": self.summary(),
        }


class Traffic:
    def __init__(self, size: int) -> None:
        self.size = size
        self._exchanges: collections.deque[Exchange] = collections.deque(maxlen=size or None)
        self._numbers = itertools.count(1)

    def begin(self, scope: Scope, send: Send, clock: SystemClock | ManualClock) -> Exchange:
        """Start recording one request (the log is on: ``size`` is not 0), answered through the
        exchange's ``send``."""
        exchange = Exchange(next(self._numbers), clock.now() if clock.manual else time.time(), scope, send)
        self._exchanges.append(exchange)
        return exchange

    def find(
        self,
        license_key: uuid.UUID | None = None,
        limit: int | None = None,
        message_ids: AbstractSet[uuid.UUID] = frozenset(),
    ) -> list[Exchange]:
        """The newest ``limit`` (all by default), oldest first; with a key, the requests that name it or
        one of ``message_ids``."""
        found = [e for e in self._exchanges if license_key is None or e.mentions(license_key, message_ids)]
        return found[-limit:] if limit else found

    def forget(self, license_key: uuid.UUID | None = None) -> None:
        if license_key is None:
            self._exchanges.clear()
            return
        kept = [e for e in self._exchanges if not e.mentions(license_key)]
        self._exchanges.clear()
        self._exchanges.extend(kept)
