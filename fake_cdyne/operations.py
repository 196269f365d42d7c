"""The seven sms.svc operations, on typed requests, free of any wire format.

Sends return the responses and the messages they created; the caller starts those messages' life
cycle once the response has gone out, so nothing about a message happens before its sender has heard
back.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .clock import Clock
from .dates import MIN_VALUE
from .model import EMPTY_GUID, IncomingMessage, Message, MessageState, SMSError, SMSResponse, new_id
from .scenario_model import Outcome
from .scenarios import Facts, FaultRequested, ScenarioEngine
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


def _shaped(response: SMSResponse, outcome: Outcome | None) -> SMSResponse:
    """A response as a scenario's outcome reshapes it (error, MessageID, flags)."""
    if outcome is None:
        return response
    changes: dict[str, object] = dict(outcome.flags)
    if outcome.error is not None and outcome.error is not response.error:
        changes["error"] = outcome.error
    if outcome.message_id == "zero":
        changes["message_id"] = EMPTY_GUID
    elif outcome.message_id == "fresh":
        changes["message_id"] = new_id()
    return dataclasses.replace(response, **changes) if changes else response  # type: ignore[arg-type]


class Operations:
    """Each operation asks the scenario engine first. A fault outcome raises FaultRequested before
    anything is stored; ``response_delay`` is how long the caller should hold the answer (set by each
    call; operations run one at a time on the event loop)."""

    def __init__(self, store: Store, clock: Clock, scenarios: ScenarioEngine, *, max_message_length: int) -> None:
        self.store = store
        self.clock = clock
        self.scenarios = scenarios
        self.max_message_length = max_message_length
        self.response_delay = 0.0

    def _consult(self, facts: Facts) -> Outcome | None:
        outcome = self.scenarios.decide(facts, self.clock.now())
        if outcome is not None:
            if outcome.fault is not None:
                raise FaultRequested(outcome.fault)
            self.response_delay = max(self.response_delay, outcome.delay)
        return outcome

    def simple_send(
        self,
        phone: str | None,
        message: str | None,
        license_key: uuid.UUID,
        postback_url: str | None = None,
        *,
        operation: str = "simplesmssend",
    ) -> Sent:
        request = SMSRequest(message, [phone or ""], postback_url=postback_url)
        return self.advanced_send(AdvancedRequest(license_key, [request]), operation=operation)

    def advanced_send(self, request: AdvancedRequest, *, operation: str = "advancedsmssend") -> Sent:
        self.response_delay = 0.0
        # Every recipient's outcome first: a fault for any of them fails the request with nothing stored.
        key = request.license_key
        idle = self.scenarios.idle_for(key)
        plan = [
            (sms, phone, None if idle else self._consult(self._send_facts(operation, key, sms, phone)))
            for sms in request.requests
            for phone in sms.phone_numbers
        ]
        sent = Sent()
        account = self.store.account(request.license_key)
        for sms, phone, outcome in plan:
            response, message = self._send_one(account, sms, phone, request.is_unicode, outcome)
            sent.responses.append(_shaped(response, outcome))
            if message is not None:
                sent.messages.append(message)
        return sent

    @staticmethod
    def _send_facts(operation: str, license_key: uuid.UUID, sms: SMSRequest, phone: str) -> Facts:
        did = sms.assigned_did
        return Facts(
            operation=operation,
            license_key=license_key,
            phone=normalise_phone(phone) or phone,
            message=sms.message,
            reference_id=sms.reference_id,
            assigned_did=(normalise_phone(did) or did) if did else None,
            postback_url=sms.postback_url,
        )

    def _send_one(
        self, account: Account | None, sms: SMSRequest, phone: str, is_unicode: bool, outcome: Outcome | None
    ) -> tuple[SMSResponse, Message | None]:
        if outcome is not None and outcome.error not in (None, SMSError.NoError):
            return SMSResponse.refused(outcome.error, sms.reference_id), None
        number = normalise_phone(phone)
        error, did = self._check(account, sms, number)
        if error is not SMSError.NoError or account is None or number is None or did is None:
            return SMSResponse.refused(error, sms.reference_id), None
        now = self.clock.now()
        scheduled = sms.scheduled_for if sms.scheduled_for and sms.scheduled_for > now else None
        message = Message(
            id=new_id(),
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
            life=outcome.life if outcome is not None else None,
        )
        self.store.add_message(account, message)
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

    def get_message_status(self, message_id: uuid.UUID, key_hint: uuid.UUID = EMPTY_GUID) -> SMSResponse:
        """``key_hint``: the LicenseKey many clients add, used to pick the key's rules for unknown IDs."""
        self.response_delay = 0.0
        message = self.store.messages.get(message_id)
        outcome = self._consult(Facts("getmessagestatus", message.license_key if message else key_hint))
        if message is None:
            return _shaped(SMSResponse.refused(SMSError.NotFound), outcome)
        return _shaped(SMSResponse.of(message, with_replies=True), outcome)

    def get_message_status_by_reference(self, reference_id: str | None, license_key: uuid.UUID) -> list[SMSResponse]:
        self.response_delay = 0.0
        outcome = self._consult(Facts("getmessagestatusbyreferenceid", license_key, reference_id=reference_id))
        account = self.store.account(license_key)
        if account is None:
            found = [SMSResponse.refused(SMSError.LicenseKeyInvalid)]
        else:
            found = [SMSResponse.of(m, with_replies=True) for m in account.by_reference.get(reference_id or "", [])]
        if outcome is not None and outcome.error is not None and not found:
            found = [SMSResponse.refused(outcome.error)]
        return [_shaped(response, outcome) for response in found]

    def get_unread_incoming_messages(self, license_key: uuid.UUID) -> list[IncomingMessage]:
        self.response_delay = 0.0
        self._consult(Facts("getunreadincomingmessages", license_key))
        account = self.store.account(license_key)
        return self.store.take_unread(account) if account is not None else []

    def cancel_message(self, message_id: uuid.UUID) -> bool:
        self.response_delay = 0.0
        message = self.store.messages.get(message_id)
        self._consult(Facts("cancelmessage", message.license_key if message else EMPTY_GUID))
        if message is None or message.state is not MessageState.SCHEDULED:
            return False
        message.state = MessageState.CANCELLED
        return True
