"""Running scenarios: which outcome a request gets.

Rules installed for a license key at runtime come first, then the rules of the files the fake started
with, each list in order; the first rule that matches and still has an outcome to give wins. With
``strict``, a request no rule matches is recorded as a surprise, which the pytest plugin turns into
a failure of the test that made it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime

from .scenario_model import Match, Outcome, Rule, Scenario


@dataclass(frozen=True, slots=True)
class Facts:
    """What a rule can match on, for one request (one recipient, for sends)."""

    operation: str  # lower case
    license_key: uuid.UUID
    phone: str | None = None
    message: str | None = None
    reference_id: str | None = None
    assigned_did: str | None = None
    postback_url: str | None = None

    def describe(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)[2:] if getattr(self, f.name) is not None
        )
        return f"{self.operation} for {self.license_key}" + (f" ({shown})" if shown else "")


@dataclass(frozen=True, slots=True)
class Surprise:
    at: datetime
    license_key: uuid.UUID
    request: str


def matches(match: Match, facts: Facts) -> bool:
    if match.operations is not None and facts.operation not in match.operations:
        return False
    if match.license_key is not None and match.license_key != facts.license_key:
        return False
    return all(test(getattr(facts, name)) for name, test in match.fields)


class ScenarioEngine:
    def __init__(self, scenarios: list[Scenario]) -> None:
        self.scenarios = scenarios
        self._rules: list[Rule] = [rule for scenario in scenarios for rule in scenario.rules]
        self._strict = any(scenario.strict for scenario in scenarios)
        self.per_key: dict[uuid.UUID, Scenario] = {}
        self.surprises: list[Surprise] = []

    def install(self, license_key: uuid.UUID, scenario: Scenario) -> None:
        self.per_key[license_key] = scenario

    def remove(self, license_key: uuid.UUID) -> bool:
        return self.per_key.pop(license_key, None) is not None

    def idle_for(self, license_key: uuid.UUID) -> bool:
        """True when no rule could apply to the key: callers then skip describing the request."""
        return not self._rules and (not self.per_key or license_key not in self.per_key)  # no key hashed for none

    def decide(self, facts: Facts, now: datetime) -> Outcome | None:
        own = self.per_key.get(facts.license_key)
        for rule in [*(own.rules if own else []), *self._rules]:
            if matches(rule.match, facts):
                outcome = rule.take()
                if outcome is not None:
                    return outcome
        if self._strict or (own is not None and own.strict):
            self.surprises.append(Surprise(now, facts.license_key, facts.describe()))
        return None

    def surprises_for(self, license_key: uuid.UUID | None) -> list[Surprise]:
        return [s for s in self.surprises if license_key is None or s.license_key == license_key]

    def forget(self, license_key: uuid.UUID | None) -> None:
        if license_key is None:
            self.per_key.clear()
            self.surprises.clear()
        else:
            self.per_key.pop(license_key, None)
            self.surprises = [s for s in self.surprises if s.license_key != license_key]
