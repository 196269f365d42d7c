"""What a scenario says, as typed values: accounts, defaults, and rules of match and outcome.

``scenario_files`` builds these from YAML or JSON (validating as it goes); ``scenarios`` runs them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal, Protocol

from .model import SMSError
from .sms2 import SMS2

OPERATIONS = {op.name.lower(): op.name for op in SMS2}  # what a rule's ``operation`` may name
SEND_OPERATIONS = frozenset(op.name.lower() for op in SMS2 if op.sends)  # what "send" names


class Pattern(Protocol):
    """A compiled RE2 pattern: matching takes time linear in the text, whatever the pattern."""

    def search(self, text: str) -> object | None: ...


@dataclass(frozen=True, slots=True)
class TextMatch:
    """How one request field must look: equal to, starting with, containing, or matching a pattern."""

    how: str  # equals, prefix, contains or pattern
    value: str
    regex: Pattern | None = None

    def __call__(self, text: str | None) -> bool:
        if text is None:
            return False
        if self.how == "equals":
            return text == self.value
        if self.how == "prefix":
            return text.startswith(self.value)
        if self.how == "contains":
            return self.value in text
        assert self.regex is not None
        try:
            return self.regex.search(text) is not None
        except UnicodeEncodeError:  # RE2 reads UTF-8: a lone surrogate (from a JSON escape) reads as '?'
            return self.regex.search(text.encode("utf-8", "replace").decode()) is not None


@dataclass(frozen=True, slots=True)
class Match:
    operations: frozenset[str] | None = None  # lower-case operation names; None: every operation
    license_key: uuid.UUID | None = None
    fields: tuple[tuple[str, TextMatch], ...] = ()  # (request field, how it must look)


@dataclass(frozen=True, slots=True)
class Fault:
    """An HTTP answer CDYNE's code never gives: for testing a client's error handling."""

    status: int | None = None
    body: str | None = None
    content_type: str = "text/plain; charset=utf-8"
    delay: float = 0.0
    close: bool = False
    truncate: bool = False
    malformed: bool = False


@dataclass(frozen=True, slots=True)
class Reply:
    after: float
    message: str


@dataclass(frozen=True, slots=True)
class Receipt:
    code: str
    after: float = 0.0
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Life:
    """What happens to a message after the send's response."""

    sent_after: float | None = None
    refuse: int = 0  # the carrier refuses it this many times, then it is cancelled
    receipt: Receipt | None = None
    replies: tuple[Reply, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    error: SMSError | None = None
    message_id: str | None = None  # "zero" or "fresh"
    flags: tuple[tuple[str, bool], ...] = ()  # overrides of queued, sent, cancelled
    fault: Fault | None = None
    delay: float = 0.0
    life: Life | None = None


@dataclass(slots=True)
class Step:
    outcome: Outcome
    times: int | None  # None: for ever


@dataclass(slots=True)
class Rule:
    match: Match
    steps: list[Step]
    where: str  # "file:line rules[i]", for messages
    _step: int = 0
    _used: int = 0

    def take(self) -> Outcome | None:
        """The outcome for this use, consuming it; None once every step is used up."""
        while self._step < len(self.steps):
            step = self.steps[self._step]
            if step.times is None or self._used < step.times:
                self._used += 1
                return step.outcome
            self._step += 1
            self._used = 0
        return None


@dataclass(frozen=True, slots=True)
class AccountSpec:
    license_key: uuid.UUID
    dids: tuple[str, ...] = ()
    suspended: bool | None = None
    blocked: tuple[str, ...] | None = None
    postback_url: str | None = None
    short_codes: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Throughput:
    """How fast the carrier takes messages: per sending number (DID), and optionally per recipient."""

    per_did_per_second: float | None = None
    per_recipient_per_second: float | None = None
    burst: int = 1  # how many may go at once before the rate applies
    over: Literal["queue", "throttle"] = "queue"  # over the rate: wait in the queue, or receipt 028-030


@dataclass(frozen=True, slots=True)
class ReceiptTiming:
    """A delivery receipt for every sent message, ``after`` seconds plus up to ``jitter`` more."""

    code: str = "000"
    after: float = 0.0
    jitter: float = 0.0
    seed: int = 0  # the jitter is drawn from a generator seeded with this: the same order every run


@dataclass(frozen=True, slots=True)
class CarrierSpec:
    """A scenario file's ``carrier``: what the carrier between CDYNE and the phones does (off by default)."""

    throughput: Throughput | None = None
    receipts: ReceiptTiming | None = None


@dataclass(slots=True)
class Scenario:
    source: str
    name: str | None = None
    accounts: list[AccountSpec] = field(default_factory=list)
    accept_unknown_keys: bool | None = None
    defaults: dict[str, object] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    strict: bool = False  # requests no rule matches are reported as surprises
    carrier: CarrierSpec | None = None
