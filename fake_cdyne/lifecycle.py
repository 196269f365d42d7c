"""What happens to a message after the send's response: queued, sent, and texts coming back.

Transitions run on the scheduler (so a manual clock drives them) and are announced to listeners as
``LifeEvent``s; the postback dispatchers (sms2's and the Messaging API's) and the live pages' event hub
are listeners. Each listens to the kinds it acts on (``Lifecycle.listen``), and an event no one listens
to is not made: a send nobody watches pays for no announcement of its creation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from .carrier import Carrier
from .clock import Scheduler
from .model import (
    EMPTY_GUID,
    QUEUED,
    RECEIPT_CODES,
    SCHEDULED,
    SENT,
    IncomingMessage,
    Message,
    MessageState,
    Receipt,
    new_incoming_id,
)
from .scenario_model import Life
from .store import Account, Store

STOP_WORDS = frozenset({"STOP", "END", "CANCEL", "UNSUBSCRIBE", "QUIT"})
STOP_REPLY = "This provider is now blocked. Text back RESUME to unblock your number."
RESUME_REPLY = "OK."
HELP_REPLY = "Reply STOP to stop receiving messages from this number. Msg&data rates may apply."


Kind = Literal["created", "sent", "refused", "receipt", "incoming"]
KINDS: tuple[Kind, ...] = ("created", "sent", "refused", "receipt", "incoming")


@dataclass(slots=True)  # not frozen: one is made for every send, and a frozen __init__ costs more
class LifeEvent:
    kind: Kind
    account: Account
    message: Message | None = None
    incoming: IncomingMessage | None = None
    code: str | None = None  # a delivery receipt's code and description
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Received:
    incoming: IncomingMessage
    matched: Message | None
    auto_reply: str | None


Listener = Callable[[LifeEvent], None]


class Lifecycle:
    def __init__(
        self, store: Store, scheduler: Scheduler, *, send_delay: float, carrier: Carrier | None = None
    ) -> None:
        self.store = store
        self.carrier = carrier  # a scenario file's carrier realism; None: off
        self.scheduler = scheduler
        self.send_delay = timedelta(seconds=send_delay)
        self._listeners: dict[Kind, list[Listener]] = {kind: [] for kind in KINDS}

    def listen(self, listener: Listener, kinds: Iterable[Kind] = KINDS) -> None:
        """Announce events of these kinds to ``listener``, after those listening already."""
        for kind in kinds:
            self._listeners[kind].append(listener)

    def unlisten(self, listener: Listener) -> None:
        for listening in self._listeners.values():
            if listener in listening:
                listening.remove(listener)

    def start(self, messages: Iterable[Message]) -> None:
        """Begin the life of freshly stored messages; called once their send has been answered."""
        for message in messages:
            account = self.store.find(message.license_key)
            if account is not None:
                self._announce("created", account, message)
            if message.state is SCHEDULED and message.scheduled_for is not None:
                self.scheduler.call_at(
                    message.scheduled_for, functools.partial(self._queue, message), message.license_key
                )
            else:
                self._schedule_sending(message, account)

    def _queue(self, message: Message) -> None:
        if message.state is not MessageState.SCHEDULED:
            return  # cancelled meanwhile
        self.store.queue(message)
        self._schedule_sending(message)

    def _schedule_sending(self, message: Message, account: Account | None = None) -> None:
        """``account``: the message's, just found (sent at once, it need not be looked up again)."""
        life = message.life
        delay = self.send_delay if life is None or life.sent_after is None else timedelta(seconds=life.sent_after)
        if not delay and not self.scheduler.pending:
            self._send(message, False, account)  # due now, nothing ahead of it: what the scheduler would do, sooner
            return
        self.scheduler.call_at(self.scheduler.clock.now() + delay, lambda: self._send(message), message.license_key)

    def _send(self, message: Message, admitted: bool = False, account: Account | None = None) -> None:
        if account is None:
            account = self.store.find(message.license_key)
        if message.state is not QUEUED or account is None or self.store.message(message.id) is not message:
            return  # cancelled, its account reset, or let go by retention
        life = message.life
        if life is not None and life.refuse:
            self.refuse(message, life.refuse)
            return
        throttled = None
        if self.carrier is not None and not admitted:
            turn = self.carrier.admit(message, self.scheduler.clock.now())
            if isinstance(turn, datetime):  # over its DID's rate: it waits in the queue for its turn
                self.scheduler.call_at(turn, functools.partial(self._send, message, True), message.license_key)
                return
            throttled = turn
        message.state = SENT
        message.sent_at = self.scheduler.clock.stamp()
        if self.carrier is not None:
            life = message.life = self.carrier.life(life, throttled)  # kept: a restart re-arms it (resume)
        self.store.changed(message)
        self._announce("sent", account, message)
        if life is not None:
            self._follow(account, message, life)

    def resume(self, message: Message, done_by: datetime) -> None:
        """Re-arm what was scheduled for a message restored (from a snapshot or a store): its queueing or
        its sending, or its life's receipt and replies due after ``done_by`` (those before it happened)."""
        account = self.store.find(message.license_key)
        if message.state is MessageState.SCHEDULED and message.scheduled_for is not None:
            self.scheduler.call_at(message.scheduled_for, functools.partial(self._queue, message), message.license_key)
        elif message.state is MessageState.QUEUED:
            self._schedule_sending(message)
        elif message.state is MessageState.SENT and message.life and message.sent_at and account:
            self._follow(account, message, message.life, message.sent_at, done_by)

    def _follow(
        self,
        account: Account,
        message: Message,
        life: Life,
        sent: datetime | None = None,
        done_by: datetime | None = None,
    ) -> None:
        """A scenario's receipt and replies, each at its time after the message was sent (those not due
        after ``done_by``, which happened before a restart, are not scheduled again)."""
        now = sent or self.scheduler.clock.now()
        if life.receipt is not None and (done_by is None or now + timedelta(seconds=life.receipt.after) > done_by):
            receipt = life.receipt
            description = receipt.message or RECEIPT_CODES.get(receipt.code, "Unknown")
            self.scheduler.call_at(
                now + timedelta(seconds=receipt.after),
                lambda: self.receipt(message, receipt.code, description),
                message.license_key,
            )
        for reply in life.replies:
            if done_by is not None and now + timedelta(seconds=reply.after) <= done_by:
                continue
            self.scheduler.call_at(
                now + timedelta(seconds=reply.after),
                functools.partial(self._reply, account, message, reply.message),
                message.license_key,
            )

    def _reply(self, account: Account, message: Message, text: str) -> None:
        if self.store.find(account.license_key) is account:  # not reset meanwhile
            self.receive(account, message.to_number, text, message.from_number)

    def refuse(self, message: Message, attempts: int) -> None:
        """The carrier refuses the message (a landline): ``attempts`` tries, then it is cancelled."""
        account = self.store.find(message.license_key)
        message.state = MessageState.CANCELLED
        message.sent_at = None
        message.refused_at = self.scheduler.clock.stamp()
        self.store.changed(message)
        if account is None:
            return
        for _ in range(attempts):
            self._announce("refused", account, message)

    def receipt(self, message: Message, code: str, description: str) -> None:
        """The carrier reports delivery (or not) of a sent message (not of one retention let go)."""
        if self.store.message(message.id) is not message:
            return
        account = self.store.find(message.license_key)
        message.receipts += (Receipt(self.scheduler.clock.stamp(), code, description),)
        self.store.changed(message)
        if account is not None:
            self._announce("receipt", account, message, code=code, description=description)

    def receive(
        self,
        account: Account,
        from_number: str,
        text: str,
        to_number: str | None,
        *,
        subject: str | None = None,
        attachments: tuple[int, ...] = (),
    ) -> Received:
        """A phone texts one of the account's numbers: store it, match it, act on keywords. An MMS has
        a ``subject`` and ``attachments`` (MediaIds of the account's media, already stored)."""
        matched = account.last_to.get(from_number)
        incoming = IncomingMessage(
            id=new_incoming_id(),
            license_key=account.license_key,
            from_number=from_number,
            to_number=to_number or (matched.from_number if matched else account.did),
            text=text,
            received_at=self.scheduler.clock.stamp(),
            matched_message_id=matched.id if matched else EMPTY_GUID,
            subject=subject,
            attachments=attachments,
        )
        self.store.add_incoming(account, incoming)
        if matched is not None:
            matched.replies += (incoming,)
            self.store.changed(matched)
        auto_reply = incoming.auto_reply = self._act_on_keyword(account, incoming)
        if auto_reply is not None:
            self.store.changed(incoming)
        self._announce("incoming", account, matched, incoming=incoming)
        return Received(incoming, matched, auto_reply)

    def _act_on_keyword(self, account: Account, incoming: IncomingMessage) -> str | None:
        keyword, from_number = incoming.text.strip().upper(), incoming.from_number
        if keyword in STOP_WORDS:
            self.store.block(account, from_number, incoming.received_at)
            return STOP_REPLY
        if keyword == "RESUME":
            self.store.unblock(account, from_number)
            return RESUME_REPLY
        if keyword == "HELP":
            return HELP_REPLY
        return None

    def _announce(
        self,
        kind: Kind,
        account: Account,
        message: Message | None,
        *,
        incoming: IncomingMessage | None = None,
        code: str | None = None,
        description: str | None = None,
    ) -> None:
        listeners = self._listeners[kind]
        if listeners:  # no event is made for no one
            event = LifeEvent(kind, account, message, incoming, code, description)
            for listener in listeners:
                listener(event)
