"""The bodies of the Messaging API's postbacks (contract §5), byte for byte as sms2's.

SMS Sent, SMS Response and the delivery receipt have exactly sms2's fields (``postback_forms``); the
MMS kinds carry ``MMSSent`` / ``MMSResponse`` as their flag field instead, the other fields unchanged.
An SMS receipt's DeliveryReceiptMessage is the carrier's text; an MMS receipt's is the code's name.
"""

from __future__ import annotations

from ..dates import postback_datetime
from ..model import IncomingMessage, Message
from ..postback_forms import form, reply_form, sent_form
from .status import RECEIPT_NAMES


def is_mms(text: IncomingMessage) -> bool:
    return bool(text.attachments) or text.subject is not None


def outgoing_form(message: Message, *, sent: bool) -> str:
    """SMS Sent or MMS Sent: ``1`` once handed to the carrier, ``0`` when the carrier refused it."""
    if not message.use_mms:
        return sent_form(message, sent=sent)
    return form(
        [
            ("MMSSent", "1" if sent else "0"),
            ("MessageID", str(message.id)),
            ("ReferenceID", message.reference_id or ""),
            ("FromPhoneNumber", message.from_number),
            ("ToPhoneNumber", message.to_number),
            ("SentTime", postback_datetime(message.sent_at or message.created_at)),
        ]
    )


def response_form(incoming: IncomingMessage, matched: Message | None) -> str:
    """SMS Response or MMS Response (its text in Message; the parts are read with GetMedia)."""
    body = reply_form(incoming, matched)
    return "MMSResponse" + body.removeprefix("SMSResponse") if is_mms(incoming) else body


def carrier_text(message: Message, code: str) -> str:
    """What the fake's own receipts say: an SMS carrier's report (the doc's sample's shape), or for MMS
    the DeliveryReceiptCode's name."""
    if message.use_mms:
        return RECEIPT_NAMES.get(code, "CarrierErrorUnknown")
    when = (message.sent_at or message.created_at).strftime("%y%m%d%H%M")
    delivered = code == "000"
    state = "DELIVRD" if delivered else "ENROUTE" if code in ("003", "004") else "UNDELIV"
    return (
        f"id:{message.id.int % 10**10:010d} sub:001 dlvrd:{'001' if delivered else '000'} submit date:{when} "
        f"done date:{when} stat:{state} err:000 text:{message.text[:20]}"
    )
