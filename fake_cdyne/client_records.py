"""What ``FakeCdyneClient`` hands a test: the fake's records (a message sent, a text received, a
postback, a logged request), read from the control API's JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl

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
    # The Messaging API's view (a fake older than it leaves these defaults)
    api: str = "sms2"  # "messaging": sent with SendMessage
    message_status: str | None = None  # the MessageStatus name ReadMessageStatus answers (Ready, Sent...)
    use_mms: bool = False
    subject: str | None = None
    attachments: tuple[int, ...] = ()

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
