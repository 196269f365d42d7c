"""The bodies of CDYNE's three postbacks, byte for byte.

Form-encoded as .NET's HttpUtility.UrlEncode does it: a space is ``+``, escapes are lower-case
(``%2f``, ``%3a``), and letters, digits and ``-_.!*()`` stay as they are. Fields come in CDYNE's order;
dates are the US short form of the UTC time.
"""

from __future__ import annotations

from .dates import postback_datetime
from .model import EMPTY_GUID, IncomingMessage, Message

_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!*()")
_TABLE = [chr(b) if b in _SAFE else "+" if b == 0x20 else f"%{b:02x}" for b in range(256)]
_ASCII = str.maketrans({chr(b): _TABLE[b] for b in range(128)})


def url_encode(text: str) -> str:
    if text.isascii():  # nearly every field: one pass in C
        return text.translate(_ASCII)
    return "".join(_TABLE[b] for b in text.encode("utf-8"))


def form(fields: list[tuple[str, str]]) -> str:
    return "&".join([f"{name}={url_encode(value)}" for name, value in fields])


def sent_form(message: Message, *, sent: bool) -> str:
    """``SMSSent=1`` once the message went to the carrier; ``SMSSent=0`` when the carrier refused it."""
    when = message.sent_at or message.created_at
    return form(
        [
            ("SMSSent", "1" if sent else "0"),
            ("MessageID", str(message.id)),
            ("ReferenceID", message.reference_id or ""),
            ("FromPhoneNumber", message.from_number),
            ("ToPhoneNumber", message.to_number),
            ("SentTime", postback_datetime(when)),
        ]
    )


def reply_form(incoming: IncomingMessage, matched: Message | None) -> str:
    return form(
        [
            ("SMSResponse", "1"),
            ("MessageID", str(incoming.id)),
            ("MatchedMessageID", str(matched.id if matched else EMPTY_GUID)),
            ("ReferenceID", (matched.reference_id if matched else None) or ""),
            ("FromPhoneNumber", incoming.from_number),
            ("ToPhoneNumber", incoming.to_number),
            ("ResponseReceiveDate", postback_datetime(incoming.received_at)),
            ("Message", incoming.text),
        ]
    )


def receipt_form(message: Message, code: str, description: str) -> str:
    return form(
        [
            ("DeliveryReceipt", "1"),
            ("MessageID", str(message.id)),
            ("ReferenceID", message.reference_id or ""),
            ("FromPhoneNumber", message.from_number),
            ("ToPhoneNumber", message.to_number),
            ("DeliveryReceiptMessage", description),
            ("Code", code),
        ]
    )
