"""``--store PATH``: the state in an SQLite database (WAL), written behind the event loop's back.

The store and the journal tell a ``SqliteStore`` of each record that changed (``Store.recorder``); it
only puts the record on a queue. A writer thread takes what has queued every ``WINDOW`` seconds,
writes each record once however often it changed (encoded field by field, as export does), and commits
the batch in one transaction, with the time on the fake's clock when it took the batch (``as_of``).
A ``kill -9`` loses at most the last batch. On start the rows are read back as a state document
(``state.read``), and ``resume`` applies it on the event loop: whatever was due by ``as_of`` had
happened; what was due later (a scenario's replies and receipts) and every scheduled, queued or
unfinished thing is armed again. Snapshots are kept in a table of their own.

Whatever the fake lets go is let go here too: a record removed (a message, text or refused send that
retention let go, a media file removed) deletes its row, by its key, or for a kind kept without keys
(refused sends) the oldest row of its license key (retention lets them go oldest first); the postbacks
about a message or text let go go with it, and so do those the journal's own size lets go.

Tables: ``records(seq, kind, key, license_key, body)``, one row a record in the order first written;
``snapshots(name, taken_at, body)``; ``meta(name, value)`` (the format, ``as_of``, ``next_media_id``).
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from . import state
from .records import StateError
from .snapshots import Snapshot

if TYPE_CHECKING:
    from ..postbacks import Postback
    from ..service import Service

FORMAT = "fake-cdyne store 1"
WINDOW = 0.05  # seconds a batch gathers: a record changed several times in it is written once
STOP_SECONDS = 10.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, key TEXT, license_key TEXT, body TEXT NOT NULL,
    UNIQUE (kind, key));
CREATE INDEX IF NOT EXISTS records_by_key ON records (license_key);
CREATE TABLE IF NOT EXISTS snapshots (name TEXT PRIMARY KEY, taken_at TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
UPSERT = (
    "INSERT INTO records (kind, key, license_key, body) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (kind, key) DO UPDATE SET body = excluded.body"
)
OLDEST = "DELETE FROM records WHERE seq = (SELECT min(seq) FROM records WHERE kind = ? AND license_key = ?)"
_STOP = object()
Op = tuple[str, Any]  # ("changed" | "removed" | "reset" | "snapshot" | "unsnapshot", what)


class SqliteStore:
    def __init__(self, path: str, service: Service, connection: sqlite3.Connection, loaded: state.Loaded) -> None:
        self.path = path
        self.service = service
        self._db = connection
        self._loaded: state.Loaded | None = loaded
        self._queue: queue.SimpleQueue[Op | object] = queue.SimpleQueue()
        self._codec = state.codec()
        self._thread: threading.Thread | None = None
        self._on_error: Callable[[str, BaseException], object] = service.record_error
        self._named: set[str] = set()  # the classes of records that could not be written, named once

    @classmethod
    def open(cls, path: str, service: Service) -> SqliteStore:
        """Open (or create) the database and read its state; a ConfigError names what is wrong."""
        try:
            connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")  # WAL: a committed batch survives the process
            connection.executescript(SCHEMA)
            meta = dict(connection.execute("SELECT name, value FROM meta").fetchall())
            if meta.setdefault("format", FORMAT) != FORMAT:
                raise ConfigError(f"store {path}: written by another version ({meta['format']!r}, not {FORMAT!r})")
            connection.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))
            loaded = state.read(_document(connection, meta), lenient=True)
            for name, taken_at, body in connection.execute("SELECT name, taken_at, body FROM snapshots"):
                service.snapshots.add(Snapshot(name, taken_at, body, _counts(body)))
        except sqlite3.Error as error:
            raise ConfigError(f"store {path}: {error}") from None
        except StateError as error:
            raise ConfigError(f"store {path}: a record cannot be read: {error}") from None
        store = cls(path, service, connection, loaded)
        service.snapshots.keep = lambda snapshot: store._queue.put(("snapshot", snapshot))
        service.snapshots.drop = lambda name: store._queue.put(("unsnapshot", name))
        return store

    def resume(self) -> None:
        """On the event loop, at start: apply what was read, then write every change from here on."""
        loaded, self._loaded = self._loaded, None
        if loaded is not None:
            state.apply(self.service, loaded)
        self.service.store.recorder = self
        self.service.store.letting_go.insert(0, self._letting_go)  # before the journal forgets them
        self.service.postbacks.journal.on_change = self._postback_changed
        self.service.postbacks.journal.on_drop = self.removed
        self._thread = threading.Thread(target=self._write, name="fake-cdyne store", daemon=True)
        self._thread.start()

    # ---- the recorder (on the event loop: a queue put each) --------------------------------------

    def changed(self, record: object) -> None:
        self._queue.put(("changed", record))

    def removed(self, record: object) -> None:
        self._queue.put(("removed", record))

    def reset(self, license_key: uuid.UUID | None) -> None:
        self._queue.put(("reset", license_key))

    def _postback_changed(self, postback: Postback) -> None:
        """A postback changed; one the journal let go (its message with it) is not written back."""
        if self.service.postbacks.journal.holds(postback):
            self.changed(postback)

    def _letting_go(self, record_id: uuid.UUID) -> None:
        """The store lets a message or text go: the journal will forget its postbacks, and so do we."""
        journal = self.service.postbacks.journal
        for postback in journal.for_record(record_id):
            if journal.holds(postback):
                self.removed(postback)

    def close(self) -> None:
        """Write what is queued and close the database."""
        self.service.store.recorder = None
        if self._letting_go in self.service.store.letting_go:
            self.service.store.letting_go.remove(self._letting_go)
        self.service.postbacks.journal.on_change = None
        self.service.postbacks.journal.on_drop = None
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(STOP_SECONDS)
        self._db.close()

    # ---- the writer thread -----------------------------------------------------------------------

    def _write(self) -> None:
        stopping = threading.Event()
        while not stopping.is_set():
            first = self._queue.get()
            if first is _STOP:
                break
            stopping.wait(WINDOW)  # let the batch gather
            as_of = self.service.clock.now()  # before draining: what ran by then has been queued
            ops: list[Any] = [first]
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping.set()
                    break
                ops.append(item)
            try:
                self._commit(ops, as_of)
            except Exception as error:  # the disk, or a bug: visible in /_fake/errors; the fake goes on
                self._on_error(f"store {self.path}", error)

    def _commit(self, ops: list[Op], as_of: datetime) -> None:
        db = self._db
        db.execute("BEGIN")
        try:
            pending: dict[int, object] = {}  # changed records, each once, in the order first changed
            for op, what in ops:
                if op == "changed":
                    pending.setdefault(id(what), what)
                    continue
                self._flush(pending)
                if op == "removed":
                    kind, key, license_key = state.key_of(what)
                    if key is not None:
                        db.execute("DELETE FROM records WHERE kind = ? AND key = ?", (kind, key))
                    else:  # kept in order, let go oldest first: the key's oldest row of the kind
                        db.execute(OLDEST, (kind, str(license_key)))
                elif op == "reset":
                    if what is None:
                        db.execute("DELETE FROM records")
                    else:
                        db.execute("DELETE FROM records WHERE license_key = ?", (str(what),))
                elif op == "snapshot":
                    row = (what.name, what.taken_at, what.text)
                    db.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?)", row)
                elif op == "unsnapshot":
                    db.execute("DELETE FROM snapshots WHERE name = ?", (what,))
            self._flush(pending)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('as_of', ?)", (as_of.isoformat(),))
            next_media_id = str(self.service.store.media.next_id)  # after the batch was taken: above its media
            db.execute("INSERT OR REPLACE INTO meta VALUES ('next_media_id', ?)", (next_media_id,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _flush(self, pending: dict[int, object]) -> None:
        rows = []
        for record in pending.values():
            try:
                kind, key, license_key = state.key_of(record)
                body = json.dumps(state.encode(self._codec, record), separators=(",", ":"))
            except (KeyError, TypeError) as error:  # a record of no kind in state.KINDS, or a value no codec writes
                self._unwritable(record, error)
                continue
            rows.append((kind, key, str(license_key) if license_key else None, body))
        self._db.executemany(UPSERT, rows)
        pending.clear()

    def _unwritable(self, record: object, error: Exception) -> None:
        """Named once per class in /_fake/errors (a kind or codec missing is a bug); the others are written."""
        name = type(record).__name__
        if name not in self._named:
            self._named.add(name)
            where = f"store {self.path}: cannot write a {name} (no kind in persist/state.py KINDS, or no codec)"
            self._on_error(where, error)


def _document(connection: sqlite3.Connection, meta: dict[str, str]) -> dict[str, Any]:
    """The rows as a state document (in the order they were first written)."""
    moment = meta.get("as_of") or datetime.now(UTC).isoformat()
    document: dict[str, Any] = {
        "format": state.FORMAT,
        "version": state.VERSION,
        "taken_at": moment,
        "clock": {"now": moment},
    }
    if "next_media_id" in meta:
        try:
            document["next_media_id"] = int(meta["next_media_id"])
        except ValueError:
            raise StateError("meta.next_media_id", f"not a whole number: {meta['next_media_id']!r}") from None
    for kind in state.KINDS:
        document[kind.name] = []
    for seq, kind, body in connection.execute("SELECT seq, kind, body FROM records ORDER BY seq"):
        if kind not in document or not isinstance(document[kind], list):
            raise StateError(f"row {seq}", f"a record of no known kind {kind!r}")
        try:
            document[kind].append(json.loads(body))
        except ValueError as error:
            raise StateError(f"row {seq}", f"not JSON: {error}") from None
    return document


def _counts(body: str) -> dict[str, int]:
    try:
        document = json.loads(body)
    except ValueError:
        return {}
    return {key: len(value) for key, value in document.items() if isinstance(value, list)}
