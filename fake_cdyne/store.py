"""The fake's state: accounts (one per license key) and what they sent and received.

The store owns its invariants: every change goes through a ``Store`` method, and what it hands out
(an account's messages, texts, references, blocked numbers; the accounts and messages by key and id)
is read-only. ``IncomingMessage.read`` is the one record of what is unread. Every lookup an operation
makes is a dict access or a walk over its own results: messages by id, by (account, ReferenceID),
the last message queued to each phone, and the texts not yet read.

Retention (``retain_messages``, ``retain_seconds``) lets the oldest records go as new ones come: each
kind (messages, texts received, refused sends) is kept in a ``Ledger`` in the order stored, and letting
one go updates every index that names it (by id, by reference, the last to a phone, the unread mark, a
message's replies); ``letting_go`` listeners (the postback journal) hear the id of each message and text
let go. Each account counts what it let go (``Account.let_go``), so an index kept elsewhere (the inbox's)
can follow. Every record has a ``serial`` (its place in the store's order): listings page by it.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from .account import TEST_DID_PREFIX as TEST_DID_PREFIX
from .account import Account as Account
from .account import test_did as test_did
from .account import test_short_code as test_short_code
from .ledger import Ledger, Window, page
from .messaging.media_store import MediaStore
from .model import EMPTY_GUID, QUEUED, IncomingMessage, Message, MessageState, RefusedSend


def _serial(record: Message | IncomingMessage) -> int:
    return record.serial


class Recorder(Protocol):
    """Told of every change to the records (``persist.sqlite`` writes them down); called on the event loop."""

    def changed(self, record: object) -> None: ...

    def removed(self, record: object) -> None: ...

    def reset(self, license_key: uuid.UUID | None) -> None: ...


class Store:
    def __init__(
        self,
        *,
        extra_dids: Iterable[str] = (),
        accept_unknown_keys: bool = True,
        retain_messages: int = 0,
        retain_seconds: float = 0.0,
    ) -> None:
        self.extra_dids = list(extra_dids)
        self.accept_unknown_keys = accept_unknown_keys
        self.retain_messages = retain_messages
        self.retain_for = timedelta(seconds=retain_seconds) if retain_seconds else None
        self.letting_go: list[Callable[[uuid.UUID], None]] = []  # told each message and text id let go
        self._accounts: dict[uuid.UUID, Account] = {}
        self._messages: dict[uuid.UUID, Message] = {}
        self.last_serial = 0  # the serial of the newest record (and account) stored
        self._order: Ledger[Message] = Ledger(lambda m: self._messages.get(m.id) is m, _serial)
        self._texts: Ledger[IncomingMessage] = Ledger(self._current, _serial)
        self._refusals: Ledger[RefusedSend] = Ledger(self._current)
        self.media = MediaStore(self.changed, self._removed)  # the Messaging API's media (messaging/media_store.py)
        self.recorder: Recorder | None = None  # None (in memory only): nothing is told

    def _next_serial(self) -> int:
        self.last_serial += 1
        return self.last_serial

    def _current(self, record: IncomingMessage | RefusedSend) -> bool:
        """Whether the record's account is still the one that stored it (not reset since)."""
        account = self._accounts.get(record.license_key)
        return account is not None and record.serial > account._since

    def _removed(self, record: object) -> None:
        if self.recorder is not None:
            self.recorder.removed(record)

    def changed(self, record: object) -> None:
        """A record changed: every Store method says so itself; the life cycle calls this for the fields
        it sets on a message (its state, receipts, replies) and a text (its auto-reply)."""
        if self.recorder is not None:
            self.recorder.changed(record)

    # ---- reading ---------------------------------------------------------------------------------

    @property
    def accounts(self) -> Mapping[uuid.UUID, Account]:
        return self._accounts

    @property
    def messages(self) -> Mapping[uuid.UUID, Message]:
        return self._messages

    def find(self, license_key: uuid.UUID) -> Account | None:
        """The key's account if it has one (never creating it)."""
        return self._accounts.get(license_key)

    def message(self, message_id: uuid.UUID) -> Message | None:
        return self._messages.get(message_id)

    def accounts_of(self, license_key: uuid.UUID | None) -> list[Account]:
        """Every account (None), or the key's if it has one."""
        if license_key is None:
            return list(self._accounts.values())
        found = self._accounts.get(license_key)
        return [found] if found is not None else []

    def messages_of(self, license_key: uuid.UUID | None) -> Sequence[Message]:
        """Every message sent (None), or one key's, oldest first."""
        if license_key is None:
            return list(self._messages.values())
        found = self._accounts.get(license_key)
        return found.messages if found is not None else []

    def incoming_of(self, license_key: uuid.UUID | None) -> list[IncomingMessage]:
        """Every text received (None: of every key), or one key's, oldest first."""
        if license_key is None:
            return list(self._texts)
        found = self._accounts.get(license_key)
        return list(found.incoming) if found is not None else []

    def messages_page(self, license_key: uuid.UUID | None, cursor: int | None, limit: int) -> list[Message]:
        """Up to ``limit`` messages (every key's, or one's) stored after the one whose serial is ``cursor``."""
        if license_key is None:
            return self._order.page(cursor, limit)
        found = self._accounts.get(license_key)
        return page(found.messages, _serial, cursor, limit) if found is not None else []

    def incoming_page(self, license_key: uuid.UUID | None, cursor: int | None, limit: int) -> list[IncomingMessage]:
        """Up to ``limit`` texts received (every key's, or one's) after the one whose serial is ``cursor``."""
        if license_key is None:
            return self._texts.page(cursor, limit)
        found = self._accounts.get(license_key)
        return page(found.incoming, _serial, cursor, limit) if found is not None else []

    @property
    def size(self) -> tuple[int, int, int]:
        """How many messages, texts received and refused sends the store holds."""
        return len(self._messages), len(self._texts), len(self._refusals)

    # ---- accounts --------------------------------------------------------------------------------

    def account(self, license_key: uuid.UUID) -> Account | None:
        """The key's account, created on first use unless unknown keys are refused."""
        found = self._accounts.get(license_key)
        if found is not None or license_key == EMPTY_GUID or not self.accept_unknown_keys:
            return found
        account = Account(
            license_key,
            [test_did(license_key), *self.extra_dids],
            short_codes=[test_short_code(license_key)],
            _since=self._next_serial(),
        )
        self._accounts[license_key] = account
        self.changed(account)
        return account

    def declare(
        self,
        license_key: uuid.UUID,
        *,
        dids: list[str] | None = None,
        suspended: bool | None = None,
        blocked: Iterable[str] | None = None,
        postback_url: str | None = None,
        short_codes: list[str] | None = None,
    ) -> Account:
        """Create or update an account explicitly (a test's or a scenario's setup). None leaves a setting
        as it is; an empty ``postback_url`` clears it, an empty ``short_codes`` leaves the account none."""
        if license_key == EMPTY_GUID:
            raise ValueError("the empty GUID is never a valid license key")
        account = self._accounts.get(license_key)
        if account is None:
            account = Account(
                license_key, dids or [test_did(license_key), *self.extra_dids], _since=self._next_serial()
            )
            account.short_codes = [test_short_code(license_key)]
            self._accounts[license_key] = account
        elif dids:
            account.dids = dids
        if short_codes is not None:
            account.short_codes = short_codes
        if suspended is not None:
            account.suspended = suspended
        if blocked is not None:
            account._blocked = set(blocked)
            account._blocked_at = {phone: at for phone, at in account._blocked_at.items() if phone in account._blocked}
        if postback_url is not None:
            account.postback_url = postback_url or None
        self.changed(account)
        return account

    def block(self, account: Account, phone: str, at: datetime | None = None) -> None:
        """Block the phone; ``at``: when it texted STOP (a number blocked again keeps its first time)."""
        account._blocked.add(phone)
        if at is not None:
            account._blocked_at.setdefault(phone, at)
        self.changed(account)

    def unblock(self, account: Account, phone: str) -> None:
        account._blocked.discard(phone)
        account._blocked_at.pop(phone, None)
        self.changed(account)

    # ---- messages --------------------------------------------------------------------------------

    def add_message(self, account: Account, message: Message) -> None:
        """Store a message just sent; one queued at once is the last to its phone."""
        message.serial = self._next_serial()
        self._messages[message.id] = message
        self._order.append(message)
        account._messages.append(message)
        if message.reference_id is not None:
            account._by_reference.setdefault(message.reference_id, Window()).append(message)
        if message.state is QUEUED:
            account._last_to[message.to_number] = message
        if self.recorder is not None:
            self.recorder.changed(message)
        if self.retain_messages or self.retain_for:
            self.expire(message.created_at)

    def queue(self, message: Message) -> None:
        """A scheduled message's time came: it is queued, and now the last to its phone."""
        message.state = MessageState.QUEUED
        account = self._accounts.get(message.license_key)
        if account is not None and self._messages.get(message.id) is message:  # not let go meanwhile
            account._last_to[message.to_number] = message
        self.changed(message)

    # ---- texts received --------------------------------------------------------------------------

    def add_refused(self, account: Account, refused: RefusedSend) -> None:
        refused = dataclasses.replace(refused, serial=self._next_serial())
        account._refused.append(refused)
        self.changed(refused)
        self._refusals.append(refused)
        if self.retain_messages or self.retain_for:
            self.expire(refused.at)

    def add_incoming(self, account: Account, incoming: IncomingMessage) -> None:
        incoming.serial = self._next_serial()
        account._incoming.append(incoming)
        self.changed(incoming)
        self._texts.append(incoming)
        if self.retain_messages or self.retain_for:
            self.expire(incoming.received_at)

    # ---- retention -------------------------------------------------------------------------------

    def expire(self, now: datetime) -> int:
        """Let go what retention no longer keeps at ``now``, oldest first; returns how many records."""
        cutoff = now - self.retain_for if self.retain_for else None
        most = self.retain_messages
        let_go = 0
        while (message := self._order.oldest()) is not None and (
            (most and len(self._order) > most) or (cutoff is not None and message.created_at < cutoff)
        ):
            self._let_message_go(self._order.pop_oldest())
            let_go += 1
        while (text := self._texts.oldest()) is not None and (
            (most and len(self._texts) > most) or (cutoff is not None and text.received_at < cutoff)
        ):
            self._let_text_go(self._texts.pop_oldest())
            let_go += 1
        while (refused := self._refusals.oldest()) is not None and (
            (most and len(self._refusals) > most) or (cutoff is not None and refused.at < cutoff)
        ):
            self._refusals.pop_oldest()
            account = self._accounts[refused.license_key]
            account._refused.popleft()  # the account's oldest: records are let go in the order stored
            account._let_go[2] += 1
            self._removed(refused)  # a store on disk lets it go too
            let_go += 1
        return let_go

    def _let_message_go(self, message: Message) -> None:
        del self._messages[message.id]
        account = self._accounts[message.license_key]
        account._messages.popleft()
        account._let_go[0] += 1
        if message.reference_id is not None:
            same = account._by_reference[message.reference_id]
            same.popleft()
            if not same:
                del account._by_reference[message.reference_id]
        if account._last_to.get(message.to_number) is message:
            del account._last_to[message.to_number]
        for listener in self.letting_go:
            listener(message.id)
        if self.recorder is not None:  # a store on disk lets it go too
            self.recorder.removed(message)

    def _let_text_go(self, text: IncomingMessage) -> None:
        account = self._accounts[text.license_key]
        account._incoming.popleft()
        account._let_go[1] += 1
        account._read_up_to = max(account._read_up_to - 1, 0)
        matched = self._messages.get(text.matched_message_id)
        if matched is not None and matched.replies and matched.replies[0] is text:
            matched.replies = matched.replies[1:]
        for listener in self.letting_go:
            listener(text.id)
        if self.recorder is not None:
            self.recorder.removed(text)

    def take_unread(self, account: Account) -> list[IncomingMessage]:
        """The texts not yet read, marked read (GetUnreadIncomingMessages)."""
        taken = account.unread
        for incoming in taken:
            incoming.read = True
            self.changed(incoming)
        account._read_up_to = len(account._incoming)
        return taken

    def mark_read(self, license_key: uuid.UUID, ids: Collection[uuid.UUID]) -> int:
        """Mark these texts of the key read (a page showing them, say); returns how many were unread."""
        account = self._accounts.get(license_key)
        if account is None:
            return 0
        marked = 0
        for incoming in account.unread:
            if incoming.id in ids:
                incoming.read = True
                self.changed(incoming)
                marked += 1
        texts = account._incoming
        while account._read_up_to < len(texts) and texts[account._read_up_to].read:
            account._read_up_to += 1
        return marked

    def reset(self, license_key: uuid.UUID | None = None) -> None:
        """Forget everything, or one account and its messages."""
        self.media.reset(license_key)
        if self.recorder is not None:
            self.recorder.reset(license_key)
        if license_key is None:
            self._accounts.clear()
            self._messages.clear()
            for ledger in (self._order, self._texts, self._refusals):
                ledger.clear()
            return
        account = self._accounts.pop(license_key, None)
        if account is None:
            return
        for message in account.messages:
            self._messages.pop(message.id, None)
        self._order.dropped(len(account.messages))
        self._texts.dropped(len(account.incoming))
        self._refusals.dropped(len(account.refused))

    def restore(
        self,
        accounts: Iterable[Account],
        messages: Iterable[Message],
        incoming: Iterable[IncomingMessage],
        refused: Iterable[RefusedSend],
    ) -> None:
        """Hold these records (a snapshot's, or a store's at start) besides what is held, each added as
        when it was new (so every index is built as it always is; the recorder is not told: they are
        kept already), in the order given; the last message queued to each phone is then the one
        queued last (sent or queued, by when it was queued)."""
        recorder, self.recorder = self.recorder, None
        try:
            for account in accounts:
                account._since = self._next_serial()  # its records are stored again after this
                self._accounts[account.license_key] = account
            for message in messages:
                self.add_message(self._accounts[message.license_key], message)
            for text in incoming:
                self.add_incoming(self._accounts[text.license_key], text)
            for one in refused:
                self.add_refused(self._accounts[one.license_key], one)
        finally:
            self.recorder = recorder
        queued = [m for m in self._messages.values() if m.state in (MessageState.QUEUED, MessageState.SENT)]
        for message in sorted(queued, key=lambda m: m.scheduled_for or m.created_at):  # stable: sent order kept
            self._accounts[message.license_key]._last_to[message.to_number] = message
