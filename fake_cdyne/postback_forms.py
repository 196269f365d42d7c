"""The bodies of CDYNE's three postbacks, byte for byte.

Form-encoded as .NET's HttpUtility.UrlEncode does it: a space is ``+``, escapes are lower-case
(``%2f``, ``%3a``), and letters, digits and ``-_.!*()`` stay as they are. Fields come in CDYNE's order;
dates are the US short form of the UTC time.
"""

from __future__ import annotations

from datetime import datetime

from .dates import postback_datetime
from .model import EMPTY_GUID, IncomingMessage, Message
from .values import guid_text

_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!*()")
_TABLE = [chr(b) if b in _SAFE else "+" if b == 0x20 else f"%{b:02x}" for b in range(256)]
_ASCII = str.maketrans({chr(b): _TABLE[b] for b in range(128)})


def url_encode(text: str) -> str:
    if text.isascii():  # nearly every field: one pass in C (none for letters and digits: a phone number)
        return text if text.isalnum() else text.translate(_ASCII)
    return "".join(_TABLE[b] for b in text.encode("utf-8"))


def _encoded_time(moment: datetime) -> str:
    """``postback_datetime`` form-encoded: its only characters besides letters and digits are "/", ":", " "
    (three replaces cost a third of a pass through the table)."""
    return postback_datetime(moment).replace("/", "%2f").replace(":", "%3a").replace(" ", "+")


def form(fields: list[tuple[str, str]]) -> str:
    return "&".join([f"{name}={url_encode(value)}" for name, value in fields])


def sent_form(message: Message, *, sent: bool) -> str:
    """``SMSSent=1`` once the message went to the carrier; ``SMSSent=0`` when the carrier refused it.
    One f-string (a GUID needs no escaping): the one form made for every send with a postback URL."""
    when = _encoded_time(message.sent_at or message.created_at)
    return (
        f"SMSSent={1 if sent else 0}&MessageID={guid_text(message.id)}"
        f"&ReferenceID={url_encode(message.reference_id or '')}"
        f"&FromPhoneNumber={url_encode(message.from_number)}&ToPhoneNumber={url_encode(message.to_number)}"
        f"&SentTime={when}"
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
