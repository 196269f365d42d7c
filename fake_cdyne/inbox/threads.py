"""The inbox's index of conversations: one per (license key, phone), most recently active last.

The store keeps each account's texts in lists that only grow (a reset replaces the account), so the
index reads only what was added since it last looked: a page refresh costs the texts that arrived
meanwhile, not a pass over 100,000 of them. It also keeps the inbox's own "seen" mark (how many of a
conversation's incoming texts the reader has looked at), which is not CDYNE's "read": that one means
the app fetched the text with GetUnreadIncomingMessages, and the inbox never changes it.
"""

from __future__ import annotations

import heapq
import itertools
import uuid
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from ..dates import quantise
from ..model import IncomingMessage, Message, RefusedSend
from ..postbacks import Postback, State
from ..service import Service
from ..store import Account

Entry = Message | IncomingMessage | RefusedSend


def at(entry: Entry) -> datetime:
    """When it happened, at the precision the service stores times with (SQL Server's 1/300 s): a
    message's creation is not rounded, and a text received 1 ms after it could read as earlier."""
    if isinstance(entry, Message):
        return quantise(entry.created_at)
    return entry.received_at if isinstance(entry, IncomingMessage) else entry.at


@dataclass(eq=False)
class Conversation:
    account: Account
    phone: str
    entries: list[Entry] = field(default_factory=list)  # in time order
    incoming: int = 0
    seen: int = 0  # of the incoming texts, how many the reader has seen
    postbacks: list[Postback] = field(default_factory=list)
    _haystack: str | None = None

    @property
    def license_key(self) -> uuid.UUID:
        return self.account.license_key

    @property
    def unread(self) -> int:
        return self.incoming - self.seen

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        self.incoming += isinstance(entry, IncomingMessage)
        self._haystack = None

    def matches(self, needle: str) -> bool:
        """Whether the lower-case needle is in the number, the key or any text (joined once, then cached)."""
        if self._haystack is None:
            texts = (entry.text for entry in self.entries)
            self._haystack = "\n".join(itertools.chain((self.phone, str(self.license_key)), texts)).lower()
        return needle in self._haystack

    def count(self, state: State) -> int:
        return sum(postback.state is state for postback in self.postbacks)


class Index:
    """Of one service, passed to ``update`` (never kept: the index lives as long as its service)."""

    def __init__(self) -> None:
        self.conversations: dict[tuple[uuid.UUID, str], Conversation] = {}  # least recently active first
        self._taken: dict[uuid.UUID, tuple[Account, int, int, int]] = {}  # per key: messages, incoming, refused read
        self._postbacks: dict[uuid.UUID, tuple[int, Postback | None]] = {}  # per key: how many, the last
        self._where: dict[uuid.UUID, Conversation] = {}  # text id -> its conversation

    def update(self, service: Service) -> None:
        """Take in what the store and the postback journal gained since the last call."""
        store = service.store
        gone = {key for key, (account, *_) in self._taken.items() if store.find(key) is not account}
        if gone:
            self._forget(gone)
        fresh: list[Iterable[Entry]] = []
        for account in store.accounts_of(None):
            key = account.license_key
            _, messages, incoming, refused = self._taken.get(key, (account, 0, 0, 0))
            fresh += [itertools.islice(account.messages, messages, None)]
            fresh += [itertools.islice(account.incoming, incoming, None)]
            fresh += [itertools.islice(account.refused, refused, None)]
            self._taken[key] = (account, len(account.messages), len(account.incoming), len(account.refused))
        for entry in heapq.merge(*fresh, key=at):
            phone = entry.from_number if isinstance(entry, IncomingMessage) else entry.to_number
            conversation = self._touch(self._taken[entry.license_key][0], phone)
            conversation.add(entry)
            if not isinstance(entry, RefusedSend):
                self._where[entry.id] = conversation
        self._take_postbacks(service)

    def _touch(self, account: Account, phone: str) -> Conversation:
        """The conversation, moved to the most recently active end."""
        where = (account.license_key, phone)
        found = self.conversations.pop(where, None)
        conversation = self.conversations[where] = found or Conversation(account, phone)
        return conversation

    def _forget(self, keys: set[uuid.UUID]) -> None:
        self.conversations = {where: c for where, c in self.conversations.items() if where[0] not in keys}
        self._where = {text: c for text, c in self._where.items() if c.license_key not in keys}
        for key in keys:
            self._taken.pop(key, None)
            self._postbacks.pop(key, None)

    def _take_postbacks(self, service: Service) -> None:
        journal = service.postbacks
        for key in self._taken:
            found = journal.for_key(key)
            taken, last = self._postbacks.get(key, (0, None))
            if taken and (len(found) < taken or found[taken - 1] is not last):
                taken = 0  # the key's postbacks were reset: read them again
                for conversation in self._of(key):
                    conversation.postbacks.clear()
            for postback in found[taken:]:
                where = self._where.get(postback.message_id)
                if where is not None:
                    where.postbacks.append(postback)
            self._postbacks[key] = (len(found), found[-1] if found else None)

    def _of(self, key: uuid.UUID) -> Iterator[Conversation]:
        return (c for c in self.conversations.values() if c.license_key == key)

    def find(self, license_key: uuid.UUID | None = None, query: str = "") -> Iterator[Conversation]:
        """Conversations, most recently active first, of one key and matching the query if given."""
        needle = query.strip().lower()
        for conversation in reversed(self.conversations.values()):
            if license_key is not None and conversation.license_key != license_key:
                continue
            if not needle or conversation.matches(needle):
                yield conversation

    def get(self, license_key: uuid.UUID, phone: str) -> Conversation | None:
        return self.conversations.get((license_key, phone))


_indexes: weakref.WeakKeyDictionary[Service, Index] = weakref.WeakKeyDictionary()


def index_of(service: Service) -> Index:
    """The service's index, up to date."""
    index = _indexes.get(service)
    if index is None:
        index = _indexes[service] = Index()
    index.update(service)
    return index
