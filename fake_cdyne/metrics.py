"""``GET /_fake/metrics``: the fake's counts in Prometheus's text exposition format (version 0.0.4).

Counting on the hot path is a few increments per request on the ``Tally`` of its labels (the endpoint keeps
each operation's; ``answered`` and ``refused`` find one), with labels the endpoint already has: the service
(its registry's name), the surface, and the operation's name from the registry, so a new service or operation
appears without a change here. What an answer says is read from its value: every record in it with an
``error`` (SMSError) or a ``status`` that is an enum, and every Messaging record (a dict) with a
``MessageStatus`` member, is counted under that name (``ANSWER_LABELS``). The rest (postbacks by kind and
state, the store's size, errors, scheduled events) is read from the journal and the store when scraped, from
counts they keep, never by a pass over their records.
"""

from __future__ import annotations

import bisect
import enum
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    from .service import Service

MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Upper bounds of the latency histograms' buckets, in seconds (+Inf is implied).
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# What an answer's records say, counted when the attribute holds an enum: (family, label, attribute, help).
ANSWER_LABELS = (  # family, label, the attribute of a record (an enum), the member of a Messaging record
    ("fake_cdyne_sms_errors_total", "sms_error", "error", None, "SMSResponses answered, by SMSError"),
    (
        "fake_cdyne_message_statuses_total",
        "message_status",
        "status",
        "MessageStatus",
        "Records answered, by MessageStatus",
    ),
)

Labels = tuple[tuple[str, str], ...]
_SEQUENCES = (list, tuple)  # an answer of several records


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _sample(name: str, labels: Labels, value: float) -> str:
    shown = ",".join(f'{key}="{_escape(text)}"' for key, text in labels)
    number = repr(float(value)) if isinstance(value, float) and not value.is_integer() else str(int(value))
    return f"{name}{{{shown}}} {number}" if shown else f"{name} {number}"


class Tally:
    """What is counted for one (service, surface, operation): its answers by status, their latency
    histogram, and what its answers' records said, by label. Made once per label set and kept, so
    counting a request is a few increments on it: no label tuple, no enum's ``name`` property."""

    __slots__ = ("buckets", "reads", "said", "statuses", "total")

    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}
        self.buckets = [0] * (len(BUCKETS) + 1)
        self.total = 0.0
        self.said: dict[str, dict[str, int]] = {label: {} for _, label, _, _, _ in ANSWER_LABELS}
        self.reads: dict[type, tuple[tuple[dict[str, int], str, bool], ...]] = {}  # by a record's type

    @property
    def count(self) -> int:
        return sum(self.buckets)

    def _reading(self, record: object) -> tuple[tuple[dict[str, int], str, bool], ...]:
        """What a record of its type is read for: (counts, member or attribute, whether it is a dict's
        member). Found from the first record of a type (records are dataclasses: every one of a type
        has the same attributes), so no answer asks a record for an attribute it lacks (a miss raises
        and catches an AttributeError inside getattr)."""
        if isinstance(record, dict):
            found = tuple((self.said[label], m, True) for _, label, _, m, _ in ANSWER_LABELS if m is not None)
        else:
            found = tuple((self.said[label], a, False) for _, label, a, _, _ in ANSWER_LABELS if hasattr(record, a))
        self.reads[type(record)] = found
        return found

    def add(self, value: object, status: int, seconds: float) -> None:
        """One answer: its HTTP status, its time, and what its value's records said (None: a fault)."""
        statuses = self.statuses
        statuses[status] = statuses.get(status, 0) + 1
        self.buckets[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds
        if value is None or type(value) is bool:
            return
        for record in value if isinstance(value, _SEQUENCES) else (value,):
            reads = self.reads.get(type(record))
            if reads is None:
                reads = self._reading(record)
            for counts, name, member in reads:
                if member:
                    said = record.get(name)
                    if isinstance(said, str):  # the Messaging value model: an enum by its XSD name
                        counts[said] = counts.get(said, 0) + 1
                    continue
                found = getattr(record, name)
                if isinstance(found, enum.Enum):
                    name = found._name_
                    counts[name] = counts.get(name, 0) + 1


class Metrics:
    """What the fake counts as requests are answered; ``render`` writes it with the store's figures."""

    def __init__(self) -> None:
        self._tallies: dict[tuple[str, str, str], Tally] = {}  # by service, surface, operation

    def tally(self, service: str, surface: str, operation: str) -> Tally:
        """The counts of one (service, surface, operation): a caller may keep it and ``add`` to it."""
        tally = self._tallies.get((service, surface, operation))
        if tally is None:
            tally = self._tallies[service, surface, operation] = Tally()
        return tally

    def answered(self, service: str, surface: str, operation: str, value: object, status: int, seconds: float) -> None:
        """A request an operation answered (``value``: its Result's value; None for a fault)."""
        self.tally(service, surface, operation).add(value, status, seconds)

    def refused(self, service: str, surface: str, status: int, seconds: float) -> None:
        """A request refused before any operation ran (a 4xx, a fault for a bad envelope, metadata)."""
        self.answered(service, surface, "none", None, status, seconds)

    def render(self, service: Service) -> str:
        return "\n".join(self._lines(service)) + "\n"

    def _lines(self, service: Service) -> Iterator[str]:
        yield from _family("fake_cdyne_info", "gauge", "The fake's version", [((("version", __version__),), 1)])
        tallies = sorted(self._tallies.items())
        requests = sorted(
            ((("service", s), ("surface", f), ("operation", o), ("status", str(c))), n)
            for (s, f, o), tally in tallies
            for c, n in tally.statuses.items()
        )
        yield from _family("fake_cdyne_requests_total", "counter", "Requests answered, by status", requests)
        for family, label, _, _, help_ in ANSWER_LABELS:
            answers: Counter[tuple[str, str, str]] = Counter()  # over the surfaces
            for (s, _, o), tally in tallies:
                for said, n in tally.said[label].items():
                    answers[s, o, said] += n
            counted = [
                ((("service", s), ("operation", o), (label, said)), n) for (s, o, said), n in sorted(answers.items())
            ]
            yield from _family(family, "counter", help_, counted)
        yield "# HELP fake_cdyne_request_duration_seconds Time from a request to its answer"
        yield "# TYPE fake_cdyne_request_duration_seconds histogram"
        for (s, f, o), tally in tallies:
            labels: Labels = (("service", s), ("surface", f), ("operation", o))
            cumulative = 0
            for bound, count in zip((*map(repr, BUCKETS), "+Inf"), tally.buckets, strict=True):
                cumulative += count
                yield _sample("fake_cdyne_request_duration_seconds_bucket", (*labels, ("le", bound)), cumulative)
            yield _sample("fake_cdyne_request_duration_seconds_sum", labels, round(tally.total, 6))
            yield _sample("fake_cdyne_request_duration_seconds_count", labels, tally.count)
        journal = service.postbacks.journal
        postbacks = [
            ((("kind", kind), ("state", state.value)), n)
            for (kind, state), n in sorted(journal.counts().items(), key=str)
        ]
        yield from _family("fake_cdyne_postbacks", "gauge", "Postbacks in the journal, by kind and state", postbacks)
        attempts = [((), journal.attempts(None))]
        yield from _family("fake_cdyne_postback_attempts", "gauge", "Delivery attempts in the journal", attempts)
        messages, texts, refused = service.store.size
        stored = [((("kind", "messages"),), messages), ((("kind", "texts"),), texts), ((("kind", "refused"),), refused)]
        yield from _family("fake_cdyne_store_records", "gauge", "Records the store holds, by kind", stored)
        accounts = [((), len(service.store.accounts))]
        yield from _family("fake_cdyne_store_accounts", "gauge", "Accounts (license keys) the store holds", accounts)
        errors = [((), service.errors[-1].id if service.errors else 0)]
        yield from _family("fake_cdyne_errors_total", "counter", "Failures inside the fake (bugs)", errors)
        pending = [((), service.scheduler.pending)]
        yield from _family("fake_cdyne_scheduled_events", "gauge", "Events waiting on the fake's clock", pending)


def _family(name: str, kind: str, help_: str, samples: Iterable[tuple[Labels, Any]]) -> Iterator[str]:
    yield f"# HELP {name} {help_}"
    yield f"# TYPE {name} {kind}"
    for labels, value in samples:
        yield _sample(name, labels, value)
