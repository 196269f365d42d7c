"""Carrier realism, off unless a scenario file asks for it: throughput limits and late receipts.

Throughput is a token bucket per sending number (DID), and optionally per recipient, kept as the
theoretical arrival time of the generic cell rate algorithm: one time per number. A message over the
rate either waits its turn (``over: queue``: it stays Queued and goes Sent at the rate, first come
first served) or is throttled (``over: throttle``: it is Sent and the carrier answers with receipt
028, 029 or 030). Receipts: every sent message gets one, ``after`` seconds plus up to ``jitter`` more,
drawn from a generator seeded with ``seed``, so receipts come in another order than the sends, the
same order on every run. Everything runs on the fake's clock, so a manual clock makes it instant.

``read_carrier`` reads a scenario file's ``carrier`` key with the file reader's checker.
"""

from __future__ import annotations

import dataclasses
import random
import re
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from .model import Message
from .scenario_model import CarrierSpec, Life, Receipt, ReceiptTiming, Scenario, Throughput

KeyPath = tuple[str | int, ...]
CARRIER_KEYS = ("throughput", "receipts")
THROUGHPUT_KEYS = ("per_did_per_second", "per_recipient_per_second", "burst", "over")
RECEIPTS_KEYS = ("code", "after", "jitter", "seed")
MIN_RATE = 0.001  # messages a second: one in 1,000 s
MAX_RATE = 1000
MAX_BURST = 1000
MAX_SEED = 2**32 - 1
SENDER_THROTTLE, RECIPIENT_THROTTLE, BOTH_THROTTLE = "028", "029", "030"


class Checker(Protocol):
    """What ``read_carrier`` needs of the scenario file reader's checker (problems with file and line)."""

    def problem(self, path: KeyPath, text: str) -> None: ...
    def mapping(self, value: Any, path: KeyPath, allowed: Iterable[str], what: str) -> dict[str, Any]: ...
    def number(self, value: Any, path: KeyPath, *, low: int, high: int) -> Any: ...
    def seconds(self, fields: dict[str, Any], key: str, path: KeyPath) -> float: ...
    def count(self, value: Any, path: KeyPath, low: int, high: int) -> Any: ...
    def text(self, value: Any, path: KeyPath) -> str | None: ...
    def choice(self, value: Any, path: KeyPath, choices: Iterable[str], what: str) -> str | None: ...


def read_carrier(check: Checker, value: Any, path: KeyPath) -> CarrierSpec:
    fields = check.mapping(value, path, CARRIER_KEYS, "what the carrier does")
    throughput = _throughput(check, fields["throughput"], (*path, "throughput")) if "throughput" in fields else None
    receipts = _receipts(check, fields["receipts"], (*path, "receipts")) if "receipts" in fields else None
    return CarrierSpec(throughput, receipts)


def _throughput(check: Checker, value: Any, path: KeyPath) -> Throughput:
    fields = check.mapping(value, path, THROUGHPUT_KEYS, "a throughput limit")
    rates = [_rate(check, fields[key], (*path, key)) if key in fields else None for key in THROUGHPUT_KEYS[:2]]
    if isinstance(value, dict) and not set(fields) & set(THROUGHPUT_KEYS[:2]):
        check.problem(path, "a throughput limit needs per_did_per_second or per_recipient_per_second")
    burst = check.count(fields["burst"], (*path, "burst"), 1, MAX_BURST) if "burst" in fields else None
    over = "queue"
    if "over" in fields:
        over = check.choice(fields["over"], (*path, "over"), ("queue", "throttle"), "queue or throttle") or over
    return Throughput(rates[0], rates[1], burst or 1, "throttle" if over == "throttle" else "queue")


def _rate(check: Checker, value: Any, path: KeyPath) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and not MIN_RATE <= value <= MAX_RATE:
        check.problem(path, f"expected a number from {MIN_RATE} to {MAX_RATE:,} (messages a second), found {value}")
        return None
    rate = check.number(value, path, low=0, high=MAX_RATE)  # not a number: the reader's own problem
    return float(rate) if rate is not None else None


def _receipts(check: Checker, value: Any, path: KeyPath) -> ReceiptTiming:
    fields = check.mapping(value, path, RECEIPTS_KEYS, "when delivery receipts come")
    code = check.text(fields.get("code", "000"), (*path, "code"))
    if code is not None and not re.fullmatch(r"\d{3}", code):
        check.problem((*path, "code"), f"{code!r} is not a three-digit receipt code (000, 003, 005, ...)")
        code = None
    seed = check.count(fields["seed"], (*path, "seed"), 0, MAX_SEED) if "seed" in fields else None
    return ReceiptTiming(
        code or "000", check.seconds(fields, "after", path), check.seconds(fields, "jitter", path), seed or 0
    )


def carrier_for(scenarios: Iterable[Scenario]) -> Carrier | None:
    """The carrier of the last scenario file that describes one; None (no realism) when none does."""
    specs = [scenario.carrier for scenario in scenarios if scenario.carrier is not None]
    return Carrier(specs[-1]) if specs else None


class _Buckets:
    """Token buckets of one rate, one per (license key, number), each as its theoretical arrival time."""

    def __init__(self, per_second: float, burst: int) -> None:
        self.interval = timedelta(seconds=1 / per_second)
        self.tolerance = self.interval * (burst - 1)
        self.due: dict[tuple[uuid.UUID, str], datetime] = {}

    def earliest(self, key: tuple[uuid.UUID, str], now: datetime) -> datetime:
        """When the next message for this number is within the rate."""
        due = self.due.get(key)
        return now if due is None else max(now, due - self.tolerance)

    def take(self, key: tuple[uuid.UUID, str], at: datetime) -> None:
        due = self.due.get(key)
        self.due[key] = (at if due is None else max(due, at)) + self.interval

    def forget(self, license_key: uuid.UUID | None) -> None:
        self.due = {} if license_key is None else {k: v for k, v in self.due.items() if k[0] != license_key}


class Carrier:
    def __init__(self, spec: CarrierSpec) -> None:
        self.spec = spec
        limit = spec.throughput or Throughput()
        self.over = limit.over
        per_did, per_recipient = limit.per_did_per_second, limit.per_recipient_per_second
        self._senders = _Buckets(per_did, limit.burst) if per_did is not None else None
        self._recipients = _Buckets(per_recipient, limit.burst) if per_recipient is not None else None
        self._random = random.Random(spec.receipts.seed if spec.receipts is not None else 0)

    def admit(self, message: Message, now: datetime) -> datetime | str | None:
        """May the message go Sent now? None: yes. A later time: it waits in the queue until then (its
        turn is kept). A receipt code: it is over the rate and throttled."""
        sender = (message.license_key, message.from_number)
        recipient = (message.license_key, message.to_number)
        limits = [(b, k) for b, k in ((self._senders, sender), (self._recipients, recipient)) if b is not None]
        turns = [buckets.earliest(key, now) for buckets, key in limits]
        at = max(turns, default=now)
        if at > now and self.over == "throttle":
            over = [turn > now for turn in turns]
            if len(limits) == 2 and all(over):
                return BOTH_THROTTLE
            return SENDER_THROTTLE if limits[over.index(True)][0] is self._senders else RECIPIENT_THROTTLE
        for buckets, key in limits:
            buckets.take(key, at)
        return at if at > now else None

    def life(self, planned: Life | None, throttled: str | None) -> Life | None:
        """What follows a message gone Sent: only the throttling receipt, if throttled (the phone never
        gets it); else its rule's life, with the carrier's receipt when the rule gives none."""
        timing = self.spec.receipts
        if throttled is not None:
            return Life(receipt=Receipt(throttled, self._delay() if timing is not None else 0.0))
        if timing is None or (planned is not None and planned.receipt is not None):
            return planned
        return dataclasses.replace(planned or Life(), receipt=Receipt(timing.code, self._delay()))

    def _delay(self) -> float:
        timing = self.spec.receipts
        assert timing is not None
        return timing.after + (self._random.uniform(0, timing.jitter) if timing.jitter else 0.0)

    def forget(self, license_key: uuid.UUID | None) -> None:
        """A reset: the key's numbers start with full buckets."""
        for buckets in (self._senders, self._recipients):
            if buckets is not None:
                buckets.forget(license_key)
