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
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .ledger import Ledger, Window, page
from .model import EMPTY_GUID, IncomingMessage, Message, MessageState, RefusedSend

# Fictional NANP numbers (555-0100 to 555-0199), in CDYNE's home area code.
TEST_DID_PREFIX = "1757555"


def test_did(license_key: uuid.UUID) -> str:
    """The sending number an auto-created account gets: stable for a given key."""
    return f"{TEST_DID_PREFIX}{100 + license_key.int % 100:04d}"


@dataclass(slots=True, eq=False)
class Account:
    """One license key's account. Its settings are plain attributes the store sets (``Store.declare``);
    its records are read-only here and change only through the store."""

    license_key: uuid.UUID
    dids: list[str]
    suspended: bool = False
    # Where texts that match no message (or a message without a postback URL) are posted.
    postback_url: str | None = None
    _blocked: set[str] = field(default_factory=set)
    _messages: Window[Message] = field(default_factory=Window)
    _by_reference: dict[str, Window[Message]] = field(default_factory=dict)
    _last_to: dict[str, Message] = field(default_factory=dict)
    _incoming: Window[IncomingMessage] = field(default_factory=Window)
    _refused: Window[RefusedSend] = field(default_factory=Window)
    _read_up_to: int = 0  # every text before this index is read (a place to start looking, nothing more)
    _since: int = 0  # the store's serial when the account was made: its records' serials are above it
    _let_go: list[int] = field(default_factory=lambda: [0, 0, 0])  # messages, texts, refused sends

    @property
    def did(self) -> str:
        return self.dids[0]

    @property
    def blocked(self) -> Set[str]:
        """The phones that texted STOP (or a scenario or test blocked)."""
        return self._blocked

    @property
    def messages(self) -> Sequence[Message]:
        return self._messages

    @property
    def by_reference(self) -> Mapping[str, Sequence[Message]]:
        return self._by_reference

    @property
    def last_to(self) -> Mapping[str, Message]:
        """The message last queued to each phone: what a text from that phone answers."""
        return self._last_to

    @property
    def incoming(self) -> Sequence[IncomingMessage]:
        return self._incoming

    @property
    def refused(self) -> Sequence[RefusedSend]:
        """Sends the service refused for a number it could read, oldest first."""
        return self._refused

    @property
    def let_go(self) -> tuple[int, int, int]:
        """How many messages, texts received and refused sends retention let go, oldest first: the
        first of ``messages`` is the ``let_go[0]``-th (from 0) the account ever stored, and so on."""
        return self._let_go[0], self._let_go[1], self._let_go[2]

    @property
    def unread(self) -> list[IncomingMessage]:
        """The texts not yet read, oldest first."""
        return [text for text in self._incoming[self._read_up_to :] if not text.read]


def _serial(record: Message | IncomingMessage) -> int:
    return record.serial


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

    def _next_serial(self) -> int:
        self.last_serial += 1
        return self.last_serial

    def _current(self, record: IncomingMessage | RefusedSend) -> bool:
        """Whether the record's account is still the one that stored it (not reset since)."""
        account = self._accounts.get(record.license_key)
        return account is not None and record.serial > account._since

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
        account = Account(license_key, [test_did(license_key), *self.extra_dids], _since=self._next_serial())
        self._accounts[license_key] = account
        return account

    def declare(
        self,
        license_key: uuid.UUID,
        *,
        dids: list[str] | None = None,
        suspended: bool | None = None,
        blocked: Iterable[str] | None = None,
        postback_url: str | None = None,
    ) -> Account:
        """Create or update an account explicitly (a test's or a scenario's setup). None leaves a setting
        as it is; an empty ``postback_url`` clears it."""
        if license_key == EMPTY_GUID:
            raise ValueError("the empty GUID is never a valid license key")
        account = self._accounts.get(license_key)
        if account is None:
            account = Account(
                license_key, dids or [test_did(license_key), *self.extra_dids], _since=self._next_serial()
            )
            self._accounts[license_key] = account
        elif dids:
            account.dids = dids
        if suspended is not None:
            account.suspended = suspended
        if blocked is not None:
            account._blocked = set(blocked)
        if postback_url is not None:
            account.postback_url = postback_url or None
        return account

    def block(self, account: Account, phone: str) -> None:
        account._blocked.add(phone)

    def unblock(self, account: Account, phone: str) -> None:
        account._blocked.discard(phone)

    # ---- messages --------------------------------------------------------------------------------

    def add_message(self, account: Account, message: Message) -> None:
        """Store a message just sent; one queued at once is the last to its phone."""
        message.serial = self._next_serial()
        self._messages[message.id] = message
        self._order.append(message)
        account._messages.append(message)
        if message.reference_id is not None:
            account._by_reference.setdefault(message.reference_id, Window()).append(message)
        if message.state is MessageState.QUEUED:
            account._last_to[message.to_number] = message
        if self.retain_messages or self.retain_for:
            self.expire(message.created_at)

    def queue(self, message: Message) -> None:
        """A scheduled message's time came: it is queued, and now the last to its phone."""
        message.state = MessageState.QUEUED
        account = self._accounts.get(message.license_key)
        if account is not None and self._messages.get(message.id) is message:  # not let go meanwhile
            account._last_to[message.to_number] = message

    # ---- texts received --------------------------------------------------------------------------

    def add_refused(self, account: Account, refused: RefusedSend) -> None:
        refused = dataclasses.replace(refused, serial=self._next_serial())
        account._refused.append(refused)
        self._refusals.append(refused)
        if self.retain_messages or self.retain_for:
            self.expire(refused.at)

    def add_incoming(self, account: Account, incoming: IncomingMessage) -> None:
        incoming.serial = self._next_serial()
        account._incoming.append(incoming)
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

    def _let_text_go(self, text: IncomingMessage) -> None:
        account = self._accounts[text.license_key]
        account._incoming.popleft()
        account._let_go[1] += 1
        account._read_up_to = max(account._read_up_to - 1, 0)
        matched = self._messages.get(text.matched_message_id)
        if matched is not None and matched.replies and matched.replies[0] is text:
            del matched.replies[0]
        for listener in self.letting_go:
            listener(text.id)

    def take_unread(self, account: Account) -> list[IncomingMessage]:
        """The texts not yet read, marked read (GetUnreadIncomingMessages)."""
        taken = account.unread
        for incoming in taken:
            incoming.read = True
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
                marked += 1
        texts = account._incoming
        while account._read_up_to < len(texts) and texts[account._read_up_to].read:
            account._read_up_to += 1
        return marked

    def reset(self, license_key: uuid.UUID | None = None) -> None:
        """Forget everything, or one account and its messages."""
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
