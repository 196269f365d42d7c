"""What CDYNE posts for a life event, and the misbehaviour (``Chaos``) a test may ask of a key's posts."""

from __future__ import annotations

from dataclasses import dataclass

from ..lifecycle import Kind as LifeKind
from ..lifecycle import LifeEvent
from ..postback_forms import receipt_form, reply_form, sent_form
from .journal import Outgoing

# The life events a postback may be made for (sms2's or the Messaging API's): none is made at "created".
POSTED_EVENTS: tuple[LifeKind, ...] = ("sent", "refused", "receipt", "incoming")


def postbacks_for(event: LifeEvent) -> list[Outgoing]:
    """The posts CDYNE makes for a life event (none when there is nowhere to post)."""
    message = event.message
    if message is not None and message.messaging:
        return []  # SendMessage's: the Messaging API's postbacks (messaging/delivery.py)
    if event.kind == "incoming" and event.incoming is not None:
        url = (message.postback_url if message else None) or event.account.postback_url
        body = reply_form(event.incoming, message)
        return [Outgoing("reply", event.incoming.id, url, body)] if url else []
    if message is None or not message.postback_url:
        return []
    if event.kind == "sent":
        return [Outgoing("sent", message.id, message.postback_url, sent_form(message, sent=True))]
    if event.kind == "refused":
        return [Outgoing("refused", message.id, message.postback_url, sent_form(message, sent=False))]
    if event.kind == "receipt":
        body = receipt_form(message, event.code or "", event.description or "")
        return [Outgoing("receipt", message.id, message.postback_url, body)]
    return []  # "created" and any later kind: CDYNE posts nothing for them


@dataclass(frozen=True, slots=True)
class Chaos:
    """Per-account misbehaviour on demand: deterministic for a given seed."""

    duplicate: bool = False
    drop: bool = False
    delay: float = 0.0
    jitter: float = 0.0
    seed: int = 0
