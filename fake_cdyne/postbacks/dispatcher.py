"""The ``Dispatcher``: delivers postbacks fairly across keys, with hold, release, redeliver and chaos."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import ssl
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import timedelta

from ..clock import Scheduler
from ..config import Config
from ..form_post import FormPoster, PostFailed
from ..lifecycle import LifeEvent
from ..postback_urls import Refusal, destination
from .journal import FINISHED, Attempt, Journal, Outgoing, Postback, State
from .outgoing import Chaos, postbacks_for
from .report import NAMED_IN_LOG, StopReport

log = logging.getLogger("fake_cdyne.postbacks")

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "CDYNE SMSv2"
INTERRUPTED = "interrupted: fake-cdyne stopped before the answer came"
# The states a delivery sets, as module constants: a member read off its Enum class costs 740 instructions
# more in Python 3.11.
_PENDING, _SENDING, _DELIVERED = State.PENDING, State.SENDING, State.DELIVERED


class _Lane:
    """One key's share of the workers: its queue, its attempts in flight, and whether it is in line."""

    __slots__ = ("in_flight", "in_turn", "key", "queue")

    def __init__(self, key: uuid.UUID) -> None:
        self.key = key
        self.queue: deque[Postback] = deque()
        self.in_flight = 0
        self.in_turn = False


class Dispatcher:
    def __init__(
        self,
        config: Config,
        scheduler: Scheduler,
        on_error: Callable[[str, BaseException], object],
        on_change: Callable[[str, uuid.UUID | None], None] | None = None,
    ):
        self.config = config
        self._on_change = on_change
        self.scheduler = scheduler
        self._on_error = on_error
        self.journal = Journal(config.postback_journal_size)
        self._held_keys: set[uuid.UUID] = set()
        self._held: dict[uuid.UUID, deque[Postback]] = {}
        self._chaos: dict[uuid.UUID, tuple[Chaos, random.Random]] = {}
        # Fair sharing: a lane per key with work queued or in flight; the lanes that may start an attempt
        # now, in turn; what is in flight.
        self._lanes: dict[uuid.UUID, _Lane] = {}
        self._turns: deque[_Lane] = deque()
        self._queued = 0  # postbacks in the lanes' queues
        self._sending: dict[Postback, asyncio.Task[None]] = {}
        self._workers = config.postback_workers
        self._per_key = min(config.postback_workers_per_key, config.postback_workers)
        self._running = False
        self._stopping = False
        self.waiting = 0  # wait() calls not yet answered
        self._poster: FormPoster | None = None
        self._tls: ssl.SSLContext | None = None
        self._changed = asyncio.Event()
        self._watching = 0  # awaiting _changed

    # ---- intake ----------------------------------------------------------------------------

    def on_life_event(self, event: LifeEvent) -> None:
        message = event.message
        if event.kind != "incoming" and (message is None or not message.postback_url):
            return  # what postbacks_for finds for a message's events, without building it (a send without a URL)
        for outgoing in postbacks_for(event):
            self.submit(event.account.license_key, outgoing)

    def submit(self, license_key: uuid.UUID, outgoing: Outgoing, duplicate_of: int | None = None) -> Postback:
        postback = self.journal.add(license_key, outgoing, self.scheduler.clock.now(), duplicate_of)
        chaos, rng = self._chaos.get(license_key, (None, None)) if self._chaos else (None, None)
        if chaos is not None and rng is not None:
            if chaos.drop:
                self.journal.set_state(postback, State.DROPPED)
                self._notify()
                return postback
            if chaos.duplicate and duplicate_of is None:
                self.submit(license_key, outgoing, duplicate_of=postback.id)
            if chaos.delay or chaos.jitter:
                self._later(postback, chaos.delay + chaos.jitter * rng.random(), self._admit)
                self._notify()
                return postback
        self._admit(postback)
        return postback

    def _admit(self, postback: Postback) -> None:
        if self._held_keys and postback.license_key in self._held_keys:
            self.journal.set_state(postback, State.HELD)
            self._held.setdefault(postback.license_key, deque()).append(postback)
        else:
            self._enqueue(postback)
        self._notify()

    def _enqueue(self, postback: Postback) -> None:
        self.journal.set_state(postback, _PENDING)
        key = postback.license_key
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(key)
        lane.queue.append(postback)
        self._queued += 1
        self._take_turn(lane)
        self._pump()

    def _later(self, postback: Postback, seconds: float, then: Callable[[Postback], None]) -> None:
        """``then(postback)`` after ``seconds`` on the fake's clock, unless it was reset or the fake stopped."""
        due = self.scheduler.clock.now() + timedelta(seconds=seconds)
        self.scheduler.call_at(due, functools.partial(self._resume, postback, then), postback.license_key)

    def _resume(self, postback: Postback, then: Callable[[Postback], None]) -> None:
        if self.journal.holds(postback) and not self._stopping:
            then(postback)

    # ---- hold, release, redeliver, chaos -------------------------------------------------------

    def hold(self, license_key: uuid.UUID) -> None:
        self._held_keys.add(license_key)

    def release(self, license_key: uuid.UUID, count: int | None = None, *, newest_first: bool = False) -> int:
        """Let held postbacks go (all, or the first ``count``); holding stops once all are released."""
        held = self._held.get(license_key, deque())
        n = len(held) if count is None else min(count, len(held))
        for _ in range(n):
            self._enqueue(held.pop() if newest_first else held.popleft())
        if count is None:
            self._held_keys.discard(license_key)
        self._notify()
        return n

    def redeliver(self, license_key: uuid.UUID | None) -> int:
        """Queue the failed postbacks (of one key, or all) again: each gets one more attempt, journalled
        on the same entry. Returns how many."""
        failed = [postback for postback in self.for_key(license_key) if postback.state is State.FAILED]
        for postback in failed:
            self._admit(postback)
        return len(failed)

    def set_chaos(self, license_key: uuid.UUID, chaos: Chaos) -> None:
        self._chaos[license_key] = (chaos, random.Random(chaos.seed))

    def resume(self, postback: Postback) -> None:
        """A postback restored unfinished (from a snapshot or a store): held again if it was held, else
        queued for its next attempt (one in flight when the fake stopped is made again)."""
        if postback.state is State.HELD:
            self._held_keys.add(postback.license_key)
            self._held.setdefault(postback.license_key, deque()).append(postback)
        elif postback.state not in FINISHED:
            self._enqueue(postback)

    # ---- reading -------------------------------------------------------------------------------

    def for_key(self, license_key: uuid.UUID | None) -> list[Postback]:
        return self.journal.for_key(license_key)

    def finished(self, license_key: uuid.UUID | None) -> int:
        return self.journal.finished(license_key)

    def attempts(self, license_key: uuid.UUID | None) -> int:
        return self.journal.attempts(license_key)

    @property
    def stopping(self) -> bool:
        return self._stopping

    async def wait(self, license_key: uuid.UUID | None, count: int, timeout: float, *, attempts: bool = False) -> bool:
        """Until ``count`` postbacks of the key have finished (delivered, failed or dropped), or with
        ``attempts``, until ``count`` delivery attempts have been made. False after the timeout, or at
        once when the fake begins to stop."""
        counter = self.journal.attempts if attempts else self.journal.finished
        deadline = time.monotonic() + timeout
        self.waiting += 1
        try:
            while counter(license_key) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping:
                    return False
                await self._next_change(remaining)
            return True
        finally:
            self.waiting -= 1

    def reset(self, license_key: uuid.UUID | None) -> None:
        """Forget a key's postbacks (or everyone's), cancelling those queued, retrying or in flight."""
        keys = (
            {*self.journal.keys_seen(), *self._lanes, *self._held_keys, *self._chaos}
            if license_key is None
            else {license_key}
        )
        for key in keys:
            for postback in self.journal.forget(key):
                task = self._sending.pop(postback, None)
                if task is not None:
                    task.cancel()
            lane = self._lanes.pop(key, None)
            if lane is not None:
                self._queued -= len(lane.queue)
                if lane.in_turn:
                    self._turns.remove(lane)
            self._held.pop(key, None)
            self._held_keys.discard(key)
            self._chaos.pop(key, None)
        self._pump()  # the workers the reset freed

    def _notify(self) -> None:
        if self._watching:  # a new Event for every state change of every postback only when one is awaited
            self._changed.set()
            self._changed = asyncio.Event()
        if self._on_change is not None:
            self._on_change("postback", None)

    # ---- delivery ------------------------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        # Made once, when the first https postback needs it: loading the CA bundle takes ~30 ms.
        if self._tls is None:
            self._tls = ssl.create_default_context()
            if self.config.postback_ca_file:
                self._tls.load_verify_locations(cafile=self.config.postback_ca_file)
        return self._tls

    async def start(self) -> None:
        self._poster = FormPoster(
            timeout=self.config.postback_timeout,
            user_agent=USER_AGENT,
            max_response=MAX_RESPONSE_BYTES,
            tls=self._tls_context,
        )
        self._running = True
        self._pump()  # what was submitted before the start

    def begin_stop(self) -> None:
        """The fake is stopping: answer the waiters now; delivery goes on until ``stop``."""
        self._stopping = True
        self._notify()

    async def _next_change(self, timeout: float) -> None:
        """Until the next state change, or ``timeout`` seconds."""
        changed = self._changed
        self._watching += 1
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout)
        finally:
            self._watching -= 1

    async def idle(self, timeout: float) -> bool:
        """Until nothing is queued or in flight (held, delayed and retrying postbacks wait for time or a
        release); False after the timeout."""
        deadline = time.monotonic() + timeout
        while self._queued or self._sending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await self._next_change(remaining)
        return True

    async def stop(self, deadline: float) -> StopReport:
        """Deliver what is queued within ``deadline`` seconds, interrupt what is still in flight, and
        report every postback left undelivered exactly once (in the log, or a file when there are many)."""
        started = time.monotonic()
        self.begin_stop()
        await self.idle(deadline)
        self._running = False
        interrupted = list(self._sending)
        tasks = list(self._sending.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        now = self.scheduler.clock.now()
        for postback in interrupted:
            if postback.state is State.SENDING:
                self.journal.record(postback, Attempt(len(postback.attempts) + 1, now, None, INTERRUPTED, 0.0))
        self._sending.clear()
        for lane in self._lanes.values():
            lane.in_flight = 0
        if self._poster is not None:  # closing TLS connections waits on the peers: not past the deadline
            remaining = max(deadline - (time.monotonic() - started), 0.05)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poster.aclose(), remaining)
        report = StopReport.of(self.journal.values())
        if len(report.undelivered) > NAMED_IN_LOG:
            try:
                report = report.write_list()
            except OSError as error:
                log.warning("fake-cdyne could not write the undelivered postbacks to a file: %s", error)
        log.log(logging.WARNING if report.undelivered else logging.INFO, "%s", report.summary)
        for line in report.named():
            log.warning("%s", line)
        self._notify()
        return report

    def _take_turn(self, lane: _Lane) -> None:
        """Put the key's lane in line for a worker if it has work and room under its cap."""
        if not lane.in_turn and lane.queue and lane.in_flight < self._per_key:
            lane.in_turn = True
            self._turns.append(lane)

    def _pump(self) -> None:
        """Start attempts while workers are free, one per key in turn."""
        while self._running and self._turns and len(self._sending) < self._workers:
            postback, lane = self._next()
            self._sending[postback] = asyncio.create_task(self._deliver(postback, lane))

    def _next(self) -> tuple[Postback, _Lane]:
        """The next postback to attempt (there is one: ``_turns`` is not empty), now in flight."""
        lane = self._turns.popleft()
        lane.in_turn = False
        postback = lane.queue.popleft()
        self._queued -= 1
        lane.in_flight += 1
        self.journal.set_state(postback, _SENDING)
        self._take_turn(lane)
        return postback, lane

    async def _deliver(self, postback: Postback, lane: _Lane) -> None:
        """Attempt the postback, then the next in turn while there is one: a worker goes on from one
        postback to the next (no task made for each) until none is waiting."""
        while True:
            try:
                await self._attempt(postback)
            except Exception as error:  # a bug in the fake: keep it visible, keep delivering others
                self.journal.set_state(postback, State.FAILED)
                self._on_error(f"postback #{postback.id}", error)
            except BaseException:  # cancelled, by a reset (which took it out already) or the stop
                self._landed(postback, lane)
                self._notify()
                raise
            worker = self._landed(postback, lane)
            if worker is None or not (self._running and self._turns):
                self._pump()  # the freed worker's place (if nothing waits, nothing starts)
                self._notify()
                return
            postback, lane = self._next()
            self._sending[postback] = worker
            self._pump()
            self._notify()

    def _landed(self, postback: Postback, lane: _Lane) -> asyncio.Task[None] | None:
        """The attempt is over: its worker, free now (None if a reset took the postback out already)."""
        worker = self._sending.pop(postback, None)
        if worker is not None:
            lane.in_flight -= 1
            if lane.queue:
                self._take_turn(lane)
            elif not lane.in_flight and self._lanes.get(lane.key) is lane:
                del self._lanes[lane.key]  # nothing left of the key's: its lane goes
        return worker

    async def _attempt(self, postback: Postback) -> None:
        number = len(postback.attempts) + 1
        at = self.scheduler.clock.now()
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        target = destination(postback.url, self.config.postback_allowed_hosts)
        if isinstance(target, Refusal):
            error = target.reason
        else:
            try:
                status = await self._post(target, postback.body)
            except PostFailed as failure:
                error = str(failure)
            except Exception as failure:  # not a failure of the post: journal it as this attempt's error, and as a bug
                error = f"{type(failure).__name__}: {failure}"
                self._on_error(f"postback #{postback.id} attempt {number}", failure)
        latency = round((time.perf_counter() - started) * 1000, 3)
        if status is not None and not 200 <= status < 300:
            error = f"HTTP {status}"
        self.journal.record(postback, Attempt(number, at, status, error, latency))
        if error is None:
            self.journal.set_state(postback, _DELIVERED)
        elif number <= self.config.postback_retries and not isinstance(target, Refusal):
            self.journal.set_state(postback, State.RETRYING)
            self._later(postback, self.config.postback_backoff * 2 ** (number - 1), self._enqueue)
        else:
            self.journal.set_state(postback, State.FAILED)

    def _post(self, url: str, body: str) -> Awaitable[int]:
        assert self._poster is not None
        return self._poster.post(url, body.encode())  # the poster's own coroutine: no frame of ours around it
