"""The fake's whole state as one JSON document: what export, import, snapshots and the store share.

``capture`` writes the document; ``read`` checks one (a ``StateError`` names the path and key of the
first problem) and ``apply`` makes it the fake's state, replacing what was there, and re-arms what was
scheduled: scheduled and queued messages, the receipts and replies of their scenario lives still due,
and unfinished postbacks. The document::

    {"format": "fake-cdyne state", "version": 1, "taken_at": "...", "clock": {"now": "...", "manual": false},
     "next_media_id": 10000001, "accounts": [...], "incoming": [...], "messages": [...], "refused": [...],
     "postbacks": [...], "scenarios": [...]}

``next_media_id`` (optional: without it, the one after the highest kept) is the MediaId the next media
file gets, so that one removed before is not given again. Each list holds one kind of record, field by
field (``records``). **Registration points**, the only places to touch when the state gains something:
``KINDS`` (a new kind of record: its class, its key, where ``capture`` finds them) with its line in
``apply`` (where its records go back), and ``NAMES`` (a type an annotation names that its module
imports only for type checking); whatever changes such a record calls ``Store.changed(record)``. New
fields of these records need nothing.
Not kept (they start afresh): a rule's consumed steps, surprises, the request log, the errors, postback
chaos and the carrier's buckets.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..clock import ManualClock
from ..messaging.keywords import KeywordBook
from ..messaging.media_store import MediaItem
from ..messaging.postback_settings import SettingsBook
from ..model import IncomingMessage, Message, RefusedSend
from ..postbacks.journal import Postback
from ..scenario_files import ScenarioError, build_scenario, read_scenario
from ..scenario_model import Life, Scenario, ScenarioSource
from ..store import Account
from .records import JSON, Codec, StateError

if TYPE_CHECKING:
    from ..service import Service

FORMAT = "fake-cdyne state"
VERSION = 1
# Types annotations name that their modules import only for type checking.
NAMES: dict[str, object] = {"Life": Life, "KeywordBook": KeywordBook, "SettingsBook": SettingsBook}


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of record: the document's list ``name``, its class, how a record is keyed (None: never
    updated, kept in order), and the ``_`` fields that are state rather than an index."""

    name: str
    cls: type
    key: Callable[[Any], str] | None
    gather: Callable[[Service], Iterable[Any]]
    private: tuple[str, ...] = ()
    referenced: bool = False  # other records name these by key (Message.replies)


def _refused(service: Service) -> Iterable[RefusedSend]:
    return (one for account in service.store.accounts.values() for one in account.refused)


# In reading order: a kind others refer to comes before them.
KINDS: tuple[Kind, ...] = (
    Kind(
        "accounts",
        Account,
        lambda a: str(a.license_key),
        lambda s: s.store.accounts.values(),
        ("_blocked", "_blocked_at"),  # the opt-outs and when each phone texted STOP
    ),
    Kind("media", MediaItem, lambda m: str(m.media_id), lambda s: s.store.media.items()),
    Kind("incoming", IncomingMessage, lambda i: str(i.id), lambda s: s.store.incoming_of(None), referenced=True),
    Kind("messages", Message, lambda m: str(m.id), lambda s: s.store.messages.values()),
    Kind("refused", RefusedSend, None, _refused),
    Kind("postbacks", Postback, lambda p: str(p.id), lambda s: s.postbacks.journal.values()),
    Kind("scenarios", ScenarioSource, lambda i: str(i.license_key), lambda s: s.installed.values()),
)
BY_CLASS = {kind.cls: kind for kind in KINDS}
TOP = ("format", "version", "taken_at", "clock", "next_media_id", *(kind.name for kind in KINDS))


def codec() -> Codec:
    made = Codec(NAMES)
    for kind in KINDS:
        if kind.referenced and kind.key is not None:
            made.references[kind.cls] = (kind.key, {})
    return made


def encode(made: Codec, record: object) -> dict[str, JSON]:
    return made.encode(record, BY_CLASS[type(record)].private)


def capture(service: Service) -> dict[str, JSON]:
    made = codec()
    now = service.clock.now()
    document: dict[str, JSON] = {
        "format": FORMAT,
        "version": VERSION,
        "taken_at": now.isoformat(),
        "clock": {"now": now.isoformat(), "manual": service.clock.manual},
        "next_media_id": service.store.media.next_id,
    }
    for kind in KINDS:
        document[kind.name] = [made.encode(record, kind.private) for record in kind.gather(service)]
    return document


@dataclass(slots=True)
class Loaded:
    """A document read and checked: its records by kind, and the scenarios built again."""

    taken_at: datetime
    clock_now: datetime | None
    next_media_id: int | None = None
    records: dict[str, list[Any]] = field(default_factory=dict)
    scenarios: list[tuple[ScenarioSource, Scenario]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(records) for name, records in self.records.items()}


def read(document: object, *, lenient: bool = False) -> Loaded:
    """Check a document from top to bottom and build its records; the first problem is a StateError.
    ``lenient`` (a store's rows): a reference to a record never written is left out (``Codec.lenient``)."""
    if not isinstance(document, dict):
        raise StateError("", "the state must be a JSON object")
    for key in document:
        if key not in TOP:
            raise StateError(key, f"not a part of a state document (those are {', '.join(TOP)})")
    for key in ("format", "version", "taken_at"):
        if key not in document:
            raise StateError(key, "is required")
    if document.get("format") != FORMAT:
        raise StateError("format", f"must be {FORMAT!r}, not {document.get('format')!r}")
    if document.get("version") != VERSION:
        raise StateError("version", f"this fake-cdyne reads version {VERSION}, not {document.get('version')!r}")
    made = codec()
    made.lenient = lenient
    taken_at = made.read(datetime, document.get("taken_at"), "taken_at")
    clock = document.get("clock", {})
    if not isinstance(clock, dict) or not set(clock) <= {"now", "manual"}:
        raise StateError("clock", 'must be {"now": "<date>", "manual": true or false}')
    clock_now = made.read(datetime | None, clock.get("now"), "clock.now")
    next_media_id = made.read(int | None, document.get("next_media_id"), "next_media_id")
    if next_media_id is not None and next_media_id < 1:
        raise StateError("next_media_id", f"must be a MediaId (1 or more), not {next_media_id}")
    loaded = Loaded(taken_at, clock_now, next_media_id)
    for kind in KINDS:
        items = document.get(kind.name, [])
        if not isinstance(items, list):
            raise StateError(kind.name, f"must be an array of {kind.cls.__name__} records")
        seen: dict[str, Any] = made.references[kind.cls][1] if kind.referenced else {}
        records = loaded.records[kind.name] = []
        for i, item in enumerate(items):
            where = f"{kind.name}[{i}]"
            record = made.decode(kind.cls, item, where, kind.private)
            if kind.key is not None:
                key = kind.key(record)
                if key in seen:
                    raise StateError(where, f"a second {kind.cls.__name__} {key}")
                seen[key] = record
            records.append(record)
    _check_owners(loaded)
    for i, given in enumerate(loaded.records["scenarios"]):
        loaded.scenarios.append((given, _scenario(given, f"scenarios[{i}]")))
    return loaded


def _check_owners(loaded: Loaded) -> None:
    """Every message, text and refused send belongs to an account of the document."""
    keys = {account.license_key for account in loaded.records["accounts"]}
    for name in ("incoming", "messages", "refused"):
        for i, record in enumerate(loaded.records[name]):
            if record.license_key not in keys:
                raise StateError(f"{name}[{i}].license_key", f"names no account of the document: {record.license_key}")


def _scenario(given: ScenarioSource, where: str) -> Scenario:
    if (given.text is None) == (given.document is None):
        raise StateError(where, "needs its scenario as 'text' or as 'document', one of them")
    try:
        if given.text is not None:
            return read_scenario(given.text, given.source, for_key=given.license_key)
        return build_scenario(given.document, given.source, for_key=given.license_key)
    except ScenarioError as error:
        raise StateError(where, "the scenario is not valid: " + "; ".join(error.problems)) from None


def apply(service: Service, loaded: Loaded) -> None:
    """Make the document the fake's state: everything before is forgotten (its scheduled work with it),
    the records are held, and what was scheduled for them is armed again. A store is told of all of it."""
    service.reset()
    records = loaded.records
    for given, scenario in loaded.scenarios:  # first: the accounts they declare are the document's after
        service.install_scenario(given.license_key, scenario, given)
    service.store.restore(records["accounts"], records["messages"], records["incoming"], records["refused"])
    service.store.media.restore(records["media"], loaded.next_media_id)
    service.postbacks.journal.restore(records["postbacks"])
    if isinstance(service.clock, ManualClock) and loaded.clock_now is not None:
        service.clock.set(loaded.clock_now)
    recorder = service.store.recorder
    if recorder is not None:
        for kind in KINDS:
            for record in records[kind.name]:
                recorder.changed(record)
    rearm(service, loaded)


def rearm(service: Service, loaded: Loaded) -> None:
    """Schedule again what the records say is still to happen (``taken_at``: what was due by then happened)."""
    for message in loaded.records["messages"]:
        service.lifecycle.resume(message, loaded.taken_at)
    for postback in loaded.records["postbacks"]:
        service.postbacks.resume(postback)


def key_of(record: object) -> tuple[str, str | None, uuid.UUID | None]:
    """The kind's name, the record's key (None: a new row) and its license key (what a reset forgets)."""
    kind = BY_CLASS[type(record)]
    return kind.name, kind.key(record) if kind.key else None, getattr(record, "license_key", None)
