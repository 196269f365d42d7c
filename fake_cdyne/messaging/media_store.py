"""The media files of each license key (Messaging ops 21-25, MMS attachments): the store's ``media``.

A ``MediaItem`` is one file: a MediaId (a long, increasing from ``FIRST_MEDIA_ID`` in each fake), its
name, MIME type, date, tags, and its bytes, or none for a URL recorded without being fetched (its size
is then 0). A MediaId is never given twice (a full reset starts them again): the next one (``next_id``)
is kept with the state, in snapshots, exports and ``--store``. The same bytes kept under several
MediaIds (one picture sent in many messages, uploaded again and again) are held once: items share one
``bytes`` object, counted, dropped with the last item.

It imports nothing of the store, so ``Store`` can hold one (``store.media``, reset with it).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

FIRST_MEDIA_ID = 10_000_001  # a doc sample; the docs' others are 17772 and 12345678


@dataclass(slots=True, eq=False)
class MediaItem:
    media_id: int
    license_key: uuid.UUID
    file_name: str
    mime_type: str
    file_date: datetime  # UTC, aware, at SQL Server's resolution
    tags: tuple[str, ...] = ()
    content: bytes | None = None  # None: recorded from a URL, not fetched
    url: str | None = None  # where it came from, if from a URL
    # The content's sha256, its key among the shared: set again when stored (snapshots leave it out).
    digest: bytes | None = field(default=None, repr=False, metadata={"persist": False})

    @property
    def size(self) -> int:
        return len(self.content) if self.content is not None else 0


class MediaStore:
    """Media by license key and MediaId. Items are read-only outside; every change is a method here."""

    def __init__(
        self, changed: Callable[[object], None] | None = None, removed: Callable[[object], None] | None = None
    ) -> None:
        self._changed, self._removed = changed, removed  # the store's recorder, told of each change
        self._by_key: dict[uuid.UUID, dict[int, MediaItem]] = {}
        self._blobs: dict[bytes, tuple[bytes, int]] = {}  # sha256 -> (the bytes, how many items hold them)
        self._next_id = FIRST_MEDIA_ID

    # ---- reading ---------------------------------------------------------------------------------

    def get(self, license_key: uuid.UUID, media_id: int) -> MediaItem | None:
        """The key's media with that id (another key's is None)."""
        found = self._by_key.get(license_key)
        return found.get(media_id) if found is not None else None

    def find(self, media_id: int) -> MediaItem | None:
        """Any key's media with that id (the control API's download)."""
        for items in self._by_key.values():
            if media_id in items:
                return items[media_id]
        return None

    def of(self, license_key: uuid.UUID) -> Sequence[MediaItem]:
        """The key's media, oldest (lowest MediaId) first."""
        found = self._by_key.get(license_key)
        return list(found.values()) if found is not None else []

    def items(self) -> list[MediaItem]:
        """Every key's media."""
        return [item for items in self._by_key.values() for item in items.values()]

    @property
    def next_id(self) -> int:
        """The MediaId the next file gets (every one below it was given, some perhaps removed since)."""
        return self._next_id

    @property
    def bytes_held(self) -> int:
        """The bytes the store holds (each distinct content once)."""
        return sum(len(blob) for blob, _ in self._blobs.values())

    # ---- changes ---------------------------------------------------------------------------------

    def add(
        self,
        license_key: uuid.UUID,
        file_name: str,
        mime_type: str,
        file_date: datetime,
        *,
        content: bytes | None = None,
        tags: Sequence[str] = (),
        url: str | None = None,
    ) -> MediaItem:
        item = MediaItem(self._next_id, license_key, file_name, mime_type, file_date, tuple(tags), None, url)
        self._next_id += 1
        self._by_key.setdefault(license_key, {})[item.media_id] = item
        if content is not None:
            self.fill(item, content, mime_type)
        elif self._changed is not None:
            self._changed(item)
        return item

    def fill(self, item: MediaItem, content: bytes, mime_type: str) -> bool:
        """Give a stored item its bytes (a URL fetched after the answer); False if it is gone."""
        if self.get(item.license_key, item.media_id) is not item:
            return False
        self._release(item)
        digest = hashlib.sha256(content).digest()
        blob, holders = self._blobs.get(digest, (content, 0))
        self._blobs[digest] = (blob, holders + 1)
        item.content, item.digest = blob, digest
        item.mime_type = mime_type
        if self._changed is not None:
            self._changed(item)
        return True

    def remove(self, license_key: uuid.UUID, media_id: int) -> bool:
        items = self._by_key.get(license_key)
        item = items.pop(media_id, None) if items is not None else None
        if item is None:
            return False
        self._release(item)
        if self._removed is not None:
            self._removed(item)
        return True

    def discard(self, item: MediaItem) -> bool:
        """Remove this very item (not another that took its MediaId after a reset)."""
        return self.get(item.license_key, item.media_id) is item and self.remove(item.license_key, item.media_id)

    def reset(self, license_key: uuid.UUID | None = None) -> None:
        """Forget every key's media (and start the MediaIds again), or one key's."""
        if license_key is None:
            self._by_key.clear()
            self._blobs.clear()
            self._next_id = FIRST_MEDIA_ID
            return
        for item in self._by_key.pop(license_key, {}).values():
            self._release(item)

    def restore(self, items: Iterable[MediaItem], next_id: int | None = None) -> None:
        """Hold media kept from before (a snapshot's, a store's), with their MediaIds; the next id follows
        them, and ``next_id`` (the one kept with them) if it is higher: ids removed before are not given again."""
        changed, self._changed = self._changed, None
        try:
            for item in items:
                content, item.content = item.content, None
                self._by_key.setdefault(item.license_key, {})[item.media_id] = item
                if content is not None:
                    self.fill(item, content, item.mime_type)
                self._next_id = max(self._next_id, item.media_id + 1)
        finally:
            self._changed = changed
        self._next_id = max(self._next_id, next_id or 0)

    def _release(self, item: MediaItem) -> None:
        digest = item.digest
        if digest is None:
            return
        blob, holders = self._blobs.get(digest, (b"", 1))
        if holders <= 1:
            self._blobs.pop(digest, None)
        else:
            self._blobs[digest] = (blob, holders - 1)
        item.content = item.digest = None
