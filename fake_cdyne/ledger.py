"""Records in the order they came, each with a serial number that only grows: what retention lets go
oldest first, and what the control API's listings page through with a cursor.

A ``Window`` is a list whose oldest records can be let go in O(1) (the front is compacted away now and
then), read by index and slice in O(1): finding where a page starts is a binary search (``after``) and a
page costs what it shows, not a pass over the store. A ``Ledger`` is a window that may hold records its
owner dropped out of order (a reset key's): they stay until they reach the front or the ledger is
compacted (once more than half of it is such), and are skipped meanwhile. Serials never move, so a
cursor stays good across resets and retention.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar, overload

T = TypeVar("T")


class Window(Sequence[T]):
    """A list that lets its oldest items go: ``popleft`` in O(1), indexing and slicing in O(1)."""

    __slots__ = ("_head", "_items")

    def __init__(self) -> None:
        self._items: list[T | None] = []
        self._head = 0  # items before it are gone

    def __len__(self) -> int:
        return len(self._items) - self._head

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            return self._items[self._head + start : self._head + stop : step]  # type: ignore[return-value]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("window index out of range")
        return self._items[self._head + index]  # type: ignore[return-value]

    def __iter__(self) -> Iterator[T]:
        items = self._items
        return (items[i] for i in range(self._head, len(items)))  # type: ignore[misc]

    def __reversed__(self) -> Iterator[T]:
        items = self._items
        return (items[i] for i in range(len(items) - 1, self._head - 1, -1))  # type: ignore[misc]

    def __bool__(self) -> bool:
        return len(self._items) > self._head

    def __repr__(self) -> str:
        return f"Window({self[:]!r})"

    def append(self, item: T) -> None:
        self._items.append(item)

    def popleft(self) -> T:
        if not self:
            raise IndexError("popleft from an empty window")
        item = self._items[self._head]
        self._items[self._head] = None
        self._head += 1
        if self._head > 1024 and self._head * 2 > len(self._items):
            del self._items[: self._head]
            self._head = 0
        return item  # type: ignore[return-value]

    def clear(self) -> None:
        self._items = []
        self._head = 0

    def replace(self, items: list[T]) -> None:
        self._items = list(items)
        self._head = 0


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
    if isinstance(records, Window | list):
        return list(records[start : start + limit])
    return [records[i] for i in range(start, min(start + limit, len(records)))]


class Ledger(Generic[T]):
    """Records by serial, oldest first. ``alive`` says whether the owner still holds a record."""

    def __init__(self, alive: Callable[[T], bool], serial: Callable[[T], int] | None = None) -> None:
        self.serial = serial  # None: never paged
        self._alive = alive
        self._records: Window[T] = Window()
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
            self._records.replace([record for record in self._records if self._alive(record)])
            self._dropped = 0

    def clear(self) -> None:
        self._records.clear()
        self._dropped = 0

    def page(self, cursor: int | None, limit: int) -> list[T]:
        """Up to ``limit`` records the owner holds, after ``cursor``, oldest first."""
        assert self.serial is not None, "a ledger without serials has no pages"
        found: list[T] = []
        records = self._records
        start = 0 if cursor is None else after(records, self.serial, cursor)
        while len(found) < limit and start < len(records):
            found += [record for record in records[start : start + limit] if self._alive(record)]
            start += limit
        return found[:limit]

    def __iter__(self) -> Iterator[T]:
        return (record for record in self._records if self._alive(record))
