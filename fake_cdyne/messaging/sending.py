"""SendMessage and ReadMessageStatus (contract §4.2, §4.3): the Messaging API's sends, on sms2's store.

A SendMessage request is checked once (key, suspension, schedule, body, size, sending number, in that
order: the first failure is every recipient's status), then each ``To`` entry gets its own
OutgoingMessageResponse: InvalidDestination, StopOnPhoneNumber, or accepted as Ready with a new
MessageID. Accepted messages are the same ``Message`` records sms2 sends make (``messaging=True``), so
the life cycle (``lifecycle.py``) moves them Ready -> Processing -> Sent, sms2's status, cancel and
inbox read them, and ReadMessageStatus reads sms2's messages. Like ``Operations``, each method asks the
scenario engine first and returns a ``Result``: the messages to start once the answer has gone out.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..dates import MIN_VALUE, quantise
from ..model import EMPTY_GUID, Message, MessageState, RefusedSend, new_id
from ..operations import Result
from ..scenario_model import Outcome
from ..scenarios import Facts
from ..store import Account
from ..values import normalise_phone
from .codec import given_as_utc
from .status import ERROR_OF_STATUS, STATUS_OF_ERROR, MessageStatus, status_of

if TYPE_CHECKING:
    from ..service import Service

# "MMS messages must each be no larger than 1MB in size" (D:m/SendMessage): the body and subject here.
MMS_LIMIT_BYTES = 1024 * 1024
# The statuses a scenario may give an accepted message that it then keeps: stored in this state and
# never started (no Sent postback, no receipt). Ready and Processing go through the life cycle.
_KEPT = {
    MessageStatus.Hold: MessageState.QUEUED,
    MessageStatus.Sent: MessageState.SENT,
    MessageStatus.Failed: MessageState.CANCELLED,
    MessageStatus.Cancelled: MessageState.CANCELLED,
    MessageStatus.FailedByProvider: MessageState.SENT,
}


def naive(moment: datetime | None) -> datetime:
    """A stored (UTC) time as the codec takes it, naive UTC; None is DateTime.MinValue."""
    return (moment or MIN_VALUE).replace(tzinfo=None)


def aware(moment: datetime | None) -> datetime | None:
    """A request's time (naive UTC from the codec, or zoned) as the store keeps times; MinValue is None."""
    if moment is None:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return None if moment == MIN_VALUE else moment


def attachments_text(ids: Sequence[int]) -> str | None:
    """OutgoingMessageResponse.Attachments (one string): the media IDs comma-separated; None for none."""
    return ",".join(map(str, ids)) or None


def outgoing_response(message: Message, status: MessageStatus | None = None) -> dict[str, Any]:
    """The OutgoingMessageResponse of a stored message (of either API), as it stands now."""
    return {
        "Attachments": attachments_text(message.attachments),
        "From": message.from_number,
        "MessageID": message.id,
        "MessageStatus": (status or status_of(message)).name,
        "SentTime": naive(message.sent_at),
        "To": message.to_number,
    }


def refused_response(status: MessageStatus, to: str | None, sender: str | None = None) -> dict[str, Any]:
    """A recipient not sent to, or a message ID not found: the all-zero GUID (or the ID asked about)."""
    return {
        "Attachments": None,
        "From": sender,
        "MessageID": EMPTY_GUID,
        "MessageStatus": status.name,
        "SentTime": naive(None),
        "To": to,
    }


def forced_status(outcome: Outcome | None) -> MessageStatus | None:
    """The MessageStatus a scenario's outcome asks for: its ``message_status``, or its SMSError's."""
    if outcome is None:
        return None
    if outcome.message_status is not None:
        return MessageStatus[outcome.message_status]
    return STATUS_OF_ERROR.get(outcome.error) if outcome.error is not None else None


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


class Sending:
    def __init__(self, service: Service) -> None:
        self.service = service

    # ---- SendMessage -------------------------------------------------------------------------------

    def send_message(self, request: dict[str, Any]) -> Result[list[dict[str, Any]]]:
        service = self.service
        key: uuid.UUID = request.get("LicenseKey") or EMPTY_GUID
        recipients = [_text(raw) for raw in request.get("To") or ()]
        now = service.clock.now()
        # Every recipient's outcome first: a fault for any of them fails the request with nothing stored.
        idle = service.scenarios.idle_for(key)
        plan: list[tuple[str, Outcome | None]] = []
        delay = 0.0
        for raw in recipients:
            outcome = None if idle else service.scenarios.decide(self._facts(key, request, raw), now)
            if outcome is not None:
                if outcome.fault is not None:
                    return Result(None, fault=outcome.fault)
                delay = max(delay, outcome.delay)
            plan.append((raw, outcome))
        account = service.store.account(key)
        refused, sender = self._check(account, request)
        entries: list[dict[str, Any]] = []
        started: list[Message] = []
        media: tuple[int, ...] | None = None
        for raw, outcome in plan:
            forced = forced_status(outcome)
            number = normalise_phone(raw)
            status = refused or self._recipient_check(account, number)
            if forced is not None and forced.refuses:
                status = forced
            if status is not None or account is None or number is None or sender is None:
                status = status or MessageStatus.InvalidDestination
                entries.append(_reshaped(refused_response(status, raw, sender), outcome))
                self._keep_refusal(account, number, request, status)
                continue
            if media is None:
                media = self._media(key, request)
            message = self._accepted(account, request, number, sender, media, outcome, now)
            if forced in _KEPT:
                message.state = _KEPT[forced]
                message.sent_at = quantise(now) if message.state is MessageState.SENT else None
                message.status = forced.name if forced not in (MessageStatus.Sent, MessageStatus.Cancelled) else None
                entries.append(_reshaped(outgoing_response(message), outcome))
                continue
            started.append(message)
            shown = MessageStatus.Processing if forced is MessageStatus.Processing else MessageStatus.Ready
            entries.append(_reshaped(outgoing_response(message, shown), outcome))
        return Result(entries, tuple(started), delay)

    @staticmethod
    def _facts(key: uuid.UUID, request: dict[str, Any], raw: str) -> Facts:
        sender = request.get("From")
        return Facts(
            operation="sendmessage",
            license_key=key,
            phone=normalise_phone(raw) or raw,
            message=request.get("Body"),
            reference_id=request.get("ReferenceID"),
            assigned_did=(normalise_phone(sender) or sender) if sender else None,
            postback_url=request.get("PostbackUrl"),
        )

    def _check(self, account: Account | None, request: dict[str, Any]) -> tuple[MessageStatus | None, str | None]:
        """The request's first failure in the documented order (§4.2.1), and the number to send from."""
        if account is None:
            return MessageStatus.InvalidLicenseKey, None
        if account.suspended:
            return MessageStatus.AccountSuspended, None
        scheduled = request.get("ScheduledDateTime")
        marked_utc = isinstance(scheduled, datetime) and given_as_utc(scheduled) and not scheduled.utcoffset()
        if isinstance(scheduled, datetime) and scheduled != MIN_VALUE and not marked_utc:
            return MessageStatus.InvalidDateTime, None  # an offset, or an XML time without Z: as sms2
        body, use_mms = request.get("Body") or "", bool(request.get("UseMMS"))
        if not body.strip() and not (use_mms and request.get("Attachments")):
            return MessageStatus.NoMessage, None
        if use_mms:
            size = len(body.encode("utf-8", "replace")) + len((request.get("Subject") or "").encode("utf-8", "replace"))
            if size > MMS_LIMIT_BYTES:
                return MessageStatus.MessageExceedsLimit, None
        elif len(body) > self.service.config.max_message_length:
            return MessageStatus.MessageExceedsLimit, None
        given = (request.get("From") or "").strip()
        if given:
            did = normalise_phone(given)
            if did is None or did not in account.dids:
                return MessageStatus.InvalidDid, None
            return None, did
        if not account.dids:
            return MessageStatus.MissingDidOrInvalidMessageId, None
        return None, account.did  # "one of your numbers will be chosen automatically"

    @staticmethod
    def _recipient_check(account: Account | None, number: str | None) -> MessageStatus | None:
        if number is None:
            return MessageStatus.InvalidDestination
        if account is not None and number in account.blocked:
            return MessageStatus.StopOnPhoneNumber
        return None

    def _media(self, key: uuid.UUID, request: dict[str, Any]) -> tuple[int, ...]:
        """The attachments of an MMS as media IDs of the key (URLs recorded, not fetched); none for SMS."""
        given = [_text(item) for item in request.get("Attachments") or () if _text(item).strip()]
        if not request.get("UseMMS") or not given:
            return ()
        return tuple(self.service.messaging.media.record(key, given))

    def _accepted(
        self,
        account: Account,
        request: dict[str, Any],
        number: str,
        sender: str,
        media: tuple[int, ...],
        outcome: Outcome | None,
        now: datetime,
    ) -> Message:
        when = aware(request.get("ScheduledDateTime"))
        scheduled = when if when is not None and when > now else None
        use_mms = bool(request.get("UseMMS"))
        message = Message(
            id=new_id(),
            license_key=account.license_key,
            to_number=number,
            from_number=sender,
            text=request.get("Body") or "",
            created_at=quantise(now),
            reference_id=request.get("ReferenceID") or None,
            postback_url=request.get("PostbackUrl") or None,
            scheduled_for=scheduled,
            is_unicode=bool(request.get("IsUnicode")) or use_mms,  # "all MMS messages support Unicode"
            state=MessageState.SCHEDULED if scheduled else MessageState.QUEUED,
            life=outcome.life if outcome is not None else None,
            messaging=True,
            use_mms=use_mms,
            subject=request.get("Subject") if use_mms else None,
            attachments=media,
        )
        self.service.store.add_message(account, message)
        return message

    def _keep_refusal(
        self, account: Account | None, number: str | None, request: dict[str, Any], status: MessageStatus
    ) -> None:
        """A refused recipient the service could read, for its conversation in the inbox (as sms2's)."""
        if account is None or number is None:
            return
        at, text = self.service.clock.stamp(), request.get("Body") or ""
        refused = RefusedSend(at, account.license_key, number, text, ERROR_OF_STATUS[status])
        self.service.store.add_refused(account, refused)

    # ---- ReadMessageStatus -------------------------------------------------------------------------

    def read_message_status(self, license_key: uuid.UUID, message_id: uuid.UUID) -> Result[dict[str, Any]]:
        service = self.service
        outcome = service.scenarios.decide(Facts("readmessagestatus", license_key), service.clock.now())
        if outcome is not None and outcome.fault is not None:
            return Result(None, fault=outcome.fault)
        account = service.store.account(license_key)
        message = service.store.message(message_id)
        if account is None:
            answer = refused_response(MessageStatus.InvalidLicenseKey, None) | {"MessageID": message_id}
        elif message is not None and message.license_key == license_key:
            answer = outgoing_response(message)
        else:
            answer = self._incoming_status(account, message_id)
        forced = forced_status(outcome)
        if forced is not None:
            answer["MessageStatus"] = forced.name
        return Result(_reshaped(answer, outcome), delay=outcome.delay if outcome is not None else 0.0)

    @staticmethod
    def _incoming_status(account: Account, message_id: uuid.UUID) -> dict[str, Any]:
        """An incoming message reads as Sent at its receive time (§7 item 37); an unknown ID as 404."""
        incoming = next((text for text in reversed(account.incoming) if text.id == message_id), None)
        if incoming is None:
            return refused_response(MessageStatus.MissingDidOrInvalidMessageId, None) | {"MessageID": message_id}
        return {
            "Attachments": attachments_text(incoming.attachments),
            "From": incoming.from_number,
            "MessageID": incoming.id,
            "MessageStatus": MessageStatus.Sent.name,
            "SentTime": naive(incoming.received_at),
            "To": incoming.to_number,
        }


def _reshaped(answer: dict[str, Any], outcome: Outcome | None) -> dict[str, Any]:
    """An answer with the MessageID a scenario's outcome asks for (``zero`` or ``fresh``)."""
    if outcome is not None and outcome.message_id == "zero":
        answer["MessageID"] = EMPTY_GUID
    elif outcome is not None and outcome.message_id == "fresh":
        answer["MessageID"] = new_id()
    return answer
