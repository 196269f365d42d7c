"""Which Messaging postbacks a life event makes, and where they go (contract §4.7, §5).

A listener of the life cycle beside sms2's (``postbacks.postbacks_for``, which leaves SendMessage's
messages to this one): SMS/MMS Sent when a message goes Sent (``0`` for each carrier refusal), the
delivery receipts, and SMS/MMS Response for a text to a Messaging message, or to a number with no
sms2 postback URL. The target is the message's own PostbackUrl, else the key's postback settings for
the number involved (``PostbackSettings.target``). The fake's own delivery receipts (003, then 000 at
once) are off unless ``Config.delivery_receipts`` is on; a scenario's receipt or carrier realism replaces them.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from ..lifecycle import LifeEvent
from ..model import Message
from ..postback_forms import receipt_form
from ..postbacks import Outgoing
from .forms import carrier_text, outgoing_form, response_form

if TYPE_CHECKING:
    from ..service import Service

# The kinds of PostbackSettings (SMSPostbackType names) each postback is looked up under.
OUTGOING, INCOMING, RECEIPT = "OutgoingMessage", "IncomingMessage", "DeliveryReceipt"
FAKE_RECEIPTS = ("003", "000")  # delivered to the carrier, then to the phone


class MessagingPostbacks:
    def __init__(self, service: Service) -> None:
        self.service = service

    def target(self, license_key: uuid.UUID, kind: str, number: str | None) -> str | None:
        """The key's postback settings' URL for this kind and number (steps 2 and 3 of §4.7)."""
        return self.service.messaging.postback_settings.target(license_key, kind, number)

    def on_life_event(self, event: LifeEvent) -> None:
        message = event.message
        if event.kind != "incoming" and (message is None or not message.messaging):
            return  # an sms2 message's: what postbacks_for finds, without looking (every sms2 send passes here)
        key = event.account.license_key
        for outgoing in self.postbacks_for(event):
            self.service.postbacks.submit(key, outgoing)
        if event.kind == "sent" and message is not None:
            self._fake_receipts(message)

    def postbacks_for(self, event: LifeEvent) -> list[Outgoing]:
        message, key = event.message, event.account.license_key
        if event.kind == "incoming" and event.incoming is not None:
            text = event.incoming
            if message is not None and message.messaging:
                url = message.postback_url or self.target(key, INCOMING, text.to_number)
            elif (message is None or not message.postback_url) and not event.account.postback_url:
                url = self.target(key, INCOMING, text.to_number)  # sms2 had nowhere to post it
            else:
                return []  # sms2's postback
            return [Outgoing("reply", text.id, url, response_form(text, message))] if url else []
        if message is None or not message.messaging:
            return []
        if event.kind in ("sent", "refused"):
            url = message.postback_url or self.target(key, OUTGOING, message.from_number)
            if not url:
                return []  # the form only when it goes somewhere: every send passes here
            return [Outgoing(event.kind, message.id, url, outgoing_form(message, sent=event.kind == "sent"))]
        if event.kind == "receipt":
            url = message.postback_url or self.target(key, RECEIPT, message.from_number)
            body = receipt_form(message, event.code or "", event.description or "") if url else ""
            return [Outgoing("receipt", message.id, url, body)] if url else []
        return []

    def _fake_receipts(self, message: Message) -> None:
        """003 then 000 when the setting is on, unless a scenario's rule or carrier realism is in play."""
        service = self.service
        scripted = message.life is not None and message.life.receipt is not None
        if not service.config.delivery_receipts or scripted or service.lifecycle.carrier is not None:
            return  # none asked for, or a scenario's receipt or its carrier's replaces them
        for code in FAKE_RECEIPTS:  # each announced, so posted, in turn
            service.lifecycle.receipt(message, code, carrier_text(message, code))
