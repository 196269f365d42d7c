"""What stopping left: the ``StopReport`` naming every undelivered postback once."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .journal import FINISHED, Postback, State

# At stop, up to this many undelivered postbacks are named in the log; more are written to a file.
NAMED_IN_LOG = 20


@dataclass(frozen=True, slots=True)
class StopReport:
    """What stopping left: counts of finished postbacks, and each undelivered one exactly once."""

    delivered: int
    failed: int
    dropped: int
    undelivered: tuple[Postback, ...]
    listed_in: str | None = None  # the file naming every undelivered postback, when there were many

    @classmethod
    def of(cls, postbacks: Iterable[Postback]) -> StopReport:
        states: Counter[State] = Counter()
        undelivered = []
        for postback in postbacks:
            states[postback.state] += 1
            if postback.state not in FINISHED:
                undelivered.append(postback)
        return cls(states[State.DELIVERED], states[State.FAILED], states[State.DROPPED], tuple(undelivered))

    @property
    def summary(self) -> str:
        finished = f"{self.delivered} delivered, {self.failed} failed, {self.dropped} dropped"
        if not self.undelivered:
            return f"fake-cdyne stopped with every postback finished: {finished}"
        left = Counter(postback.state for postback in self.undelivered)
        waiting = (
            f"{left[State.PENDING]} pending, {left[State.SENDING]} interrupted in flight, "
            f"{left[State.RETRYING]} retrying, {left[State.HELD]} held"
        )
        where = f"; every one is listed in {self.listed_in}" if self.listed_in else ":"
        return f"fake-cdyne stopped with {len(self.undelivered)} postback(s) undelivered ({waiting}); {finished}{where}"

    def named(self) -> list[str]:
        """One line per undelivered postback, for the log (none when they are listed in a file)."""
        if self.listed_in:
            return []
        return [f"  #{p.id} {p.kind} to {p.url} ({p.state.value})" for p in self.undelivered]

    def write_list(self) -> StopReport:
        """The same report, its undelivered postbacks written as JSON lines to a new temporary file."""
        with tempfile.NamedTemporaryFile(
            "w", prefix="fake-cdyne-undelivered-", suffix=".jsonl", delete=False, encoding="utf-8"
        ) as out:
            for postback in self.undelivered:
                out.write(json.dumps(_listed(postback)) + "\n")
        return StopReport(self.delivered, self.failed, self.dropped, self.undelivered, out.name)


def _listed(postback: Postback) -> dict[str, object]:
    return {
        "id": postback.id,
        "kind": postback.kind,
        "license_key": str(postback.license_key),
        "message_id": str(postback.message_id),
        "url": postback.url,
        "state": postback.state.value,
        "created_at": postback.created_at.isoformat(),
        "attempts": [
            {"number": a.number, "at": a.at.isoformat(), "status": a.status, "error": a.error}
            for a in postback.attempts
        ],
    }
