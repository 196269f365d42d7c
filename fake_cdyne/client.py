"""``FakeCdyneClient``: a test's handle on a fake, in this process or another (a container in CI).

It speaks only the control API, so it works the same against ``FakeServer`` and against
``fake-cdyne serve`` anywhere. Bound to one license key, it sees only that account's messages and
postbacks, which is what keeps tests (and pytest-xdist workers) apart.
"""

from __future__ import annotations

import base64
import dataclasses
import difflib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl

import httpx

from .errors import FakeCdyneError
from .values import normalise_phone

Record = TypeVar("Record")


def _from_json(cls: type[Record], data: dict[str, Any]) -> Record:
    """A record from the control API's JSON, field by field: ``from_`` is ``from``, times are parsed,
    arrays become tuples (of tuples, or of ``IncomingText`` for replies); absent optional fields keep
    their defaults."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = field.name.rstrip("_")
        if name not in data:
            continue
        value = data[name]
        if "datetime" in str(field.type):
            value = None if value is None else datetime.fromisoformat(value)
        elif name == "replies":
            value = tuple(IncomingText.from_json(reply) for reply in value)
        elif isinstance(value, list):
            value = tuple(tuple(item) if isinstance(item, list) else item for item in value)
        values[field.name] = value
    return cls(**values)


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A text the client's code sent through the fake."""

    message_id: str
    to: str
    from_: str
    message: str
    state: str  # scheduled, queued, sent or cancelled
    reference_id: str | None
    status_postback_url: str | None
    segments: int
    created_at: datetime
    sent_at: datetime | None
    replies: tuple[IncomingText, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SentMessage:
        return _from_json(cls, data)


@dataclass(frozen=True, slots=True)
class IncomingText:
    """A text a phone sent to one of the account's numbers."""

    incoming_message_id: str
    from_: str
    to: str
    message: str
    matched_message_id: str
    received_at: datetime
    read: bool
    auto_reply: str | None = None
    subject: str | None = None  # an MMS's
    attachments: tuple[int, ...] = ()  # an MMS's parts, as media IDs

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IncomingText:
        return _from_json(cls, data)


@dataclass(frozen=True, slots=True)
class PostbackRecord:
    """One postback and every attempt to deliver it."""

    id: int
    kind: str  # sent, refused, reply or receipt
    url: str
    body: str
    state: str  # pending, held, sending, retrying, delivered, failed or dropped
    message_id: str
    attempts: tuple[dict[str, Any], ...]

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body, keep_blank_values=True))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PostbackRecord:
        return _from_json(cls, data)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request the client's code made to /sms.svc, and the answer it got, as on the wire (bodies are
    kept up to 16 KiB each; ``body_bytes`` and ``response_bytes`` are the full sizes)."""

    id: int
    at: datetime
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: str
    body_bytes: int
    status: int | None  # None: not answered, or the connection was closed (a fault scenario)
    response: str
    response_bytes: int
    summary: str  # the answer in a few words: its SMSErrors, or the text of an error page

    @property
    def params(self) -> dict[str, str]:
        """The query's parameters, decoded (names as the client spelled them)."""
        return dict(parse_qsl(self.query, keep_blank_values=True))

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordedRequest:
        return _from_json(cls, data)


class ControlAPIError(FakeCdyneError, AssertionError):
    """The fake refused a control request; the message is the fake's own explanation."""


class FakeCdyneClient:
    def __init__(self, url: str, license_key: str | None = None, *, token: str | None = None, timeout: float = 10):
        """``url`` is the fake's root (``http://127.0.0.1:8080``); a fresh license key by default."""
        self.url = url.rstrip("/")
        self.license_key = license_key or str(uuid.uuid4())
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url, timeout=timeout, headers=headers, trust_env=False)

    @property
    def base_url(self) -> str:
        """The URL to give a CDYNE client instead of ``http://sms2.cdyne.com/sms.svc``."""
        return f"{self.url}/sms.svc"

    @property
    def messaging_url(self) -> str:
        """The URL to give a Messaging client instead of ``https://messaging.cdyne.com/Messaging.svc``."""
        return f"{self.url}/Messaging.svc"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        reply = self._http.request(method, f"/_fake{path}", **kwargs)
        if reply.status_code >= 400:
            try:
                data = reply.json()
                detail = "\n".join([data["error"], *data.get("problems", [])])
            except (ValueError, KeyError, TypeError):
                detail = reply.text
            raise ControlAPIError(f"{method} /_fake{path}: {reply.status_code} {detail}")
        return reply.json()

    # ---- what was sent -------------------------------------------------------------------------

    @property
    def messages(self) -> list[SentMessage]:
        """Every text this key sent, oldest first."""
        found = self._call("GET", "/messages", params={"license_key": self.license_key})
        return [SentMessage.from_json(m) for m in found]

    @property
    def requests(self) -> list[RecordedRequest]:
        """This key's requests to /sms.svc and their answers, oldest first, errors included: what the
        client's code really sent and got back."""
        found = self._call("GET", "/requests", params={"license_key": self.license_key})
        return [RecordedRequest.from_json(r) for r in found]

    @property
    def last_message(self) -> SentMessage:
        __tracebackhide__ = True  # pytest: the failure is the caller's line
        found = self.messages
        if not found:
            raise AssertionError(f"no text was sent with license key {self.license_key}")
        return found[-1]

    def assert_sent(
        self, to: str | None = None, message: str | None = None, *, count: int | None = None
    ) -> SentMessage:
        """The (last) text sent to ``to`` saying ``message``; a readable failure otherwise."""
        __tracebackhide__ = True
        number = normalise_phone(to) or to if to is not None else None
        sent = self.messages
        matches = [m for m in sent if (number is None or m.to == number) and (message is None or m.message == message)]
        if matches and (count is None or len(matches) == count):
            return matches[-1]
        wanted = " ".join(filter(None, [f"to {number}" if number else "", f"saying {message!r}" if message else ""]))
        if matches:
            raise AssertionError(f"expected {count} text(s) {wanted}, found {len(matches)}")
        lines = [f"expected a text {wanted or 'to be sent'}, but none was sent" + (":" if not sent else "; sent were:")]
        lines += [f"  - to {m.to}: {m.message!r} ({m.state})" for m in sent]
        if not sent:
            lines += self.describe_requests()
        closest = [m for m in sent if number is None or m.to == number]
        if message is not None and closest:
            diff = difflib.ndiff([closest[-1].message], [message])
            lines += ["closest, as sent (-) and as expected (+):", *(f"  {line}" for line in diff)]
        raise AssertionError("\n".join(lines))

    def describe_requests(self, most: int = 5) -> list[str]:
        """This key's last requests to /sms.svc and their answers, a line each, for failure messages."""
        made = self.requests
        if not made:
            return [f"the fake got no request naming license key {self.license_key}"]
        lines = [f"the fake's answers to the last {min(most, len(made))} request(s) naming this key:"]
        lines += [f"  {r.method} {r.path} -> {r.status}: {r.summary}" for r in made[-most:]]
        return lines

    # ---- the phone's side ----------------------------------------------------------------------

    def incoming(
        self,
        from_: str,
        message: str,
        to: str | None = None,
        *,
        subject: str | None = None,
        attachments: Sequence[tuple[str, str, bytes]] = (),
    ) -> IncomingText:
        """The phone ``from_`` texts ``message`` back (STOP, RESUME and HELP act as at CDYNE); with a
        ``subject`` or ``attachments`` (file name, MIME type or "" to have it found, bytes), an MMS whose
        parts become the account's media (ReadIncomingMessages' Attachments, GetMedia)."""
        body: dict[str, Any] = {"license_key": self.license_key, "from": from_, "message": message}
        if to is not None:
            body["to"] = to
        if subject is not None:
            body["subject"] = subject
        if attachments:
            body["attachments"] = [
                {"filename": name, "mime_type": kind, "content_base64": base64.b64encode(content).decode("ascii")}
                for name, kind, content in attachments
            ]
        return IncomingText.from_json(self._call("POST", "/incoming", json=body))

    def media(self, media_id: int) -> bytes:
        """The bytes of one of the key's media files (an MMS part, an upload)."""
        reply = self._http.get(f"/_fake/media/{media_id}", params={"license_key": self.license_key})
        if reply.status_code >= 400:
            raise ControlAPIError(f"GET /_fake/media/{media_id}: {reply.status_code} {reply.text}")
        return reply.content

    def refuse(self, message_id: str, attempts: int = 3) -> SentMessage:
        """The carrier refuses the message (a landline): SMSSent=0 postbacks, then it is cancelled."""
        return SentMessage.from_json(self._call("POST", f"/messages/{message_id}/refuse", json={"attempts": attempts}))

    def deliver(self, message_id: str, code: str = "000", description: str | None = None) -> SentMessage:
        """A delivery receipt for the message (000: delivered to handset, 003: to the carrier, ...)."""
        body: dict[str, str] = {"code": code} | ({"message": description} if description else {})
        return SentMessage.from_json(self._call("POST", f"/messages/{message_id}/receipt", json=body))

    def declare_account(
        self,
        *,
        dids: list[str] | None = None,
        suspended: bool | None = None,
        blocked: list[str] | None = None,
        postback_url: str | None = None,
        short_codes: list[str] | None = None,
    ) -> dict[str, Any]:
        """Give this key's account its DIDs, suspend it, block numbers, set its postback URL, or give it
        short codes (for Messaging keywords; an empty list: none)."""
        body = {
            "dids": dids,
            "suspended": suspended,
            "blocked": blocked,
            "postback_url": postback_url,
            "short_codes": short_codes,
        }
        result: dict[str, Any] = self._call(
            "PUT", f"/accounts/{self.license_key}", json={k: v for k, v in body.items() if v is not None}
        )
        return result

    # ---- postbacks -----------------------------------------------------------------------------

    @property
    def postbacks(self) -> list[PostbackRecord]:
        found = self._call("GET", "/postbacks", params={"license_key": self.license_key})
        return [PostbackRecord.from_json(p) for p in found]

    def wait_for_postbacks(self, count: int, timeout: float = 5.0) -> list[PostbackRecord]:
        """Block until ``count`` of this key's postbacks have finished (delivered, failed or dropped)."""
        __tracebackhide__ = True
        params: dict[str, str | float] = {"license_key": self.license_key, "count": count, "timeout": timeout}
        reply = self._http.get("/_fake/postbacks/wait", params=params, timeout=timeout + 10)
        if reply.status_code == 408:
            data = reply.json()
            states = ", ".join(f"#{p['id']} {p['kind']} {p['state']}" for p in data["postbacks"]) or "none"
            raise AssertionError(f"{data['error']} (postbacks: {states})")
        reply.raise_for_status()
        return [PostbackRecord.from_json(p) for p in reply.json()]

    def hold_postbacks(self) -> None:
        self._call("POST", "/postbacks/hold", json={"license_key": self.license_key})

    def release_postbacks(self, count: int | None = None, *, newest_first: bool = False) -> int:
        body: dict[str, Any] = {"license_key": self.license_key, "newest_first": newest_first}
        if count is not None:
            body["count"] = count
        released: int = self._call("POST", "/postbacks/release", json=body)["released"]
        return released

    def redeliver_postbacks(self) -> int:
        """Queue this key's failed postbacks again, one more attempt each; returns how many."""
        answer = self._call("POST", "/postbacks/redeliver", json={"license_key": self.license_key})
        redelivered: int = answer["redelivered"]
        return redelivered

    # ---- scenarios -----------------------------------------------------------------------------

    def use_scenario(self, scenario: str | Path | dict[str, Any]) -> dict[str, Any]:
        """Apply a scenario (a file's path, or the document itself) to this key only."""
        body: dict[str, Any] = {"license_key": self.license_key}
        if isinstance(scenario, dict):
            body["scenario"] = scenario
        else:
            body["text"] = Path(scenario).read_text(encoding="utf-8")
            body["source"] = str(scenario)
        result: dict[str, Any] = self._call("POST", "/scenario", json=body)
        return result

    def drop_scenario(self) -> None:
        self._call("DELETE", "/scenario", params={"license_key": self.license_key})

    def surprises(self) -> list[dict[str, str]]:
        """Requests of this key that no rule of a strict scenario matched."""
        found: list[dict[str, str]] = self._call("GET", "/surprises", params={"license_key": self.license_key})
        return found

    # ---- time and state ------------------------------------------------------------------------

    def advance_clock(self, seconds: float) -> datetime:
        """Move the fake's manual clock (the fake must run with ``manual_clock``)."""
        return datetime.fromisoformat(self._call("POST", "/clock/advance", json={"seconds": seconds})["now"])

    def reset(self) -> None:
        """Forget this key's account, messages and postbacks."""
        self._call("POST", "/reset", json={"license_key": self.license_key})

    def settings(self) -> dict[str, Any]:
        """The settings the fake runs with, scenario files' defaults applied (the token never shown)."""
        found: dict[str, Any] = self._call("GET", "/settings")
        return found

    def errors(self) -> list[dict[str, str]]:
        """Failures inside the fake itself (bugs), for every key."""
        found: list[dict[str, str]] = self._call("GET", "/errors")
        return found
