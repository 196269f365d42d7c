"""The inbox's index of conversations: one per (license key, phone), most recently active last.

The store keeps each account's texts in the order stored and counts what retention let go from the
front (``Account.let_go``), so the index reads only what was added since it last looked, and drops what
the store let go: a page refresh costs the texts that arrived meanwhile, not a pass over 100,000 of them.
A long catch-up (the first look at a big store) goes ``SLICE`` seconds at a time, giving way to other
requests between slices. It takes in new postbacks from the journal the same way, each into its text's
conversation (a thread reads its texts' postbacks from the journal). The index also keeps
the inbox's own "seen" mark (how many of a conversation's incoming texts the reader has looked at),
which is not CDYNE's "read": that one means the app fetched the text with GetUnreadIncomingMessages,
and the inbox never changes it.

The catch-up never holds the event loop long: besides the slices, nothing it keeps grows as one huge
dict (a dict that grows is copied whole when it outgrows its table: 0.1 s at 700,000 entries), so the
record -> conversation map is split in ``SHARDS`` dicts; and every ``AGE_EVERY`` slices it has the
cyclic collector take its young generations (``gc.collect(1)``). A catch-up only adds to a few
containers and makes little garbage, so without that the collector, which counts objects made, would
leave those containers young while they grow to a million references, and its next young collection
would walk them all at once (0.36 s at 500,000 messages); collected early, they are old while small.
"""

from __future__ import annotations

import asyncio
import gc
import heapq
import itertools
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..dates import quantise
from ..model import IncomingMessage, Message, RefusedSend
from ..postbacks import Journal, Postback, State
from ..service import Service
from ..store import Account

Entry = Message | IncomingMessage | RefusedSend
SLICE = 0.001  # seconds of catching up before giving way to other requests
SHARDS = 1024  # dicts the record -> conversation map is split in (each grows, and is copied, alone)
AGE_EVERY = 32  # slices of a catch-up between two collections of the young generations


def at(entry: Entry) -> datetime:
    """When it happened, at the precision the service stores times with (SQL Server's 1/300 s): a
    message's creation is not rounded, and a text received 1 ms after it could read as earlier."""
    if isinstance(entry, Message):
        return quantise(entry.created_at)
    return entry.received_at if isinstance(entry, IncomingMessage) else entry.at


def phone_of(entry: Entry) -> str:
    return entry.from_number if isinstance(entry, IncomingMessage) else entry.to_number


@dataclass(eq=False)
class Conversation:
    account: Account
    phone: str
    _entries: dict[int, Entry] = field(default_factory=dict)  # by id(): in time order
    incoming: int = 0
    seen: int = 0  # of the incoming texts, how many the reader has seen
    postbacks: dict[int, Postback] = field(default_factory=dict)  # about its texts, by id (some maybe gone)
    _haystack: str | None = None

    @property
    def license_key(self) -> uuid.UUID:
        return self.account.license_key

    @property
    def unread(self) -> int:
        return self.incoming - self.seen

    @property
    def size(self) -> int:
        return len(self._entries)

    @property
    def last(self) -> Entry:
        return next(reversed(self._entries.values()))

    def newest(self, limit: int) -> list[Entry]:
        """The newest ``limit`` entries, oldest first."""
        return list(itertools.islice(reversed(self._entries.values()), limit))[::-1]

    def add(self, entry: Entry) -> None:
        self._entries[id(entry)] = entry
        self.incoming += isinstance(entry, IncomingMessage)
        self._haystack = None

    def remove(self, entry: Entry) -> None:
        if self._entries.pop(id(entry), None) is not None and isinstance(entry, IncomingMessage):
            self.incoming -= 1
            self.seen = max(self.seen - 1, 0)  # the oldest go first, and were seen first
        self._haystack = None

    def matches(self, needle: str) -> bool:
        """Whether the lower-case needle is in the number, the key or any text (joined once, then cached)."""
        if self._haystack is None:
            texts = (entry.text for entry in self._entries.values())
            self._haystack = "\n".join(itertools.chain((self.phone, str(self.license_key)), texts)).lower()
        return needle in self._haystack

    def count(self, journal: Journal, state: State) -> int:
        """How many of the postbacks about its texts are in ``state`` (those the journal let go are
        let go here too, on the way)."""
        gone = [key for key, postback in self.postbacks.items() if not journal.holds(postback)]
        for key in gone:
            del self.postbacks[key]
        return sum(postback.state is state for postback in self.postbacks.values())


class _ByRecord:
    """A message's or text's id -> its conversation, in ``SHARDS`` dicts by the id's low bits."""

    __slots__ = ("_shards",)

    def __init__(self) -> None:
        self._shards: list[dict[uuid.UUID, Conversation]] = [{} for _ in range(SHARDS)]

    def __len__(self) -> int:
        return sum(len(shard) for shard in self._shards)

    def get(self, record_id: uuid.UUID) -> Conversation | None:
        return self._shards[record_id.int % SHARDS].get(record_id)

    def put(self, record_id: uuid.UUID, conversation: Conversation) -> None:
        self._shards[record_id.int % SHARDS][record_id] = conversation

    def pop(self, record_id: uuid.UUID) -> None:
        self._shards[record_id.int % SHARDS].pop(record_id, None)

    def keep(self, alive: Callable[[Conversation], bool]) -> None:
        """Forget every record whose conversation is not ``alive``."""
        self._shards = [{key: c for key, c in shard.items() if alive(c)} for shard in self._shards]


@dataclass(eq=False)
class _Taken:
    """What the index took of one account: the records of each kind, in the order stored, and how many
    the account had let go when it last looked."""

    account: Account
    kinds: tuple[deque[Entry], deque[Entry], deque[Entry]] = field(default_factory=lambda: (deque(), deque(), deque()))
    taken: list[int] = field(default_factory=lambda: [0, 0, 0])  # counted from the account's first record
    let_go: tuple[int, int, int] = (0, 0, 0)


class Index:
    """Of one service, passed to ``update`` (never kept: the index lives as long as its service)."""

    def __init__(self) -> None:
        self.conversations: dict[tuple[uuid.UUID, str], Conversation] = {}  # least recently active first
        self._taken: dict[uuid.UUID, _Taken] = {}
        self._where = _ByRecord()  # a message's or text's id -> its conversation
        self._postbacks_after = 0  # the journal's id of the last postback taken in

    def update(self, service: Service, until: float | None = None) -> bool:
        """Take in what the store gained and drop what it let go since the last call, until the
        ``time.perf_counter()`` reads ``until`` (all without it). True when the index is up to date."""
        store = service.store
        gone = {key for key, taken in self._taken.items() if store.find(key) is not taken.account}
        if gone:
            self._forget(gone)
        fresh: list[Iterable[tuple[datetime, int, Entry]]] = []
        for account in store.accounts_of(None):
            taken = self._taken.get(account.license_key)
            if taken is None:
                taken = self._taken[account.license_key] = _Taken(account)
            self._let_go(taken)
            kinds: tuple[Sequence[Entry], ...] = (account.messages, account.incoming, account.refused)
            for kind, records in enumerate(kinds):
                start = max(taken.taken[kind] - account.let_go[kind], 0)
                if start < len(records):
                    fresh.append(_tagged(records, start, kind))
        for n, (_, kind, entry) in enumerate(heapq.merge(*fresh, key=_moment)):
            if until is not None and n % 64 == 63 and time.perf_counter() > until:
                return False
            taken = self._taken[entry.license_key]
            taken.kinds[kind].append(entry)
            taken.taken[kind] = max(taken.taken[kind], taken.let_go[kind]) + 1
            conversation = self._touch(taken.account, phone_of(entry))
            conversation.add(entry)
            if not isinstance(entry, RefusedSend):
                self._where.put(entry.id, conversation)
        self._take_postbacks(service.postbacks.journal)
        return True

    def _take_postbacks(self, journal: Journal) -> None:
        for postback in journal.page(None, self._postbacks_after, 1 << 62):
            where = self._where.get(postback.message_id)
            if where is not None:
                where.postbacks[postback.id] = postback
        self._postbacks_after = max(self._postbacks_after, journal.newest_id)

    def _let_go(self, taken: _Taken) -> None:
        """Drop the records the account let go since the last look (the oldest it stored)."""
        now = taken.account.let_go
        for kind in range(3):
            count = now[kind] - taken.let_go[kind]
            mirror = taken.kinds[kind]
            for _ in range(min(count, len(mirror))):
                entry = mirror.popleft()
                where = (taken.account.license_key, phone_of(entry))
                conversation = self.conversations.get(where)
                if not isinstance(entry, RefusedSend):
                    self._where.pop(entry.id)
                if conversation is not None:
                    conversation.remove(entry)
                    if not conversation.size:
                        del self.conversations[where]
        taken.let_go = now

    def _touch(self, account: Account, phone: str) -> Conversation:
        """The conversation, moved to the most recently active end."""
        where = (account.license_key, phone)
        found = self.conversations.pop(where, None)
        conversation = self.conversations[where] = found or Conversation(account, phone)
        return conversation

    def forget(self, license_key: uuid.UUID | None) -> None:
        """A reset: let go of a key's conversations (or all) now, not at the next look."""
        if license_key is None:
            self.conversations.clear()
            self._taken.clear()
            self._where = _ByRecord()
        else:
            self._forget({license_key})

    def _forget(self, keys: set[uuid.UUID]) -> None:
        self.conversations = {where: c for where, c in self.conversations.items() if where[0] not in keys}
        self._where.keep(lambda conversation: conversation.license_key not in keys)
        for key in keys:
            self._taken.pop(key, None)

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


def _tagged(records: Sequence[Entry], start: int, kind: int) -> Iterator[tuple[datetime, int, Entry]]:
    return ((at(records[i]), kind, records[i]) for i in range(start, len(records)))


def _moment(item: tuple[datetime, int, Entry]) -> datetime:
    return item[0]


_indexes: weakref.WeakKeyDictionary[Service, Index] = weakref.WeakKeyDictionary()


async def index_of(service: Service) -> Index:
    """The service's index, up to date: caught up ``SLICE`` seconds at a time, other requests served
    between the slices."""
    index = _indexes.get(service)
    if index is None:
        index = _indexes[service] = Index()
        service.on_reset.append(index.forget)
    slices = 0
    while not index.update(service, time.perf_counter() + SLICE):
        slices += 1
        if slices % AGE_EVERY == 0:
            gc.collect(1)  # the index's containers grow old while small (see the module's docstring)
        await asyncio.sleep(0)
    return index
