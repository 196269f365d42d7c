"""One fake CDYNE account system: clock, store, life cycle and operations wired together.

Everything lives on this object (and the app that serves it), never in module globals, so several
fakes with different settings can run in one process.
"""

from __future__ import annotations

import traceback
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .clock import ManualClock, Scheduler, SystemClock
from .config import Config
from .lifecycle import Lifecycle
from .operations import Operations
from .postbacks import Dispatcher
from .store import Store
from .values import normalise_phone


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """A failure inside the fake itself (a bug), kept so tests can see and report it."""

    at: datetime
    where: str
    error: str
    traceback: str = field(repr=False)


class Service:
    def __init__(self, config: Config, clock: SystemClock | ManualClock | None = None) -> None:
        self.config = config
        self.clock = clock or (ManualClock() if config.manual_clock else SystemClock())
        self.errors: list[ErrorRecord] = []
        self.scheduler = Scheduler(self.clock, on_error=self._record_event_error)
        dids = [normalise_phone(did) or did for did in config.extra_dids]
        self.store = Store(extra_dids=dids, accept_unknown_keys=config.accept_unknown_keys)
        self.lifecycle = Lifecycle(self.store, self.scheduler, send_delay=config.send_delay)
        self.operations = Operations(self.store, self.clock, max_message_length=config.max_message_length)
        self.postbacks = Dispatcher(config, self.scheduler, self.record_error)
        self.lifecycle.listeners.append(self.postbacks.on_life_event)

    def reset(self, license_key: uuid.UUID | None = None) -> None:
        self.store.reset(license_key)
        self.postbacks.reset(license_key)

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
