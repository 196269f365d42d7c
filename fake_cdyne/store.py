"""The fake's state: accounts (one per license key) and what they sent and received.

The store owns its invariants: every change goes through a ``Store`` method, and what it hands out
(an account's messages, texts, references, blocked numbers; the accounts and messages by key and id)
is read-only. ``IncomingMessage.read`` is the one record of what is unread. Every lookup an operation
makes is a dict access or a walk over its own results: messages by id, by (account, ReferenceID),
the last message queued to each phone, and the texts not yet read.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .messaging.media_store import MediaStore
from .model import EMPTY_GUID, IncomingMessage, Message, MessageState, RefusedSend

if TYPE_CHECKING:
    from .messaging.keywords import KeywordBook
    from .messaging.postback_settings import SettingsBook

# Fictional NANP numbers (555-0100 to 555-0199), in CDYNE's home area code.
TEST_DID_PREFIX = "1757555"


def test_did(license_key: uuid.UUID) -> str:
    """The sending number an auto-created account gets: stable for a given key."""
    return f"{TEST_DID_PREFIX}{100 + license_key.int % 100:04d}"


def test_short_code(license_key: uuid.UUID) -> str:
    """The short code an auto-created account gets (for keywords): six digits, stable for a given key."""
    return f"{100000 + license_key.int % 900000}"


@dataclass(slots=True, eq=False)
class Account:
    """One license key's account. Its settings are plain attributes the store sets (``Store.declare``);
    its records are read-only here and change only through the store."""

    license_key: uuid.UUID
    dids: list[str]
    suspended: bool = False
    # Where texts that match no message (or a message without a postback URL) are posted.
    postback_url: str | None = None
    short_codes: list[str] = field(default_factory=list)
    # The Messaging API's state of the account, kept by the modules named (created on first use).
    keywords: KeywordBook | None = None
    postback_settings: SettingsBook | None = None
    _blocked: set[str] = field(default_factory=set)
    _messages: list[Message] = field(default_factory=list)
    _by_reference: dict[str, list[Message]] = field(default_factory=dict)
    _last_to: dict[str, Message] = field(default_factory=dict)
    _incoming: list[IncomingMessage] = field(default_factory=list)
    _refused: list[RefusedSend] = field(default_factory=list)
    _read_up_to: int = 0  # every text before this index is read (a place to start looking, nothing more)

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
    def unread(self) -> list[IncomingMessage]:
        """The texts not yet read, oldest first."""
        return [text for text in itertools.islice(self._incoming, self._read_up_to, None) if not text.read]


class Store:
    def __init__(self, *, extra_dids: Iterable[str] = (), accept_unknown_keys: bool = True) -> None:
        self.extra_dids = list(extra_dids)
        self.accept_unknown_keys = accept_unknown_keys
        self._accounts: dict[uuid.UUID, Account] = {}
        self._messages: dict[uuid.UUID, Message] = {}
        self.media = MediaStore()  # the Messaging API's media files, by key (messaging/media_store.py)

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
        """Every text received (None: account by account), or one key's, oldest first."""
        return [text for account in self.accounts_of(license_key) for text in account.incoming]

    # ---- accounts --------------------------------------------------------------------------------

    def account(self, license_key: uuid.UUID) -> Account | None:
        """The key's account, created on first use unless unknown keys are refused."""
        found = self._accounts.get(license_key)
        if found is not None or license_key == EMPTY_GUID or not self.accept_unknown_keys:
            return found
        account = Account(
            license_key, [test_did(license_key), *self.extra_dids], short_codes=[test_short_code(license_key)]
        )
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
        short_codes: list[str] | None = None,
    ) -> Account:
        """Create or update an account explicitly (a test's or a scenario's setup). None leaves a setting
        as it is; an empty ``postback_url`` clears it, an empty ``short_codes`` leaves the account none."""
        if license_key == EMPTY_GUID:
            raise ValueError("the empty GUID is never a valid license key")
        account = self._accounts.get(license_key)
        if account is None:
            account = Account(license_key, dids or [test_did(license_key), *self.extra_dids])
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
        self._messages[message.id] = message
        account._messages.append(message)
        if message.reference_id is not None:
            account._by_reference.setdefault(message.reference_id, []).append(message)
        if message.state is MessageState.QUEUED:
            account._last_to[message.to_number] = message

    def queue(self, message: Message) -> None:
        """A scheduled message's time came: it is queued, and now the last to its phone."""
        message.state = MessageState.QUEUED
        account = self._accounts.get(message.license_key)
        if account is not None:
            account._last_to[message.to_number] = message

    # ---- texts received --------------------------------------------------------------------------

    def add_refused(self, account: Account, refused: RefusedSend) -> None:
        account._refused.append(refused)

    def add_incoming(self, account: Account, incoming: IncomingMessage) -> None:
        account._incoming.append(incoming)

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
        self.media.reset(license_key)
        if license_key is None:
            self._accounts.clear()
            self._messages.clear()
            return
        account = self._accounts.pop(license_key, None)
        for message in account.messages if account else ():
            self._messages.pop(message.id, None)
