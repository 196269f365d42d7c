"""The postback journal: every postback (an ``Outgoing`` post made a record) and its attempts, kept
whatever becomes of them.

``Journal`` owns the records and the counts derived from them (postbacks finished, attempts made, per
key and for all keys), so that the counts change only with the records they count. A message's or a
text's postbacks go when the store lets it go (``forget_record``), and past ``size`` entries the oldest
go (0: no limit); a postback no longer journalled may still be delivered, but changes no count.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from ..ledger import Window, after, page

Kind = Literal["sent", "refused", "reply", "receipt"]


@dataclass(slots=True)  # not frozen: one is made per postback; frozen, each field costs an object.__setattr__
class Outgoing:
    kind: Kind
    message_id: uuid.UUID
    url: str
    body: str


class State(enum.Enum):
    PENDING = "pending"  # queued, or waiting out a chaos delay
    HELD = "held"
    SENDING = "sending"  # an attempt is in flight
    RETRYING = "retrying"  # waiting for its next attempt
    DELIVERED = "delivered"
    FAILED = "failed"
    DROPPED = "dropped"

    # Members are compared by identity, so they may be hashed by it: Enum's own hash is Python code, and
    # ``state in FINISHED`` runs on every change of every postback.
    __hash__ = object.__hash__


FINISHED = frozenset({State.DELIVERED, State.FAILED, State.DROPPED})


@dataclass(slots=True)  # not frozen: one is made per attempt; frozen, each field costs an object.__setattr__
class Attempt:
    number: int
    at: datetime
    status: int | None
    error: str | None
    latency_ms: float


@dataclass(slots=True, eq=False)
class Postback:
    id: int
    kind: Kind
    license_key: uuid.UUID
    message_id: uuid.UUID
    url: str
    body: str
    created_at: datetime
    state: State = State.PENDING
    attempts: list[Attempt] = field(default_factory=list)
    duplicate_of: int | None = None


def _id(postback: Postback) -> int:
    return postback.id


class Journal(Mapping[int, Postback]):
    """Postbacks by id, in the order they were made; by key; and the counts of each key's (and, under
    None, everyone's) finished postbacks and attempts. Only these methods change any of them."""

    def __init__(self, size: int = 0) -> None:
        self.size = size
        self._entries: dict[int, Postback] = {}
        self._by_key: dict[uuid.UUID, dict[int, Postback]] = {}
        self._by_record: dict[uuid.UUID, list[Postback]] = {}  # by the message or text they are about
        self._order: Window[Postback] = Window()  # oldest first, some perhaps forgotten already (see holds)
        self._finished: Counter[uuid.UUID | None] = Counter()
        self._attempts: Counter[uuid.UUID | None] = Counter()
        self._states: Counter[tuple[Kind, State]] = Counter()  # of the postbacks journalled
        self._ids = itertools.count(1)
        self.on_change: Callable[[Postback], None] | None = None  # a store's recorder (persist.sqlite)
        self.on_drop: Callable[[Postback], None] | None = None  # the same, told of what the size let go

    def __getitem__(self, postback_id: int) -> Postback:
        return self._entries[postback_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def add(
        self, license_key: uuid.UUID, outgoing: Outgoing, created_at: datetime, duplicate_of: int | None
    ) -> Postback:
        postback = Postback(  # by position: each keyword argument costs 450 instructions
            next(self._ids), outgoing.kind, license_key, outgoing.message_id, outgoing.url, outgoing.body, created_at
        )
        if duplicate_of is not None:
            postback.duplicate_of = duplicate_of
        self._index(postback)
        while self.size and len(self._entries) > self.size:
            oldest = self._order.popleft()
            if self.holds(oldest):
                self._drop(oldest)
                if self.on_drop is not None:
                    self.on_drop(oldest)
        if len(self._order) > 2 * len(self._entries) + 64:  # forgotten ones pile up: compact
            self._order.replace([p for p in self._order if self.holds(p)])
        if self.on_change is not None:
            self.on_change(postback)
        return postback

    def restore(self, postbacks: Iterable[Postback]) -> None:
        """Hold postbacks kept from before (a snapshot's, a store's), with their ids and counts."""
        for postback in postbacks:
            self._index(postback)
            if postback.state in FINISHED:
                self._finished[postback.license_key] += 1
                self._finished[None] += 1
            self._attempts[postback.license_key] += len(postback.attempts)
            self._attempts[None] += len(postback.attempts)
        self._ids = itertools.count(max([next(self._ids) - 1, *self._entries]) + 1)

    def _index(self, postback: Postback) -> None:
        self._entries[postback.id] = postback
        self._states[postback.kind, postback.state] += 1
        self._by_key.setdefault(postback.license_key, {})[postback.id] = postback
        self._by_record.setdefault(postback.message_id, []).append(postback)
        self._order.append(postback)

    def holds(self, postback: Postback) -> bool:
        """Whether this very postback is still journalled (not forgotten by a reset or retention)."""
        return self._entries.get(postback.id) is postback

    def for_record(self, record_id: uuid.UUID) -> Sequence[Postback]:
        """The postbacks about one message or text received, oldest first."""
        return self._by_record.get(record_id, ())

    def forget_record(self, record_id: uuid.UUID) -> None:
        """The store let a message or text go: its postbacks go with it."""
        for postback in self._by_record.get(record_id, ()):
            if self.holds(postback):
                self._drop(postback)

    def _drop(self, postback: Postback) -> None:
        del self._entries[postback.id]
        self._states[postback.kind, postback.state] -= 1
        key = postback.license_key
        of_key = self._by_key[key]
        del of_key[postback.id]
        if not of_key:
            del self._by_key[key]
        same = self._by_record[postback.message_id]
        same.remove(postback)
        if not same:
            del self._by_record[postback.message_id]
        if postback.state in FINISHED:
            self._finished[key] -= 1
            self._finished[None] -= 1
        self._attempts[key] -= len(postback.attempts)
        self._attempts[None] -= len(postback.attempts)

    def keys_seen(self) -> set[uuid.UUID]:
        return set(self._by_key)

    def for_key(self, license_key: uuid.UUID | None) -> list[Postback]:
        if license_key is None:
            return list(self._entries.values())
        return list(self._by_key.get(license_key, {}).values())

    def page(self, license_key: uuid.UUID | None, cursor: int | None, limit: int) -> list[Postback]:
        """Up to ``limit`` postbacks (every key's, or one's) with ids above ``cursor``, oldest first."""
        if license_key is not None:
            return page(list(self._by_key.get(license_key, {}).values()), _id, cursor, limit)
        start = 0 if cursor is None else after(self._order, _id, cursor)
        found: list[Postback] = []
        while len(found) < limit and start < len(self._order):
            found += [p for p in self._order[start : start + limit] if self.holds(p)]
            start += limit
        return found[:limit]

    @property
    def newest_id(self) -> int:
        """The id of the newest postback made (0: none yet)."""
        return next(reversed(self._entries), 0)

    def counts(self) -> Counter[tuple[Kind, State]]:
        """How many postbacks of each kind are in each state (kept as they change: no pass over them)."""
        return +self._states

    def set_state(self, postback: Postback, state: State) -> None:
        was = postback.state
        if was is not state and self.holds(postback):  # journalled: its counts follow
            finished = state in FINISHED
            if finished is not (was in FINISHED):  # a redelivered one leaves the finished
                step = 1 if finished else -1
                self._finished[postback.license_key] += step
                self._finished[None] += step
            kind, states = postback.kind, self._states
            states[kind, was] -= 1
            states[kind, state] += 1
        postback.state = state
        if self.on_change is not None:
            self.on_change(postback)

    def record(self, postback: Postback, attempt: Attempt) -> None:
        postback.attempts.append(attempt)
        if self.holds(postback):
            self._attempts[postback.license_key] += 1
            self._attempts[None] += 1
        if self.on_change is not None:
            self.on_change(postback)

    def finished(self, license_key: uuid.UUID | None) -> int:
        return self._finished[license_key]

    def attempts(self, license_key: uuid.UUID | None) -> int:
        return self._attempts[license_key]

    def forget(self, license_key: uuid.UUID) -> list[Postback]:
        """Drop a key's postbacks and their counts; returns them."""
        dropped = list(self._by_key.pop(license_key, {}).values())
        for postback in dropped:
            del self._entries[postback.id]
            self._states[postback.kind, postback.state] -= 1
            same = self._by_record.get(postback.message_id, [])
            with contextlib.suppress(ValueError):
                same.remove(postback)
            if not same:
                self._by_record.pop(postback.message_id, None)
        self._finished[None] -= self._finished.pop(license_key, 0)
        self._attempts[None] -= self._attempts.pop(license_key, 0)
        return dropped
