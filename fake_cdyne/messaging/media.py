"""Media of the Messaging API (ops 21-25: CreateMediaFromContent, CreateMediaFromUrl, GetMedia,
GetMediaInfo, RemoveMedia) and the media of MMS messages (``record``: SendMessage's Attachments,
``add_received``: the parts of an incoming MMS).

Values in and out follow the Messaging value model: requests are dicts keyed by the XSD member names,
MediaMetadata a dict with ``FileName`` (capital N, unlike the requests' ``Filename``), dates naive UTC.
The media types carry no error member, so every refusal (a bad license key, bad Base64, a file over
``max_media_bytes``, a URL not allowed) is a null MediaMetadata, a null string, ``{"Media": null}`` or
false, never an exception. The files live in ``store.media`` (``media_store``).

CreateMediaFromUrl records the URL without fetching it (no outbound internet in tests): size 0, the
MIME type from the file name. With ``media_fetch`` on it fetches (``media_fetch``): called off the
event loop it answers with the fetched file; called on the loop, which it must never block, it answers
at once with size 0 and fills the bytes in when they arrive, dropping the media if the fetch fails or
is over the limit; either way a "media" change notice follows (``GET /_fake/events``; in-process,
``settled`` waits).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import fnmatch
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ..dates import MIN_VALUE
from ..model import EMPTY_GUID
from ..operations import Result, answered
from ..scenario_model import Outcome
from ..scenarios import Facts
from . import media_fetch
from .media_store import MediaItem
from .media_types import extension, mime_type

if TYPE_CHECKING:
    from ..service import Service

MAX_LONG = 2**63 - 1
MIME_FORM = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")  # RFC 6838 names
MAX_DERIVED_NAME = 255  # a file name taken from a URL is cut to this many characters
_SPACES = str.maketrans("", "", " \t\r\n")  # .NET's Convert.FromBase64String skips white space


def _guid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else EMPTY_GUID


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _whole(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def _utc(value: object) -> datetime | None:
    """A criteria date as an aware UTC datetime; None for no bound (absent, MinValue, not a date)."""
    if not isinstance(value, datetime):
        return None
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return None if moment <= MIN_VALUE else moment


def metadata(item: MediaItem) -> dict[str, Any]:
    """The MediaMetadata of an item, members in XSD order."""
    return {
        "FileDate": item.file_date.astimezone(UTC).replace(tzinfo=None),
        "FileName": item.file_name,
        "FileSize": item.size,
        "MediaId": item.media_id,
        "MimeType": item.mime_type,
        "Tags": list(item.tags),
    }


def matcher(pattern: str) -> Callable[[str], bool]:
    """Whether a name matches ``pattern`` (``*`` any run, ``?`` one character, nothing else special),
    ignoring case. Compiled once for many names; ``fnmatch``'s translation matches each ``*`` without
    backtracking into it, so no pattern makes a match slow (a ``[`` is escaped: no character classes)."""
    compiled = re.compile(fnmatch.translate(pattern.casefold().replace("[", "[[]")))
    return lambda name: compiled.match(name.casefold()) is not None


def wildcard(pattern: str, name: str) -> bool:
    return matcher(pattern)(name)


def attachment_ids(message: object) -> tuple[int, ...]:
    """The MediaIds of a message's ``attachments`` (an incoming one's, or an outgoing one's, whatever
    form that model keeps them in: ints, digit strings or one comma-separated string); () for none."""
    attached = getattr(message, "attachments", None) or ()
    if isinstance(attached, str):
        attached = attached.split(",")
    if not isinstance(attached, list | tuple):
        return ()
    found = (m if isinstance(m, int) else _digits(m) for m in attached)
    return tuple(m for m in found if m is not None and not isinstance(m, bool))


def _digits(value: object) -> int | None:
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if text.isascii() and text.isdigit() else None


def _url_name(url: str) -> str:
    """The file name a URL names: its path's last segment, else its host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url[:MAX_DERIVED_NAME]
    name = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) or parts.hostname or url
    return name[:MAX_DERIVED_NAME]


class Media:
    """Ops 21-25, ``record`` and ``add_received``, over ``service.store.media``."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._fetches: set[asyncio.Task[None]] = set()

    # ---- MMS attachments -------------------------------------------------------------------------

    def record(self, license_key: uuid.UUID, attachments: Sequence[str]) -> list[int]:
        """SendMessage's Attachments as MediaIds of the key, in order: a number is a MediaId, kept as
        given even when the key has no such media; anything else is a URL, recorded (not fetched) as
        new media of size 0 with the MIME type of its extension. Empty entries are skipped."""
        ids: list[int] = []
        for raw in attachments:
            text = raw.strip() if isinstance(raw, str) else ""
            if not text:
                continue
            if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_LONG:
                ids.append(int(text))
                continue
            name = _url_name(text)
            item = self.service.store.media.add(license_key, name, mime_type(name), self._now(), url=text)
            ids.append(item.media_id)
        return ids

    def add_received(self, license_key: uuid.UUID, parts: Sequence[tuple[str, str, bytes]]) -> list[int]:
        """The parts of an incoming MMS (file name, MIME type, bytes) stored as the key's media; their
        ids. A MIME type that is empty or not ``type/subtype`` is found from the name, then the bytes."""
        now = self._now()
        ids: list[int] = []
        for file_name, given_type, content in parts:
            given = given_type.strip().lower()
            kind = given if MIME_FORM.fullmatch(given) else mime_type(file_name, content)
            ids.append(self.service.store.media.add(license_key, file_name, kind, now, content=content).media_id)
        return ids

    # ---- the operations --------------------------------------------------------------------------

    def create_media_from_content(self, request: dict[str, Any]) -> Result[dict[str, Any] | None]:
        key = _guid(request.get("LicenseKey"))
        outcome = self._consult("createmediafromcontent", key)
        if outcome is not None and outcome.fault is not None:
            return Result(None, fault=outcome.fault)
        name = _text(request.get("Filename"))
        content = self._decode(request.get("Base64EncodedContent"))
        if self.service.store.account(key) is None or not name.strip() or content is None:
            return answered(None, outcome)
        tags = _strings(request.get("Tags"))
        kind = mime_type(name, content)
        item = self.service.store.media.add(key, name, kind, self._now(), content=content, tags=tags)
        return answered(metadata(item), outcome)

    def create_media_from_url(self, request: dict[str, Any]) -> Result[dict[str, Any] | None]:
        key = _guid(request.get("LicenseKey"))
        outcome = self._consult("createmediafromurl", key)
        if outcome is not None and outcome.fault is not None:
            return Result(None, fault=outcome.fault)
        name, url = _text(request.get("Filename")), _text(request.get("Url")).strip()
        if self.service.store.account(key) is None or not name.strip() or not media_fetch.is_web_url(url):
            return answered(None, outcome)
        config = self.service.config
        kind = mime_type(name) if extension(name) else mime_type(_url_name(url))
        tags = _strings(request.get("Tags"))
        store = self.service.store.media
        if not config.media_fetch:
            return answered(metadata(store.add(key, name, kind, self._now(), tags=tags, url=url)), outcome)
        if not media_fetch.allowed(url, config.media_fetch_allowed_hosts):
            return answered(None, outcome)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # off the event loop: the fetch may block this thread
            content = media_fetch.fetch(url, timeout=config.media_fetch_timeout, limit=config.max_media_bytes)
            if content is None:
                return answered(None, outcome)
            kind = kind if kind != mime_type("") else mime_type("", content)
            item = store.add(key, name, kind, self._now(), content=content, tags=tags, url=url)
            return answered(metadata(item), outcome)
        item = store.add(key, name, kind, self._now(), tags=tags, url=url)
        task = loop.create_task(self._complete(item))
        self._fetches.add(task)
        task.add_done_callback(self._fetches.discard)
        return answered(metadata(item), outcome)

    async def _complete(self, item: MediaItem) -> None:
        """Fetch a recorded URL's bytes after the answer; the media is dropped if they do not come."""
        config, store = self.service.config, self.service.store.media
        url = item.url or ""
        content = await media_fetch.fetch_async(url, timeout=config.media_fetch_timeout, limit=config.max_media_bytes)
        if content is None:
            store.discard(item)
        else:
            store.fill(item, content, item.mime_type if item.mime_type != mime_type("") else mime_type("", content))
        self.service.events.publish("media", item.license_key)  # GET /_fake/events: the fetch has ended

    async def settled(self) -> None:
        """Wait for the fetches started on the event loop to end (each has its timeout)."""
        while self._fetches:
            await asyncio.gather(*self._fetches, return_exceptions=True)

    def get_media(self, license_key: uuid.UUID, media_id: int) -> Result[str | None]:
        """The file as one Base64 string; "" for a URL recorded without its bytes; null if the key has
        no such media."""
        license_key = _guid(license_key)
        outcome = self._consult("getmedia", license_key)
        if outcome is not None and outcome.fault is not None:
            return Result(None, fault=outcome.fault)
        item = self._own(license_key, media_id)
        if item is None:
            return answered(None, outcome)
        return answered(base64.b64encode(item.content or b"").decode("ascii"), outcome)

    def get_media_info(self, criteria: dict[str, Any]) -> Result[dict[str, Any]]:
        """The key's media matching every criterion given (``select``), a page of them; a bad key is
        ``{"Media": null}``."""
        key = _guid(criteria.get("LicenseKey"))
        outcome = self._consult("getmediainfo", key)
        if outcome is not None and outcome.fault is not None:
            return Result(None, fault=outcome.fault)
        if self.service.store.account(key) is None:
            return answered({"Media": None}, outcome)
        found = self.select(key, criteria)
        size, number = _whole(criteria.get("PageSize")), max(1, _whole(criteria.get("PageNumber")))
        if size > 0:
            start = (number - 1) * size
            found = found[start : start + size]
        return answered({"Media": [metadata(item) for item in found]}, outcome)

    def remove_media(self, license_key: uuid.UUID, media_id: int) -> Result[bool]:
        license_key = _guid(license_key)
        outcome = self._consult("removemedia", license_key)
        if outcome is not None and outcome.fault is not None:
            return Result(None, fault=outcome.fault)
        item = self._own(license_key, media_id)
        return answered(item is not None and self.service.store.media.remove(license_key, item.media_id), outcome)

    # ---- GetMediaInfo's filters ------------------------------------------------------------------

    def select(self, license_key: uuid.UUID, criteria: dict[str, Any]) -> list[MediaItem]:
        """The key's media, lowest MediaId first, passing every filter given: MediaId, FilenamePattern
        (wildcards, any case), FileType (an extension, with or without its dot), Minimum/MaximumFileSize
        (inclusive), StartDate/EndDate (inclusive, on FileDate), Tags (all of them), and the media of
        the message IncomingMessageId / OutgoingMessageId names."""
        media_id = _whole(criteria.get("MediaId"))
        pattern = _text(criteria.get("FilenamePattern")).strip()
        named = matcher(pattern) if pattern else None
        file_type = _text(criteria.get("FileType")).strip().lstrip(".").lower()
        smallest, largest = _whole(criteria.get("MinimumFileSize")), _whole(criteria.get("MaximumFileSize"))
        start, end = _utc(criteria.get("StartDate")), _utc(criteria.get("EndDate"))
        tags = set(_strings(criteria.get("Tags")))
        linked = self._linked(license_key, _guid(criteria.get("IncomingMessageId")), "incoming")
        outgoing = self._linked(license_key, _guid(criteria.get("OutgoingMessageId")), "outgoing")
        if outgoing is not None:
            linked = outgoing if linked is None else linked & outgoing
        found: list[MediaItem] = []
        for item in self.service.store.media.of(license_key):
            if (
                (media_id and item.media_id != media_id)
                or (named is not None and not named(item.file_name))
                or (file_type and extension(item.file_name) != file_type)
                or item.size < smallest
                or (largest and item.size > largest)
                or (start is not None and item.file_date < start)
                or (end is not None and item.file_date > end)
                or not tags.issubset(item.tags)
                or (linked is not None and item.media_id not in linked)
            ):
                continue
            found.append(item)
        return found

    def _linked(self, license_key: uuid.UUID, message_id: uuid.UUID, kind: str) -> set[int] | None:
        """The MediaIds of the key's incoming or outgoing message with that id (empty if it has none or
        is another key's); None when no id was given (no filter)."""
        if message_id == EMPTY_GUID:
            return None
        store = self.service.store
        if kind == "incoming":
            texts = (text for text in store.incoming_of(license_key) if text.id == message_id)
            return {media for text in texts for media in text.attachments}
        message = store.message(message_id)
        if message is None or message.license_key != license_key:
            return set()
        return set(attachment_ids(message))

    # ---- helpers ---------------------------------------------------------------------------------

    def _own(self, license_key: uuid.UUID, media_id: object) -> MediaItem | None:
        if not isinstance(media_id, int) or self.service.store.account(license_key) is None:
            return None
        return self.service.store.media.get(license_key, media_id)

    def _decode(self, value: object) -> bytes | None:
        """Base64 to bytes as .NET's Convert.FromBase64String reads it (white space skipped, the length
        a multiple of 4, padding only at the end); None if it is not that, is empty or decodes to more
        than ``max_media_bytes`` (refused by its length before decoding)."""
        if not isinstance(value, str):
            return None
        limit = self.service.config.max_media_bytes
        spaced = any(space in value for space in " \t\r\n")  # each a C-speed scan: translate is slow
        text = value.translate(_SPACES) if spaced else value
        if not text or len(text) % 4 or len(text) > 4 * (-(-limit // 3)):
            return None
        try:
            content = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None
        return content if 0 < len(content) <= limit else None

    def _consult(self, operation: str, license_key: uuid.UUID) -> Outcome | None:
        scenarios = self.service.scenarios
        if scenarios.idle_for(license_key):
            return None
        return scenarios.decide(Facts(operation, license_key), self.service.clock.now())

    def _now(self) -> datetime:
        return self.service.clock.stamp()
