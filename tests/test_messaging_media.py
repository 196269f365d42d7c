"""Messaging media (ops 21-25, MMS attachments), on the operation objects: each operation's paths, its
limits, GetMediaInfo's filters, reset, and that bad input is refused (null, false) and never raises.
The wire (REST JSON and XML, SOAP) is in test_messaging_media_wire.py."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fake_cdyne.config import Config
from fake_cdyne.messaging.media import Media, wildcard
from fake_cdyne.messaging.media_store import FIRST_MEDIA_ID
from fake_cdyne.messaging.media_types import mime_type
from fake_cdyne.service import Service

# A 1x1 PNG and the first bytes of a JPEG and a GIF, for the MIME types the content tells.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32)
GIF = b"GIF89a" + bytes(20)


@pytest.fixture
def service() -> Service:
    return Service(Config(port=0, manual_clock=True))


@pytest.fixture
def media(service: Service) -> Media:
    return Media(service)


@pytest.fixture
def key() -> uuid.UUID:
    return uuid.uuid4()


def content_request(key: uuid.UUID, name: str, content: bytes, tags: list[str] | None = None) -> dict[str, Any]:
    encoded = base64.b64encode(content).decode()
    return {"Base64EncodedContent": encoded, "Filename": name, "LicenseKey": key, "Tags": tags}


# ---- record (SendMessage's Attachments) and add_received (incoming MMS) -----------------------------


def test_record_keeps_numbers_and_records_urls_as_new_media(media: Media, key: uuid.UUID) -> None:
    ids = media.record(key, ["https://example.com/pics/cat%20face.JPG?size=2", "12486", " ", "http://x.test/"])
    assert ids == [FIRST_MEDIA_ID, 12486, FIRST_MEDIA_ID + 1]
    first, second = media.service.store.media.of(key)
    assert (first.file_name, first.mime_type, first.size, first.content) == ("cat face.JPG", "image/jpeg", 0, None)
    assert first.url == "https://example.com/pics/cat%20face.JPG?size=2"
    assert (second.file_name, second.mime_type) == ("x.test", "application/octet-stream")
    assert media.get_media(key, 12486).value is None  # an unknown id is kept as given, not made up
    assert media.get_media(key, FIRST_MEDIA_ID).value == ""  # recorded, its bytes unknown


def test_record_takes_only_plain_longs_as_ids(media: Media, key: uuid.UUID) -> None:
    too_long = str(2**63)
    ids = media.record(key, ["0", "-5", too_long, "\u0661\u0662", "9223372036854775807", None])  # type: ignore[list-item]
    assert ids == [FIRST_MEDIA_ID, FIRST_MEDIA_ID + 1, FIRST_MEDIA_ID + 2, FIRST_MEDIA_ID + 3, 2**63 - 1]


def test_add_received_stores_the_parts_with_their_types(media: Media, key: uuid.UUID) -> None:
    ids = media.add_received(key, [("photo.png", "image/png", PNG), ("note", "", b"BEGIN:VCARD\r\n"), ("x", "", b"?")])
    assert ids == [FIRST_MEDIA_ID, FIRST_MEDIA_ID + 1, FIRST_MEDIA_ID + 2]
    assert [item.mime_type for item in media.service.store.media.of(key)] == [
        "image/png",
        "text/vcard",
        "application/octet-stream",
    ]
    assert media.get_media(key, ids[0]).value == base64.b64encode(PNG).decode()
    assert media.get_media(uuid.uuid4(), ids[0]).value is None  # another key's


def test_the_same_bytes_are_held_once(media: Media, key: uuid.UUID) -> None:
    store = media.service.store.media
    picture = PNG * 1000
    for _ in range(50):
        media.add_received(key, [("a.png", "image/png", picture)])
    assert store.bytes_held == len(picture)
    for item in store.of(key)[:-1]:
        store.remove(key, item.media_id)
    assert store.bytes_held == len(picture)
    store.reset(key)
    assert store.bytes_held == 0


def test_ids_increase_per_fake_and_a_full_reset_starts_them_again(service: Service, key: uuid.UUID) -> None:
    other = Media(Service(Config(port=0)))
    assert Media(service).record(key, ["http://a/b.png"]) == [FIRST_MEDIA_ID]
    assert other.record(key, ["http://a/b.png"]) == [FIRST_MEDIA_ID]
    assert Media(service).record(uuid.uuid4(), ["http://a/b.png"]) == [FIRST_MEDIA_ID + 1]
    service.reset(key)
    assert not service.store.media.of(key)
    assert Media(service).record(key, ["http://a/b.png"]) == [FIRST_MEDIA_ID + 2]
    service.reset()
    assert Media(service).record(key, ["http://a/b.png"]) == [FIRST_MEDIA_ID]


# ---- MIME types and wildcards -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.jpg", None, "image/jpeg"),
        ("A.JPEG", PNG, "image/jpeg"),  # the extension first
        ("noext", PNG, "image/png"),
        ("x.unknown", JPEG, "image/jpeg"),
        ("gif", GIF, "image/gif"),
        ("clip", b"\x00\x00\x00\x18ftyp3gp4", "video/3gpp"),
        ("clip", b"\x00\x00\x00\x18ftypisom", "video/mp4"),
        ("s", b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"),
        ("s", b"XXXX\x00\x00\x00\x00WAVEfmt ", "application/octet-stream"),
        (".hidden", None, "application/octet-stream"),
        ("dir.png/file", None, "application/octet-stream"),
        ("card.vcf", None, "text/vcard"),
    ],
)
def test_mime_type_from_the_extension_then_the_bytes(name: str, content: bytes | None, expected: str) -> None:
    assert mime_type(name, content) == expected


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("Monkey.jpg", "monkey.JPG", True),
        ("*.jpg", "a.b.jpg", True),
        ("*.jpg", "a.jpeg", False),
        ("m?nkey*", "Monkey.png", True),
        ("*", "", True),
        ("?", "", False),
        ("a*b*c", "aXXbYYc", True),
        ("a*b*c", "aXXbYY", False),
        ("[a].png", "[a].png", True),  # no character classes
        ("[a].png", "a.png", False),
        ("*" * 50 + "b", "a" * 5000, False),  # quick, however many stars
    ],
)
def test_filename_patterns(pattern: str, name: str, expected: bool) -> None:
    assert wildcard(pattern, name) is expected


def test_dates_are_naive_utc_at_the_services_resolution(media: Media, key: uuid.UUID) -> None:
    media.service.scheduler.advance(0.0014)
    answer = media.create_media_from_content(content_request(key, "a.png", PNG)).value
    assert answer is not None
    assert answer["FileDate"].tzinfo is None
    assert answer["FileDate"].microsecond % 1000 in (0, 333, 667)
    assert abs(answer["FileDate"] - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)
