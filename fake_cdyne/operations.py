"""The seven sms.svc operations, on typed requests, free of any wire format.

Each returns a ``Result``: the value to answer with (or a scenario's fault to play instead), how long
to hold the answer, and the messages whose life cycle starts once the answer has gone out, so nothing
about a message happens before its sender has heard back. Each method takes its operation's
parameters in CDYNE's order (``sms2.py`` names the method).
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

from .clock import Clock
from .dates import MIN_VALUE
from .model import (
    EMPTY_GUID,
    NO_ERROR,
    QUEUED,
    SCHEDULED,
    IncomingMessage,
    Message,
    MessageState,
    RefusedSend,
    SMSError,
    SMSResponse,
    new_id,
)
from .requests import AdvancedRequest, SMSRequest
from .scenario_model import Fault, Outcome
from .scenarios import Facts, ScenarioEngine
from .store import Account, Store
from .values import normalise_phone

T = TypeVar("T")


@dataclass(slots=True)  # not frozen: its __init__ would cost a microsecond on every request
class Result(Generic[T]):
    """What an operation answers. With a ``fault``, nothing was stored and ``value`` is None."""

    value: T | None
    started: tuple[Message, ...] = ()  # their life starts once the answer has been sent
    delay: float = 0.0  # seconds to hold the answer (real time: it tests the client's timeouts)
    fault: Fault | None = None


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


def answered(value: T, outcome: Outcome | None) -> Result[T]:
    """``value`` as a scenario's outcome (None: no rule matched) lets it be answered: its fault instead,
    or held for its delay. With ``value`` None, the plan of an operation whose value is still to come."""
    if outcome is None:
        return Result(value)
    return Result(None, fault=outcome.fault) if outcome.fault is not None else Result(value, delay=outcome.delay)


class Operations:
    """Each operation asks the scenario engine first; a fault outcome is answered before anything is
    stored."""

    def __init__(self, store: Store, clock: Clock, scenarios: ScenarioEngine, *, max_message_length: int) -> None:
        self.store = store
        self.clock = clock
        self.scenarios = scenarios
        self.max_message_length = max_message_length

    def _consult(self, facts: Facts) -> Outcome | None:
        return self.scenarios.decide(facts, self.clock.now())

    def simple_sms_send(self, phone: str | None, message: str | None, license_key: uuid.UUID) -> Result[SMSResponse]:
        return self._simple(phone, message, license_key, None, "simplesmssend")

    def simple_sms_send_with_postback(
        self, phone: str | None, message: str | None, license_key: uuid.UUID, postback_url: str | None
    ) -> Result[SMSResponse]:
        return self._simple(phone, message, license_key, postback_url, "simplesmssendwithpostback")

    def _simple(
        self, phone: str | None, message: str | None, key: uuid.UUID, postback_url: str | None, operation: str
    ) -> Result[SMSResponse]:
        request = SMSRequest(message, (phone or "",), None, None, postback_url)  # by position: see _send_one
        if self.scenarios.idle_for(key):  # no rule to consult: one recipient, no general plan to build
            account = self.store.account(key)
            response, stored = self._send_one(account, request, phone or "", False, None)
            if stored is None:
                self._keep_refusal(account, request, phone or "", response)
            return Result(response, (stored,) if stored is not None else ())
        sent = self._send(AdvancedRequest(key, [request]), operation)
        if sent.value is None:
            return Result(None, fault=sent.fault)
        return Result(sent.value[0], sent.started, sent.delay)

    def advanced_sms_send(self, request: AdvancedRequest) -> Result[list[SMSResponse]]:
        return self._send(request, "advancedsmssend")

    def _send(self, request: AdvancedRequest, operation: str) -> Result[list[SMSResponse]]:
        # Every recipient's outcome first: a fault for any of them fails the request with nothing stored
        # (and the rules of the recipients after it are not consulted).
        key = request.license_key
        idle = self.scenarios.idle_for(key)
        plan: list[tuple[SMSRequest, str, Outcome | None]] = []
        delay = 0.0
        for sms in request.requests:
            for phone in sms.phone_numbers:
                outcome = None if idle else self._consult(self._send_facts(operation, key, sms, phone))
                if outcome is not None:
                    if outcome.fault is not None:
                        return Result(None, fault=outcome.fault)
                    delay = max(delay, outcome.delay)
                plan.append((sms, phone, outcome))
        responses: list[SMSResponse] = []
        started: list[Message] = []
        account = self.store.account(request.license_key)
        for sms, phone, outcome in plan:
            response, message = self._send_one(account, sms, phone, request.is_unicode, outcome)
            responses.append(shaped := _shaped(response, outcome))
            if message is not None:
                started.append(message)
            else:
                self._keep_refusal(account, sms, phone, shaped)
        return Result(responses, tuple(started), delay)

    def _keep_refusal(self, account: Account | None, sms: SMSRequest, phone: str, answer: SMSResponse) -> None:
        """A refused send, as the client was answered, for the conversation of a number the service
        could read (PhoneNumberInvalid or an unknown key belongs to no conversation)."""
        number = normalise_phone(phone)
        if account is not None and number is not None and answer.error is not SMSError.NoError:
            refused = RefusedSend(self.clock.stamp(), account.license_key, number, sms.message or "", answer.error)
            self.store.add_refused(account, refused)

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
        if error is not NO_ERROR or account is None or number is None or did is None:
            return SMSResponse.refused(error, sms.reference_id), None
        scheduled = sms.scheduled_for if sms.scheduled_for and sms.scheduled_for > self.clock.now() else None
        message = Message(  # its fields in order up to its state, by position: each keyword costs 450 instructions
            new_id(),
            account.license_key,
            number,
            did,
            sms.message or "",
            self.clock.stamp(),  # created_at, as sent_at: the service stores SQL Server datetimes
            sms.reference_id,
            sms.postback_url or None,
            scheduled,
            is_unicode,
            SCHEDULED if scheduled else QUEUED,
            None,  # sent_at
            (),  # replies
            (),  # receipts
            None,  # refused_at
            outcome.life if outcome is not None else None,
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
        return NO_ERROR, did

    def get_message_status(self, message_id: uuid.UUID, key_hint: uuid.UUID = EMPTY_GUID) -> Result[SMSResponse]:
        """``key_hint``: the LicenseKey many clients add, used to pick the key's rules for unknown IDs."""
        message = self.store.messages.get(message_id)
        outcome = self._consult(Facts("getmessagestatus", message.license_key if message else key_hint))
        if message is None:
            return answered(_shaped(SMSResponse.refused(SMSError.NotFound), outcome), outcome)
        return answered(_shaped(SMSResponse.of(message, with_replies=True), outcome), outcome)

    def get_message_status_by_reference_id(
        self, reference_id: str | None, license_key: uuid.UUID
    ) -> Result[list[SMSResponse]]:
        outcome = self._consult(Facts("getmessagestatusbyreferenceid", license_key, reference_id=reference_id))
        if outcome is not None and outcome.fault is not None:
            return Result(None, fault=outcome.fault)
        account = self.store.account(license_key)
        if account is None:
            found = [SMSResponse.refused(SMSError.LicenseKeyInvalid)]
        else:
            found = [SMSResponse.of(m, with_replies=True) for m in account.by_reference.get(reference_id or "", [])]
        if outcome is not None and outcome.error is not None and not found:
            found = [SMSResponse.refused(outcome.error)]
        return answered([_shaped(response, outcome) for response in found], outcome)

    def get_unread_incoming_messages(self, license_key: uuid.UUID) -> Result[list[IncomingMessage]]:
        outcome = self._consult(Facts("getunreadincomingmessages", license_key))
        if outcome is not None and outcome.fault is not None:
            return Result(None, fault=outcome.fault)
        account = self.store.account(license_key)
        return answered(self.store.take_unread(account) if account is not None else [], outcome)

    def cancel_message(self, message_id: uuid.UUID) -> Result[bool]:
        message = self.store.messages.get(message_id)
        outcome = self._consult(Facts("cancelmessage", message.license_key if message else EMPTY_GUID))
        if outcome is not None and outcome.fault is not None:
            return Result(None, fault=outcome.fault)
        if message is None or message.state is not MessageState.SCHEDULED:
            return answered(False, outcome)
        message.state = MessageState.CANCELLED
        self.store.changed(message)
        return answered(True, outcome)
