"""The postback journal: every postback (an ``Outgoing`` post made a record) and its attempts, kept
whatever becomes of them.

``Journal`` owns the records and the counts derived from them (postbacks finished, attempts made, per
key and for all keys), so that the counts change only with the records they count.
"""

from __future__ import annotations

import enum
import itertools
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Kind = Literal["sent", "refused", "reply", "receipt"]


@dataclass(frozen=True, slots=True)
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


FINISHED = frozenset({State.DELIVERED, State.FAILED, State.DROPPED})


@dataclass(frozen=True, slots=True)
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


# ``state in FINISHED`` as ``id(state) in _FINISHED``: an enum's hash is Python code, run on every change.
_FINISHED = frozenset(map(id, FINISHED))


class _Tally:
    """One key's postbacks, in the order they were made, and its counts."""

    __slots__ = ("postbacks", "finished", "attempts")

    def __init__(self) -> None:
        self.postbacks: list[Postback] = []
        self.finished = 0
        self.attempts = 0


class Journal(Mapping[int, Postback]):
    """Postbacks by id, in the order they were made; by key; and the counts of each key's (and, under
    None, everyone's) finished postbacks and attempts. Only these methods change any of them."""

    def __init__(self) -> None:
        self._entries: dict[int, Postback] = {}
        self._by_key: dict[uuid.UUID, _Tally] = {}
        self._finished = 0  # everyone's
        self._attempts = 0
        self._ids = itertools.count(1)

    def __getitem__(self, postback_id: int) -> Postback:
        return self._entries[postback_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def add(
        self, license_key: uuid.UUID, outgoing: Outgoing, created_at: datetime, duplicate_of: int | None
    ) -> Postback:
        postback = Postback(
            next(self._ids),
            outgoing.kind,
            license_key,
            outgoing.message_id,
            outgoing.url,
            outgoing.body,
            created_at,
            State.PENDING,
            [],
            duplicate_of,
        )
        self._entries[postback.id] = postback
        tally = self._by_key.get(license_key)
        if tally is None:
            tally = self._by_key[license_key] = _Tally()
        tally.postbacks.append(postback)
        return postback

    def holds(self, postback: Postback) -> bool:
        """Whether this very postback is still journalled (not forgotten by a reset)."""
        return self._entries.get(postback.id) is postback

    def keys_seen(self) -> set[uuid.UUID]:
        return set(self._by_key)

    def for_key(self, license_key: uuid.UUID | None) -> list[Postback]:
        if license_key is None:
            return list(self._entries.values())
        tally = self._by_key.get(license_key)
        return list(tally.postbacks) if tally is not None else []

    def set_state(self, postback: Postback, state: State) -> None:
        now_finished = id(state) in _FINISHED
        if now_finished != (id(postback.state) in _FINISHED):  # a redelivered postback leaves the finished ones
            tally = self._by_key.get(postback.license_key)
            if tally is not None and self.holds(postback):  # else forgotten by a reset: counted nowhere
                step = 1 if now_finished else -1
                tally.finished += step
                self._finished += step
        postback.state = state

    def record(self, postback: Postback, attempt: Attempt) -> None:
        postback.attempts.append(attempt)
        tally = self._by_key.get(postback.license_key)
        if tally is not None and self.holds(postback):
            tally.attempts += 1
            self._attempts += 1

    def finished(self, license_key: uuid.UUID | None) -> int:
        if license_key is None:
            return self._finished
        tally = self._by_key.get(license_key)
        return tally.finished if tally is not None else 0

    def attempts(self, license_key: uuid.UUID | None) -> int:
        if license_key is None:
            return self._attempts
        tally = self._by_key.get(license_key)
        return tally.attempts if tally is not None else 0

    def forget(self, license_key: uuid.UUID) -> list[Postback]:
        """Drop a key's postbacks and their counts; returns them."""
        tally = self._by_key.pop(license_key, None)
        if tally is None:
            return []
        for postback in tally.postbacks:
            del self._entries[postback.id]
        self._finished -= tally.finished
        self._attempts -= tally.attempts
        return tally.postbacks
