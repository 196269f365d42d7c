"""Time: the clock the fake reads, and the scheduler that runs the message life cycle on it.

With the system clock, due events run from asyncio timers. With a manual clock, time stands still
until ``Scheduler.advance`` moves it, running each due event at its own time, in order, instantly.
Callbacks are synchronous and run on the server's event loop. Each event may name its owner (a license
key), so that resetting a key cancels everything scheduled for it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from .dates import EPOCH, quantise, quantised_millis
from .errors import FakeCdyneError


class Clock(Protocol):
    def now(self) -> datetime: ...

    def stamp(self) -> datetime:
        """Now as the service stores a time: in SQL Server's steps of 1/300 s (``dates.quantise``)."""
        ...


class SystemClock:
    manual = False

    def __init__(self) -> None:
        self._stamped: tuple[int, datetime] = (-1, EPOCH)  # the last stamp, by its whole millisecond

    def now(self) -> datetime:
        return datetime.now(UTC)

    def stamp(self) -> datetime:
        # quantise() first truncates to the millisecond: one stamp serves every call in the same one
        # (a busy fake stamps twice a send; making the datetime costs ten times reading the time).
        millis = time.time_ns() // 1_000_000
        stamped = self._stamped
        if stamped[0] != millis:
            stamped = self._stamped = (millis, quantised_millis(millis))
        return stamped[1]


class ManualClock:
    manual = True

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def stamp(self) -> datetime:
        return quantise(self._now)

    def set(self, moment: datetime) -> None:
        self._now = moment


class ClockIsNotManual(FakeCdyneError):
    """advance() was called on a fake running on the system clock."""


class ClockOutOfRange(FakeCdyneError):
    """advance() would move the clock past ``LAST``."""


# The manual clock stops here, a year and more short of datetime's end, so that whatever is scheduled
# from it (a send delay, a retry, a chaos delay: at most a year) is still a date.
LAST = datetime(9998, 1, 1, tzinfo=UTC)


class Scheduler:
    def __init__(
        self,
        clock: SystemClock | ManualClock,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.clock = clock
        self._on_error = on_error
        self._queue: list[tuple[datetime, int, Callable[[], None], object]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    @property
    def pending(self) -> int:
        return len(self._queue)

    def call_at(self, due: datetime, callback: Callable[[], None], owner: object = None) -> None:
        """Run callback once the clock reaches due (at once if it already has)."""
        heapq.heappush(self._queue, (due, next(self._order), callback, owner))
        self._run_due()

    def cancel(self, owner: object = None) -> int:
        """Forget the events of one owner, or with None every event; returns how many were forgotten."""
        kept = [] if owner is None else [event for event in self._queue if event[3] != owner]
        cancelled = len(self._queue) - len(kept)
        if cancelled:
            heapq.heapify(kept)
            self._queue = kept
        return cancelled

    def advance(self, seconds: float) -> int:
        """Move a manual clock forward, running every event that falls due; returns how many ran."""
        if not isinstance(self.clock, ManualClock):
            raise ClockIsNotManual("the clock is the system clock; start the fake with a manual clock")
        now = self.clock.now()
        if seconds > (LAST - now).total_seconds():
            raise ClockOutOfRange(f"the manual clock goes no further than {LAST:%Y-%m-%d}; it is {now:%Y-%m-%d} now")
        target = now + timedelta(seconds=seconds)
        ran = 0
        while self._queue and self._queue[0][0] <= target:
            due, _, callback, _ = heapq.heappop(self._queue)
            self.clock.set(max(due, self.clock.now()))
            self._call(callback)
            ran += 1
        self.clock.set(target)
        return ran

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _run_due(self) -> None:
        now = self.clock.now()
        while self._queue and self._queue[0][0] <= now:
            _, _, callback, _ = heapq.heappop(self._queue)
            self._call(callback)
        if self._queue and not self.clock.manual:
            self._arm_timer((self._queue[0][0] - now).total_seconds())

    def _call(self, callback: Callable[[], None]) -> None:
        # One failing event must not stop the ones after it; the app records the failure.
        try:
            callback()
        except Exception as error:
            if self._on_error is None:
                raise
            self._on_error(error)

    def _arm_timer(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._run_due()
