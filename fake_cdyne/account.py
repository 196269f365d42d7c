"""One license key's account: its numbers, settings and records, as the store keeps them.

Its records are read-only views here; they change only through ``store.Store``, which owns the
invariants between them (``store.py`` explains those).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from .ledger import Window
from .model import IncomingMessage, Message, RefusedSend

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
    _blocked_at: dict[str, datetime] = field(default_factory=dict)  # when each texted STOP (none: set up so)
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
    def blocked_at(self) -> Mapping[str, datetime]:
        """When each blocked phone texted STOP (phones a scenario or test blocked have no time)."""
        return self._blocked_at

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
