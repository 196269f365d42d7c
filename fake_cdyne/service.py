"""One fake CDYNE account system: clock, store, life cycle and operations wired together.

Everything lives on this object (and the app that serves it), never in module globals, so several
fakes with different settings can run in one process. ``Service.config`` is the settings in effect
(``settings_in_effect``): the one object every part reads, and what ``FakeServer.config`` and
``GET /_fake/settings`` report.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .carrier import carrier_for
from .clock import ManualClock, Scheduler, SystemClock
from .config import Config
from .events import EventHub
from .lifecycle import Lifecycle, LifeEvent
from .messaging.delivery import MessagingPostbacks
from .messaging.operations import MessagingOperations
from .metrics import Metrics
from .operations import Operations
from .persist.snapshots import Snapshots
from .persist.sqlite import SqliteStore
from .postbacks import POSTED_EVENTS, Dispatcher, StopReport
from .scenario_files import load_scenarios
from .scenario_model import AccountSpec, Scenario, ScenarioSource
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
    id: int = 0  # counts from 1: the newest error_log_size are kept


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
        self.errors: collections.deque[ErrorRecord] = collections.deque(maxlen=config.error_log_size or None)
        self._error_ids = itertools.count(1)
        self.scheduler = Scheduler(self.clock, on_error=self._record_event_error)
        dids = [normalise_phone(did) or did for did in config.extra_dids]
        self.store: Store = Store(
            extra_dids=dids,
            accept_unknown_keys=config.accept_unknown_keys,
            retain_messages=config.retain_messages,
            retain_seconds=config.retain_seconds,
        )
        carrier = carrier_for(scenarios)
        self.lifecycle = Lifecycle(self.store, self.scheduler, send_delay=config.send_delay, carrier=carrier)
        self.scenarios = ScenarioEngine(scenarios)
        self.operations = Operations(
            self.store, self.clock, self.scenarios, max_message_length=config.max_message_length
        )
        self.events = EventHub(on_watched=self._watch_life)
        self.traffic = Traffic(config.request_log_size)
        self.metrics = Metrics()
        self.on_reset: list[Callable[[uuid.UUID | None], None]] = []  # indexes kept elsewhere (the inbox's)
        self.postbacks: Dispatcher = Dispatcher(
            config, self.scheduler, self.record_error, on_change=self.events.publish
        )
        self.store.letting_go.append(self.postbacks.journal.forget_record)
        self.lifecycle.listen(self.postbacks.on_life_event, POSTED_EVENTS)
        self.lifecycle.listen(MessagingPostbacks(self).on_life_event, POSTED_EVENTS)
        self._declare(account for scenario in scenarios for account in scenario.accounts)
        self.installed: dict[uuid.UUID, ScenarioSource] = {}  # the scenarios installed at runtime, as given
        self.snapshots = Snapshots()
        self.persistence = SqliteStore.open(config.store, self) if config.store else None
        self.messaging = MessagingOperations(self)  # last: its parts may read any of the above

    def _watch_life(self, watched: bool) -> None:
        """Open pages hear of every life event; while none is open, none is made for them."""
        (self.lifecycle.listen if watched else self.lifecycle.unlisten)(self._publish_life)

    def _publish_life(self, event: LifeEvent) -> None:
        self.events.publish(event.kind, event.account.license_key)

    async def start(self) -> None:
        """On the event loop, before the first request: a store's scheduled work is armed again."""
        await self.postbacks.start()
        if self.persistence is not None:
            self.persistence.resume()

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

    def install_scenario(self, license_key: uuid.UUID, scenario: Scenario, given: ScenarioSource | None = None) -> None:
        """Rules and account settings for one license key, ahead of the files' rules; ``given``, the
        scenario as it was given, is kept (snapshots, the store) to install it again."""
        self.scenarios.install(license_key, scenario)
        if given is not None:
            self.installed[license_key] = given
            self.store.changed(given)
        self._declare(scenario.accounts)

    def remove_scenario(self, license_key: uuid.UUID) -> bool:
        given = self.installed.pop(license_key, None)
        if given is not None and self.store.recorder is not None:
            self.store.recorder.removed(given)
        return self.scenarios.remove(license_key)

    def reset(self, license_key: uuid.UUID | None = None) -> None:
        """Forget state (all, or one key's, with its runtime scenario); the files' accounts stay declared.
        What was scheduled for the key (sends, receipts, replies, postback retries) is cancelled."""
        self.scheduler.cancel(license_key)
        self.store.reset(license_key)
        if self.lifecycle.carrier is not None:
            self.lifecycle.carrier.forget(license_key)
        self.postbacks.reset(license_key)
        self.scenarios.forget(license_key)
        if license_key is None:
            self.installed.clear()
        else:
            self.installed.pop(license_key, None)
        self.traffic.forget(license_key)
        for forget in self.on_reset:
            forget(license_key)
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
        report = await self.postbacks.stop(self.config.postback_drain_seconds)
        if self.persistence is not None:
            self.persistence.close()  # after the postbacks: their last states are written
        return report

    def _record_event_error(self, error: BaseException) -> None:
        self.record_error("scheduled event", error)

    def record_error(self, where: str, error: BaseException) -> ErrorRecord:
        record = ErrorRecord(
            at=datetime.now(UTC),
            where=where,
            error=f"{type(error).__name__}: {error}",
            traceback="".join(traceback.format_exception(error)),
            id=next(self._error_ids),
        )
        self.errors.append(record)
        return record
