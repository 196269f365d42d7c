"""Named snapshots of the whole state (``POST /_fake/snapshots/NAME``), each the export document as text.

Kept in memory, and with ``--store`` in its database too (``keep`` and ``drop`` are the store's), so
they survive a restart. At most ``MAX_SNAPSHOTS``: past that, taking one more names the limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import FakeCdyneError

MAX_SNAPSHOTS = 100


@dataclass(frozen=True, slots=True)
class Snapshot:
    name: str
    taken_at: str
    text: str  # the state document, as JSON
    counts: dict[str, int]

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "taken_at": self.taken_at, "bytes": len(self.text), "records": self.counts}


class TooManySnapshots(FakeCdyneError):
    """Taking one more snapshot would pass ``MAX_SNAPSHOTS`` (the control API answers 409)."""


class Snapshots:
    def __init__(self) -> None:
        self._taken: dict[str, Snapshot] = {}
        self.keep: Callable[[Snapshot], None] | None = None
        self.drop: Callable[[str], None] | None = None

    def take(self, name: str, document: dict[str, Any]) -> Snapshot:
        """Keep the document under ``name``, replacing one of that name."""
        if name not in self._taken and len(self._taken) >= MAX_SNAPSHOTS:
            raise TooManySnapshots(f"there are {MAX_SNAPSHOTS} snapshots (MAX_SNAPSHOTS); delete one first")
        counts = {key: len(value) for key, value in document.items() if isinstance(value, list)}
        snapshot = Snapshot(name, document["taken_at"], json.dumps(document, separators=(",", ":")), counts)
        self.add(snapshot)
        if self.keep is not None:
            self.keep(snapshot)
        return snapshot

    def add(self, snapshot: Snapshot) -> None:
        self._taken.pop(snapshot.name, None)
        self._taken[snapshot.name] = snapshot

    def get(self, name: str) -> Snapshot | None:
        return self._taken.get(name)

    def delete(self, name: str) -> bool:
        found = self._taken.pop(name, None) is not None
        if found and self.drop is not None:
            self.drop(name)
        return found

    def all(self) -> list[Snapshot]:
        return list(self._taken.values())
