"""One fake CDYNE account system: clock, store, life cycle and operations wired together.

Everything lives on this object (and the app that serves it), never in module globals, so several
fakes with different settings can run in one process. ``Service.config`` is the settings in effect
(``settings_in_effect``): the one object every part reads, and what ``FakeServer.config`` and
``GET /_fake/settings`` report.
"""

from __future__ import annotations

import dataclasses
import traceback
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .carrier import carrier_for
from .clock import ManualClock, Scheduler, SystemClock
from .config import Config
from .events import EventHub
from .lifecycle import Lifecycle
from .messaging.operations import MessagingOperations
from .operations import Operations
from .postbacks import Dispatcher, StopReport
from .scenario_files import load_scenarios
from .scenario_model import AccountSpec, Scenario
from .scenarios import ScenarioEngine
from .store import Store
from .traffic import Traffic
from .values import normalise_phone


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """A failure inside the fake itself (a bug), kept so tests can see and report it."""

    at: datetime
    where: str
    error: str
    traceback: str = field(repr=False)


def settings_in_effect(config: Config, scenarios: Iterable[Scenario]) -> Config:
    """The settings asked for, with each scenario file's ``defaults`` and ``accept_unknown_keys``
    applied over them in order (a later file wins)."""
    for scenario in scenarios:
        overrides = dict(scenario.defaults)
        if scenario.accept_unknown_keys is not None:
            overrides["accept_unknown_keys"] = scenario.accept_unknown_keys
        config = dataclasses.replace(config, **overrides)  # type: ignore[arg-type]
    return config


class Service:
    def __init__(self, config: Config, clock: SystemClock | ManualClock | None = None) -> None:
        scenarios = load_scenarios(config.scenarios)
        self.config = config = settings_in_effect(config, scenarios)
        self.clock = clock or (ManualClock() if config.manual_clock else SystemClock())
        self.errors: list[ErrorRecord] = []
        self.scheduler = Scheduler(self.clock, on_error=self._record_event_error)
        dids = [normalise_phone(did) or did for did in config.extra_dids]
        self.store = Store(extra_dids=dids, accept_unknown_keys=config.accept_unknown_keys)
        carrier = carrier_for(scenarios)
        self.lifecycle = Lifecycle(self.store, self.scheduler, send_delay=config.send_delay, carrier=carrier)
        self.scenarios = ScenarioEngine(scenarios)
        self.operations = Operations(
            self.store, self.clock, self.scenarios, max_message_length=config.max_message_length
        )
        self.events = EventHub()
        self.traffic = Traffic(config.request_log_size)
        self.postbacks = Dispatcher(config, self.scheduler, self.record_error, on_change=self.events.publish)
        self.lifecycle.listeners.append(self.postbacks.on_life_event)
        self.lifecycle.listeners.append(lambda event: self.events.publish(event.kind, event.account.license_key))
        self._declare(account for scenario in scenarios for account in scenario.accounts)
        self.messaging = MessagingOperations(self)  # last: its parts may read any of the above

    def _declare(self, accounts: Iterable[AccountSpec]) -> None:
        for spec in accounts:
            self.store.declare(
                spec.license_key,
                dids=list(spec.dids) or None,
                suspended=spec.suspended,
                blocked=spec.blocked,
                postback_url=spec.postback_url,
                short_codes=list(spec.short_codes) if spec.short_codes is not None else None,
            )

    def install_scenario(self, license_key: uuid.UUID, scenario: Scenario) -> None:
        """Rules and account settings for one license key, ahead of the files' rules."""
        self.scenarios.install(license_key, scenario)
        self._declare(scenario.accounts)

    def reset(self, license_key: uuid.UUID | None = None) -> None:
        """Forget state (all, or one key's, with its runtime scenario); the files' accounts stay declared.
        What was scheduled for the key (sends, receipts, replies, postback retries) is cancelled."""
        self.scheduler.cancel(license_key)
        self.store.reset(license_key)
        if self.lifecycle.carrier is not None:
            self.lifecycle.carrier.forget(license_key)
        self.postbacks.reset(license_key)
        self.scenarios.forget(license_key)
        self.traffic.forget(license_key)
        self.events.publish("reset", license_key)
        self._declare(
            account
            for scenario in self.scenarios.scenarios
            for account in scenario.accounts
            if license_key is None or account.license_key == license_key
        )

    def begin_stop(self) -> None:
        """The server is stopping: end event streams and long-polls now, so they do not hold it up."""
        self.events.close()
        self.postbacks.begin_stop()

    async def stop(self) -> StopReport:
        """Stop the clock's timers and drain the postbacks within ``postback_drain_seconds``."""
        self.begin_stop()
        self.scheduler.close()
        return await self.postbacks.stop(self.config.postback_drain_seconds)

    def _record_event_error(self, error: BaseException) -> None:
        self.record_error("scheduled event", error)

    def record_error(self, where: str, error: BaseException) -> ErrorRecord:
        record = ErrorRecord(
            at=datetime.now(UTC),
            where=where,
            error=f"{type(error).__name__}: {error}",
            traceback="".join(traceback.format_exception(error)),
        )
        self.errors.append(record)
        return record
