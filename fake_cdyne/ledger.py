"""Records in the order they came, each with a serial number that only grows: what retention lets go
oldest first, and what the control API's listings page through with a cursor.

A ``Ledger`` is a deque ordered by serial: appending and letting the oldest go are O(1), and finding
where a page starts is a binary search (``after``), so a page costs what it shows, not a pass over the
store. A record its owner dropped out of order (a reset key's) stays until it reaches the front or the
ledger is compacted (once more than half of it is such), and is skipped meanwhile: serials never move,
so a cursor stays good across resets and retention.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


def after(records: Sequence[T], serial: Callable[[T], int], cursor: int) -> int:
    """The index of the first record whose serial is above ``cursor`` (records in serial order)."""
    low, high = 0, len(records)
    while low < high:
        middle = (low + high) // 2
        if serial(records[middle]) <= cursor:
            low = middle + 1
        else:
            high = middle
    return low


def page(records: Sequence[T], serial: Callable[[T], int], cursor: int | None, limit: int) -> list[T]:
    """Up to ``limit`` records after ``cursor`` (from the first without one), in order."""
    start = 0 if cursor is None else after(records, serial, cursor)
    return list(itertools.islice(records, start, start + limit)) if start < len(records) else []


class Ledger(Generic[T]):
    """Records by serial, oldest first. ``alive`` says whether the owner still holds a record."""

    def __init__(self, alive: Callable[[T], bool], serial: Callable[[T], int] | None = None) -> None:
        self.serial = serial  # None: never paged
        self._alive = alive
        self._records: deque[T] = deque()
        self._dropped = 0  # records the owner dropped that are still here

    def __len__(self) -> int:
        return len(self._records) - self._dropped

    def append(self, record: T) -> None:
        self._records.append(record)

    def oldest(self) -> T | None:
        """The oldest record the owner holds (dropped ones before it are let go on the way)."""
        records = self._records
        while records:
            first = records[0]
            if self._alive(first):
                return first
            records.popleft()
            self._dropped = max(self._dropped - 1, 0)
        return None

    def pop_oldest(self) -> T:
        """Let the oldest go (``oldest`` found it alive)."""
        return self._records.popleft()

    def dropped(self, count: int) -> None:
        """The owner dropped ``count`` records out of order (they are skipped, and compacted away)."""
        self._dropped += count
        if self._dropped > len(self._records) // 2:
            self._records = deque(record for record in self._records if self._alive(record))
            self._dropped = 0

    def clear(self) -> None:
        self._records.clear()
        self._dropped = 0

    def page(self, cursor: int | None, limit: int) -> list[T]:
        """Up to ``limit`` records the owner holds, after ``cursor``, oldest first."""
        assert self.serial is not None, "a ledger without serials has no pages"
        found: list[T] = []
        start = 0 if cursor is None else after(self._records, self.serial, cursor)
        for record in itertools.islice(self._records, start, None):
            if len(found) >= limit:
                break
            if self._alive(record):
                found.append(record)
        return found

    def __iter__(self) -> Iterator[T]:
        return (record for record in self._records if self._alive(record))
