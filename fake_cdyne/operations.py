"""The seven sms.svc operations, on typed requests, free of any wire format.

Sends return the responses and the messages they created; the caller starts those messages' life
cycle once the response has gone out, so nothing about a message happens before its sender has heard
back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .clock import Clock
from .dates import MIN_VALUE
from .model import IncomingMessage, Message, MessageState, SMSError, SMSResponse
from .store import Account, Store
from .values import normalise_phone


@dataclass(frozen=True, slots=True)
class SMSRequest:
    """One SMSRequest of AdvancedSMSsend (SimpleSMSsend is one with a single number)."""

    message: str | None
    phone_numbers: Sequence[str]
    assigned_did: str | None = None
    reference_id: str | None = None
    postback_url: str | None = None
    scheduled_for: datetime | None = None
    scheduled_is_utc: bool = True


@dataclass(frozen=True, slots=True)
class AdvancedRequest:
    license_key: uuid.UUID
    requests: Sequence[SMSRequest]
    concatenate: bool = False
    is_unicode: bool = False


@dataclass(slots=True)
class Sent:
    responses: list[SMSResponse] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)


class Operations:
    def __init__(self, store: Store, clock: Clock, *, max_message_length: int) -> None:
        self.store = store
        self.clock = clock
        self.max_message_length = max_message_length

    def simple_send(
        self, phone: str | None, message: str | None, license_key: uuid.UUID, postback_url: str | None = None
    ) -> Sent:
        request = SMSRequest(message, [phone or ""], postback_url=postback_url)
        return self.advanced_send(AdvancedRequest(license_key, [request]))

    def advanced_send(self, request: AdvancedRequest) -> Sent:
        sent = Sent()
        account = self.store.account(request.license_key)
        for sms in request.requests:
            for phone in sms.phone_numbers:
                response, message = self._send_one(account, sms, phone, request.is_unicode)
                sent.responses.append(response)
                if message is not None:
                    sent.messages.append(message)
        return sent

    def _send_one(
        self, account: Account | None, sms: SMSRequest, phone: str, is_unicode: bool
    ) -> tuple[SMSResponse, Message | None]:
        number = normalise_phone(phone)
        error, did = self._check(account, sms, number)
        if error is not SMSError.NoError or account is None or number is None or did is None:
            return SMSResponse.refused(error, sms.reference_id), None
        now = self.clock.now()
        scheduled = sms.scheduled_for if sms.scheduled_for and sms.scheduled_for > now else None
        message = Message(
            id=uuid.uuid4(),
            license_key=account.license_key,
            to_number=number,
            from_number=did,
            text=sms.message or "",
            created_at=now,
            reference_id=sms.reference_id,
            postback_url=sms.postback_url or None,
            scheduled_for=scheduled,
            is_unicode=is_unicode,
            state=MessageState.SCHEDULED if scheduled else MessageState.QUEUED,
        )
        self.store.add_message(account, message)
        if not scheduled:
            account.last_to[number] = message
        return SMSResponse.of(message, with_replies=False), message

    def _check(self, account: Account | None, sms: SMSRequest, number: str | None) -> tuple[SMSError, str | None]:
        """The first error that applies, in the documented order, and the DID to send from."""
        if account is None:
            return SMSError.LicenseKeyInvalid, None
        if account.suspended:
            return SMSError.ContactCdyneAccountSuspended, None
        if number is None:
            return SMSError.PhoneNumberInvalid, None
        if number in account.blocked:
            return SMSError.STOPfromPhoneNumber, None
        if not sms.message or not sms.message.strip() or len(sms.message) > self.max_message_length:
            return SMSError.MessageInvalid, None
        did = account.did
        if sms.assigned_did:
            did = normalise_phone(sms.assigned_did) or sms.assigned_did
            if did not in account.dids:
                return SMSError.InvalidAssignedDID, None
        if sms.scheduled_for is not None and sms.scheduled_for != MIN_VALUE and not sms.scheduled_is_utc:
            return SMSError.ScheduledDateTimeIsNotUTC, None
        return SMSError.NoError, did

    def get_message_status(self, message_id: uuid.UUID) -> SMSResponse:
        message = self.store.messages.get(message_id)
        if message is None:
            return SMSResponse.refused(SMSError.NotFound)
        return SMSResponse.of(message, with_replies=True)

    def get_message_status_by_reference(self, reference_id: str | None, license_key: uuid.UUID) -> list[SMSResponse]:
        account = self.store.account(license_key)
        if account is None:
            return [SMSResponse.refused(SMSError.LicenseKeyInvalid)]
        found = account.by_reference.get(reference_id or "", [])
        return [SMSResponse.of(message, with_replies=True) for message in found]

    def get_unread_incoming_messages(self, license_key: uuid.UUID) -> list[IncomingMessage]:
        account = self.store.account(license_key)
        return self.store.take_unread(account) if account is not None else []

    def cancel_message(self, message_id: uuid.UUID) -> bool:
        message = self.store.messages.get(message_id)
        if message is None or message.state is not MessageState.SCHEDULED:
            return False
        message.state = MessageState.CANCELLED
        return True
