"""The postback journal: every postback (an ``Outgoing`` post made a record) and its attempts, kept
whatever becomes of them.

``Journal`` owns the records and the counts derived from them (postbacks finished, attempts made, per
key and for all keys), so that the counts change only with the records they count.
"""

from __future__ import annotations

import enum
import itertools
import uuid
from collections import Counter
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

    # Members are compared by identity, so they may be hashed by it: Enum's own hash is Python code, and
    # ``state in FINISHED`` runs on every change of every postback.
    __hash__ = object.__hash__


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


class Journal(Mapping[int, Postback]):
    """Postbacks by id, in the order they were made; by key; and the counts of each key's (and, under
    None, everyone's) finished postbacks and attempts. Only these methods change any of them."""

    def __init__(self) -> None:
        self._entries: dict[int, Postback] = {}
        self._by_key: dict[uuid.UUID, list[Postback]] = {}
        self._finished: Counter[uuid.UUID | None] = Counter()
        self._attempts: Counter[uuid.UUID | None] = Counter()
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
            id=next(self._ids),
            kind=outgoing.kind,
            license_key=license_key,
            message_id=outgoing.message_id,
            url=outgoing.url,
            body=outgoing.body,
            created_at=created_at,
            duplicate_of=duplicate_of,
        )
        self._entries[postback.id] = postback
        self._by_key.setdefault(license_key, []).append(postback)
        return postback

    def holds(self, postback: Postback) -> bool:
        """Whether this very postback is still journalled (not forgotten by a reset)."""
        return self._entries.get(postback.id) is postback

    def keys_seen(self) -> set[uuid.UUID]:
        return set(self._by_key)

    def for_key(self, license_key: uuid.UUID | None) -> list[Postback]:
        if license_key is None:
            return list(self._entries.values())
        return list(self._by_key.get(license_key, []))

    def set_state(self, postback: Postback, state: State) -> None:
        was_finished, now_finished = postback.state in FINISHED, state in FINISHED
        if now_finished != was_finished:  # a redelivered postback leaves the finished ones
            step = 1 if now_finished else -1
            self._finished[postback.license_key] += step
            self._finished[None] += step
        postback.state = state

    def record(self, postback: Postback, attempt: Attempt) -> None:
        postback.attempts.append(attempt)
        self._attempts[postback.license_key] += 1
        self._attempts[None] += 1

    def finished(self, license_key: uuid.UUID | None) -> int:
        return self._finished[license_key]

    def attempts(self, license_key: uuid.UUID | None) -> int:
        return self._attempts[license_key]

    def forget(self, license_key: uuid.UUID) -> list[Postback]:
        """Drop a key's postbacks and their counts; returns them."""
        dropped = self._by_key.pop(license_key, [])
        for postback in dropped:
            del self._entries[postback.id]
        self._finished[None] -= self._finished.pop(license_key, 0)
        self._attempts[None] -= self._attempts.pop(license_key, 0)
        return dropped
