"""The fake's state: accounts (one per license key) and what they sent and received.

Every lookup an operation makes is a dict access or a walk over its own results: messages by id,
by (account, ReferenceID), the last message to each phone, and unread incoming texts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import EMPTY_GUID, IncomingMessage, Message

# Fictional NANP numbers (555-0100 to 555-0199), in CDYNE's home area code.
TEST_DID_PREFIX = "1757555"


def test_did(license_key: uuid.UUID) -> str:
    """The sending number an auto-created account gets: stable for a given key."""
    return f"{TEST_DID_PREFIX}{100 + license_key.int % 100:04d}"


@dataclass(slots=True, eq=False)
class Account:
    license_key: uuid.UUID
    dids: list[str]
    suspended: bool = False
    # Where texts that match no message (or a message without a postback URL) are posted.
    postback_url: str | None = None
    blocked: set[str] = field(default_factory=set)
    messages: list[Message] = field(default_factory=list)
    by_reference: dict[str, list[Message]] = field(default_factory=dict)
    last_to: dict[str, Message] = field(default_factory=dict)
    incoming: list[IncomingMessage] = field(default_factory=list)
    unread: dict[uuid.UUID, IncomingMessage] = field(default_factory=dict)

    @property
    def did(self) -> str:
        return self.dids[0]


class Store:
    def __init__(self, *, extra_dids: Iterable[str] = (), accept_unknown_keys: bool = True) -> None:
        self.extra_dids = list(extra_dids)
        self.accept_unknown_keys = accept_unknown_keys
        self.accounts: dict[uuid.UUID, Account] = {}
        self.messages: dict[uuid.UUID, Message] = {}

    def account(self, license_key: uuid.UUID) -> Account | None:
        """The key's account, created on first use unless unknown keys are refused."""
        found = self.accounts.get(license_key)
        if found is not None or license_key == EMPTY_GUID or not self.accept_unknown_keys:
            return found
        account = Account(license_key, [test_did(license_key), *self.extra_dids])
        self.accounts[license_key] = account
        return account

    def declare(
        self,
        license_key: uuid.UUID,
        *,
        dids: list[str] | None = None,
        suspended: bool | None = None,
        blocked: Iterable[str] | None = None,
    ) -> Account:
        """Create or update an account explicitly (a test's or a scenario's setup)."""
        if license_key == EMPTY_GUID:
            raise ValueError("the empty GUID is never a valid license key")
        account = self.accounts.get(license_key)
        if account is None:
            account = Account(license_key, dids or [test_did(license_key), *self.extra_dids])
            self.accounts[license_key] = account
        elif dids:
            account.dids = dids
        if suspended is not None:
            account.suspended = suspended
        if blocked is not None:
            account.blocked = set(blocked)
        return account

    def add_message(self, account: Account, message: Message) -> None:
        self.messages[message.id] = message
        account.messages.append(message)
        if message.reference_id is not None:
            account.by_reference.setdefault(message.reference_id, []).append(message)

    def add_incoming(self, account: Account, incoming: IncomingMessage) -> None:
        account.incoming.append(incoming)
        account.unread[incoming.id] = incoming

    def take_unread(self, account: Account) -> list[IncomingMessage]:
        taken = list(account.unread.values())
        for incoming in taken:
            incoming.read = True
        account.unread.clear()
        return taken

    def reset(self, license_key: uuid.UUID | None = None) -> None:
        """Forget everything, or one account and its messages."""
        if license_key is None:
            self.accounts.clear()
            self.messages.clear()
            return
        account = self.accounts.pop(license_key, None)
        for message in account.messages if account else ():
            self.messages.pop(message.id, None)
