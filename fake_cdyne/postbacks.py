"""Postbacks: what the fake POSTs to a client's StatusPostBackURL, and the journal of every attempt.

Life events become postbacks (``postbacks_for``); the ``Dispatcher`` delivers them with a real async
HTTP client, one attempt by default as CDYNE does, retries with backoff when configured. Every delay
(retries, chaos) runs on the fake's clock, so a manual clock makes them instant and deterministic.
A postback ends delivered, failed or dropped, and stays in the journal either way: nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import random
import ssl
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from .clock import Scheduler
from .config import Config
from .form_post import FormPoster, PostFailed
from .lifecycle import LifeEvent
from .postback_forms import receipt_form, reply_form, sent_form

log = logging.getLogger("fake_cdyne.postbacks")

Kind = Literal["sent", "refused", "reply", "receipt"]
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "CDYNE SMSv2"


class State(enum.Enum):
    PENDING = "pending"
    HELD = "held"
    RETRYING = "retrying"
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


@dataclass(frozen=True, slots=True)
class Chaos:
    """Per-account misbehaviour on demand: deterministic for a given seed."""

    duplicate: bool = False
    drop: bool = False
    delay: float = 0.0
    jitter: float = 0.0
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Outgoing:
    kind: Kind
    message_id: uuid.UUID
    url: str
    body: str


def postbacks_for(event: LifeEvent) -> list[Outgoing]:
    """The posts CDYNE makes for a life event (none when there is nowhere to post)."""
    message = event.message
    if event.kind == "incoming" and event.incoming is not None:
        url = (message.postback_url if message else None) or event.account.postback_url
        body = reply_form(event.incoming, message)
        return [Outgoing("reply", event.incoming.id, url, body)] if url else []
    if message is None or not message.postback_url:
        return []
    if event.kind == "sent":
        return [Outgoing("sent", message.id, message.postback_url, sent_form(message, sent=True))]
    if event.kind == "refused":
        return [Outgoing("refused", message.id, message.postback_url, sent_form(message, sent=False))]
    if event.kind == "receipt":
        body = receipt_form(message, event.code or "", event.description or "")
        return [Outgoing("receipt", message.id, message.postback_url, body)]
    return []  # "created" and any later kind: CDYNE posts nothing for them


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
        self.journal: dict[int, Postback] = {}
        self._by_key: dict[uuid.UUID, list[Postback]] = {}
        # Per key, and under None for all keys: postbacks finished, and attempts made.
        self._finished: Counter[uuid.UUID | None] = Counter()
        self._attempts: Counter[uuid.UUID | None] = Counter()
        self._ids = itertools.count(1)
        self._held_keys: set[uuid.UUID] = set()
        self._held: dict[uuid.UUID, deque[Postback]] = {}
        self._chaos: dict[uuid.UUID, tuple[Chaos, random.Random]] = {}
        self._queue: asyncio.Queue[Postback] | None = None
        self._early: list[Postback] = []
        self._workers: list[asyncio.Task[None]] = []
        self._poster: FormPoster | None = None
        self._tls: ssl.SSLContext | None = None
        self._changed = asyncio.Event()

    # ---- intake ----------------------------------------------------------------------------

    def on_life_event(self, event: LifeEvent) -> None:
        for outgoing in postbacks_for(event):
            self.submit(event.account.license_key, outgoing)

    def submit(self, license_key: uuid.UUID, outgoing: Outgoing, duplicate_of: int | None = None) -> Postback:
        postback = Postback(
            id=next(self._ids),
            kind=outgoing.kind,
            license_key=license_key,
            message_id=outgoing.message_id,
            url=outgoing.url,
            body=outgoing.body,
            created_at=self.scheduler.clock.now(),
            duplicate_of=duplicate_of,
        )
        self.journal[postback.id] = postback
        self._by_key.setdefault(license_key, []).append(postback)
        chaos, rng = self._chaos.get(license_key, (None, None))
        if chaos is not None and rng is not None:
            if chaos.drop:
                self._set_state(postback, State.DROPPED)
                self._notify()
                return postback
            if chaos.duplicate and duplicate_of is None:
                self.submit(license_key, outgoing, duplicate_of=postback.id)
            if chaos.delay or chaos.jitter:
                wait = chaos.delay + chaos.jitter * rng.random()
                due = self.scheduler.clock.now() + timedelta(seconds=wait)
                self.scheduler.call_at(due, lambda: self._admit(postback))
                self._notify()
                return postback
        self._admit(postback)
        return postback

    def _admit(self, postback: Postback) -> None:
        if postback.license_key in self._held_keys:
            self._set_state(postback, State.HELD)
            self._held.setdefault(postback.license_key, deque()).append(postback)
        else:
            self._enqueue(postback)
        self._notify()

    def _enqueue(self, postback: Postback) -> None:
        self._set_state(postback, State.PENDING)
        if self._queue is None:
            self._early.append(postback)
        else:
            self._queue.put_nowait(postback)

    # ---- hold, release, chaos ----------------------------------------------------------------

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

    def set_chaos(self, license_key: uuid.UUID, chaos: Chaos) -> None:
        self._chaos[license_key] = (chaos, random.Random(chaos.seed))

    # ---- reading -------------------------------------------------------------------------------

    def for_key(self, license_key: uuid.UUID | None) -> list[Postback]:
        if license_key is None:
            return list(self.journal.values())
        return list(self._by_key.get(license_key, []))

    def finished(self, license_key: uuid.UUID | None) -> int:
        return self._finished[license_key]

    def _set_state(self, postback: Postback, state: State) -> None:
        if state in FINISHED and postback.state not in FINISHED:
            self._finished[postback.license_key] += 1
            self._finished[None] += 1
        postback.state = state

    def attempts(self, license_key: uuid.UUID | None) -> int:
        return self._attempts[license_key]

    async def wait(self, license_key: uuid.UUID | None, count: int, timeout: float, *, attempts: bool = False) -> bool:
        """Until ``count`` postbacks of the key have finished (delivered, failed or dropped), or with
        ``attempts``, until ``count`` delivery attempts have been made."""
        counter = self._attempts if attempts else self._finished
        deadline = time.monotonic() + timeout
        while counter[license_key] < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
        return True

    def reset(self, license_key: uuid.UUID | None) -> None:
        keys = list(self._by_key) if license_key is None else [license_key]
        for key in keys:
            for postback in self._by_key.pop(key, []):
                self.journal.pop(postback.id, None)
            self._finished[None] -= self._finished.pop(key, 0)
            self._attempts[None] -= self._attempts.pop(key, 0)
            self._held.pop(key, None)
            self._held_keys.discard(key)
            self._chaos.pop(key, None)

    def _notify(self) -> None:
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
        self._queue = asyncio.Queue()
        self._poster = FormPoster(
            timeout=self.config.postback_timeout,
            user_agent=USER_AGENT,
            max_response=MAX_RESPONSE_BYTES,
            tls=self._tls_context,
        )
        self._workers = [asyncio.create_task(self._work()) for _ in range(self.config.postback_workers)]
        for postback in self._early:
            self._queue.put_nowait(postback)
        self._early.clear()

    async def stop(self, deadline: float) -> list[Postback]:
        """Deliver what is queued within the deadline; report (never silently drop) the rest."""
        if self._queue is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), deadline)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        if self._poster is not None:
            await self._poster.aclose()
        undelivered = [p for p in self.journal.values() if p.state not in FINISHED]
        if undelivered:
            listed = ", ".join(f"#{p.id} {p.kind} to {p.url} ({p.state.value})" for p in undelivered[:20])
            more = f" and {len(undelivered) - 20} more" if len(undelivered) > 20 else ""
            log.warning("fake-cdyne stopped with %d postback(s) undelivered: %s%s", len(undelivered), listed, more)
        return undelivered

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            postback = await self._queue.get()
            try:
                await self._attempt(postback)
            except Exception as error:  # a bug in the fake: keep it visible, keep delivering others
                self._set_state(postback, State.FAILED)
                self._on_error(f"postback #{postback.id}", error)
            finally:
                self._queue.task_done()
                self._notify()

    def refusal(self, url: str) -> str | None:
        """Why a URL cannot be posted to at all, or None."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError as error:
            return f"not a valid URL: {error}"
        if parts.scheme not in ("http", "https") or not host:
            return f"not an http or https URL: {url!r}"
        allowed = self.config.postback_allowed_hosts
        if allowed and host.lower() not in allowed:
            return f"host {host!r} is not in postback_allowed_hosts"
        return None

    async def _attempt(self, postback: Postback) -> None:
        number = len(postback.attempts) + 1
        at = self.scheduler.clock.now()
        started = time.perf_counter()
        status: int | None = None
        error = self.refusal(postback.url)
        if error is None:
            try:
                status = await self._post(postback)
            except PostFailed as failure:
                error = str(failure)
            except Exception as failure:  # not a failure of the post: journal it as this attempt's error, and as a bug
                error = f"{type(failure).__name__}: {failure}"
                self._on_error(f"postback #{postback.id} attempt {number}", failure)
        latency = round((time.perf_counter() - started) * 1000, 3)
        if status is not None and not 200 <= status < 300:
            error = f"HTTP {status}"
        postback.attempts.append(Attempt(number, at, status, error, latency))
        self._attempts[postback.license_key] += 1
        self._attempts[None] += 1
        if error is None:
            self._set_state(postback, State.DELIVERED)
        elif number <= self.config.postback_retries and self.refusal(postback.url) is None:
            self._set_state(postback, State.RETRYING)
            backoff = self.config.postback_backoff * 2 ** (number - 1)
            self.scheduler.call_at(
                self.scheduler.clock.now() + timedelta(seconds=backoff), lambda: self._enqueue(postback)
            )
        else:
            self._set_state(postback, State.FAILED)

    async def _post(self, postback: Postback) -> int:
        assert self._poster is not None
        return await self._poster.post(postback.url, postback.body.encode())
