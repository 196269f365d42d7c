"""Messaging media (ops 21-25, MMS attachments), on the operation objects: each operation's paths, its
limits, GetMediaInfo's filters, reset, and that bad input is refused (null, false) and never raises.
The wire (REST JSON and XML, SOAP) is in test_messaging_media_wire.py."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_cdyne.config import Config
from fake_cdyne.dates import MIN_VALUE
from fake_cdyne.messaging.media import Media, wildcard
from fake_cdyne.messaging.media_store import FIRST_MEDIA_ID
from fake_cdyne.messaging.media_types import mime_type
from fake_cdyne.model import EMPTY_GUID as EMPTY
from fake_cdyne.scenario_model import Fault, Outcome
from fake_cdyne.scenarios import Facts
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
        ("*a" * 30 + "b", "a" * 5000, False),
        ("STRASSE.*", "straße.txt", True),  # case folded
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


# ---- CreateMediaFromContent and GetMedia --------------------------------------------------------


def test_create_from_content_answers_the_metadata_and_keeps_the_bytes(media: Media, key: uuid.UUID) -> None:
    answer = media.create_media_from_content(content_request(key, "Monkey.jpg", JPEG, ["zoo", "2026"])).value
    assert answer is not None
    assert list(answer) == ["FileDate", "FileName", "FileSize", "MediaId", "MimeType", "Tags"]  # XSD order
    assert answer | {"FileDate": None} == {
        "FileDate": None,
        "FileName": "Monkey.jpg",
        "FileSize": len(JPEG),
        "MediaId": FIRST_MEDIA_ID,
        "MimeType": "image/jpeg",
        "Tags": ["zoo", "2026"],
    }
    assert media.get_media(key, FIRST_MEDIA_ID).value == base64.b64encode(JPEG).decode()
    assert media.create_media_from_content(content_request(key, "pic", PNG)).value == answer | {
        "FileName": "pic",
        "FileSize": len(PNG),
        "MediaId": FIRST_MEDIA_ID + 1,
        "MimeType": "image/png",
        "Tags": [],
    }


def test_base64_with_line_breaks_is_read_as_dotnet_reads_it(media: Media, key: uuid.UUID) -> None:
    encoded = base64.encodebytes(PNG * 20).decode()  # 76-character lines
    assert "\n" in encoded
    request = {"Base64EncodedContent": encoded, "Filename": "a.png", "LicenseKey": key, "Tags": None}
    answer = media.create_media_from_content(request).value
    assert answer is not None
    assert answer["FileSize"] == len(PNG) * 20


@pytest.mark.parametrize(
    "encoded",
    ["not base64!", "QUJD=", "QUJ", "QQ=A", "QQ==QUJD", "QUJDRA=", "\u00e9QUJD", "", "   ", "====", None, 5, ["QUJD"]],
)
def test_bad_base64_is_a_null_answer(media: Media, key: uuid.UUID, encoded: object) -> None:
    request = {"Base64EncodedContent": encoded, "Filename": "a.txt", "LicenseKey": key, "Tags": None}
    assert media.create_media_from_content(request).value is None
    assert media.service.store.media.of(key) == []


def test_the_size_limit_is_inclusive_and_configurable(key: uuid.UUID) -> None:
    media = Media(Service(Config(port=0, max_media_bytes=10)))
    assert media.create_media_from_content(content_request(key, "a.bin", b"x" * 10)).value is not None
    assert media.create_media_from_content(content_request(key, "a.bin", b"x" * 11)).value is None
    huge = {"Base64EncodedContent": "A" * 10_000_000, "Filename": "a", "LicenseKey": key}
    assert media.create_media_from_content(huge).value is None  # refused by its length, never decoded


def test_the_default_limit_is_one_megabyte(media: Media, key: uuid.UUID) -> None:
    assert media.service.config.max_media_bytes == 1024 * 1024
    assert media.create_media_from_content(content_request(key, "a.bin", bytes(1024 * 1024))).value is not None
    assert media.create_media_from_content(content_request(key, "a.bin", bytes(1024 * 1024 + 1))).value is None


def test_a_bad_key_or_file_name_is_a_null_answer(key: uuid.UUID) -> None:
    media = Media(Service(Config(port=0, accept_unknown_keys=False)))
    media.service.store.declare(key)
    assert media.create_media_from_content(content_request(EMPTY, "a.png", PNG)).value is None
    assert media.create_media_from_content(content_request(uuid.uuid4(), "a.png", PNG)).value is None
    assert media.create_media_from_content(content_request(key, "", PNG)).value is None
    assert media.create_media_from_content(content_request(key, "  ", PNG)).value is None
    assert media.create_media_from_content(content_request(key, "a.png", PNG)).value is not None


def test_get_media_of_no_such_media_is_null(media: Media, key: uuid.UUID) -> None:
    (media_id,) = media.add_received(key, [("a.png", "image/png", PNG)])
    assert media.get_media(key, media_id + 1).value is None
    assert media.get_media(uuid.uuid4(), media_id).value is None
    assert media.get_media(EMPTY, media_id).value is None
    assert media.get_media(key, 0).value is None
    assert media.get_media(key, "x").value is None  # type: ignore[arg-type]


# ---- RemoveMedia and reset ----------------------------------------------------------------------


def test_remove_media_is_true_once_for_its_own_key(media: Media, key: uuid.UUID) -> None:
    (media_id,) = media.add_received(key, [("a.png", "image/png", PNG)])
    assert media.remove_media(uuid.uuid4(), media_id).value is False
    assert media.remove_media(EMPTY, media_id).value is False
    assert media.remove_media(key, media_id).value is True
    assert media.remove_media(key, media_id).value is False
    assert media.get_media(key, media_id).value is None
    assert media.remove_media(key, None).value is False  # type: ignore[arg-type]


def test_reset_forgets_one_keys_media_or_all(service: Service, media: Media, key: uuid.UUID) -> None:
    other = uuid.uuid4()
    (mine,) = media.add_received(key, [("a.png", "image/png", PNG)])
    (theirs,) = media.add_received(other, [("b.png", "image/png", PNG)])
    service.reset(key)
    assert media.get_media(key, mine).value is None
    assert media.get_media(other, theirs).value is not None
    service.reset()
    assert media.get_media(other, theirs).value is None
    assert service.store.media.bytes_held == 0


# ---- scenarios ----------------------------------------------------------------------------------


def test_a_scenario_fault_or_delay_is_answered(service: Service, media: Media, key: uuid.UUID) -> None:
    asked: list[str] = []

    def decide(facts: Facts, now: datetime) -> Outcome | None:
        asked.append(facts.operation)
        return Outcome(fault=Fault(status=503)) if facts.operation != "getmedia" else Outcome(delay=2.5)

    service.scenarios.idle_for = lambda license_key: False  # type: ignore[method-assign]
    service.scenarios.decide = decide  # type: ignore[method-assign]
    faulted = media.create_media_from_content(content_request(key, "a.png", PNG))
    assert (faulted.value, faulted.fault) == (None, Fault(status=503))
    assert service.store.media.of(key) == []  # nothing stored
    assert media.create_media_from_url({"LicenseKey": key, "Filename": "a", "Url": "http://h/a"}).fault is not None
    assert media.get_media_info({"LicenseKey": key}).fault is not None
    assert media.remove_media(key, 1).fault is not None
    delayed = media.get_media(key, 1)
    assert (delayed.value, delayed.delay) == (None, 2.5)
    assert asked == ["createmediafromcontent", "createmediafromurl", "getmediainfo", "removemedia", "getmedia"]


# ---- CreateMediaFromUrl without fetching --------------------------------------------------------


def test_create_from_url_records_the_url_without_fetching(media: Media, key: uuid.UUID) -> None:
    request = {"Filename": "Monkey.gif", "LicenseKey": key, "Tags": ["t"], "Url": "http://example.invalid/m.jpg"}
    answer = media.create_media_from_url(request).value
    assert answer is not None
    assert (answer["FileName"], answer["FileSize"], answer["MimeType"], answer["Tags"]) == (
        "Monkey.gif",
        0,
        "image/gif",
        ["t"],
    )
    assert media.get_media(key, answer["MediaId"]).value == ""
    named_by_url = {"Filename": "monkey", "LicenseKey": key, "Url": "https://example.invalid/m.PNG?x=1"}
    assert (media.create_media_from_url(named_by_url).value or {})["MimeType"] == "image/png"


@pytest.mark.parametrize("url", ["", "ftp://h/a.png", "/a.png", "h/a.png", "http://", "http://[::1/a", None, 7])
def test_create_from_url_refuses_what_is_not_a_web_url(media: Media, key: uuid.UUID, url: object) -> None:
    assert media.create_media_from_url({"Filename": "a.png", "LicenseKey": key, "Url": url}).value is None


def test_create_from_url_refuses_a_bad_key_or_name(media: Media, key: uuid.UUID) -> None:
    assert media.create_media_from_url({"Filename": "a.png", "LicenseKey": EMPTY, "Url": "http://h/a"}).value is None
    assert media.create_media_from_url({"Filename": "", "LicenseKey": key, "Url": "http://h/a"}).value is None
    assert media.service.store.media.of(key) == []


# ---- GetMediaInfo -------------------------------------------------------------------------------


@pytest.fixture
def library(service: Service, media: Media, key: uuid.UUID) -> list[int]:
    """Five files of the key, a minute apart: sizes 10, 20, 30, 40, 0 (a URL)."""
    ids = []
    for name, size, tags in [("Monkey.jpg", 10, ["a", "b"]), ("monkey.png", 20, ["a"]), ("cat.JPG", 30, ["b"])]:
        answer = media.create_media_from_content(content_request(key, name, bytes(size), tags)).value
        assert answer is not None
        ids.append(answer["MediaId"])
        service.scheduler.advance(60)
    ids += media.add_received(key, [("voice.amr", "audio/amr", bytes(40))])
    service.scheduler.advance(60)
    ids += media.record(key, ["http://h/clip.mp4"])
    media.add_received(uuid.uuid4(), [("Monkey.jpg", "image/jpeg", bytes(10))])  # another key's
    return ids


def info(media: Media, key: uuid.UUID, **criteria: Any) -> list[int] | None:
    found = media.get_media_info({"LicenseKey": key, **criteria}).value
    assert found is not None
    assert list(found) == ["Media"]
    return None if found["Media"] is None else [m["MediaId"] for m in found["Media"]]


def test_get_media_info_lists_the_keys_media_in_id_order(media: Media, key: uuid.UUID, library: list[int]) -> None:
    assert info(media, key) == library
    assert info(media, uuid.uuid4()) == []
    assert info(media, EMPTY) is None
    whole = media.get_media_info({"LicenseKey": key, "MediaId": library[0]}).value
    assert whole is not None
    assert whole["Media"][0] | {"FileDate": None} == {
        "FileDate": None,
        "FileName": "Monkey.jpg",
        "FileSize": 10,
        "MediaId": library[0],
        "MimeType": "image/jpeg",
        "Tags": ["a", "b"],
    }


def test_get_media_info_filters_combine(service: Service, media: Media, key: uuid.UUID, library: list[int]) -> None:
    one, two, three, four, five = library
    assert info(media, key, MediaId=two) == [two]
    assert info(media, key, MediaId=12345) == []
    assert info(media, key, FilenamePattern="MONKEY.*") == [one, two]
    assert info(media, key, FilenamePattern="*.jp?") == [one, three]
    assert info(media, key, FileType=".jpg") == [one, three]
    assert info(media, key, FileType="JPG") == [one, three]
    assert info(media, key, FileType="mp4") == [five]
    assert info(media, key, MinimumFileSize=20) == [two, three, four]
    assert info(media, key, MaximumFileSize=20) == [one, two, five]
    assert info(media, key, MinimumFileSize=20, MaximumFileSize=30) == [two, three]
    assert info(media, key, Tags=["a"]) == [one, two]
    assert info(media, key, Tags=["a", "b"]) == [one]
    assert info(media, key, Tags=["A"]) == []
    assert info(media, key, Tags=[]) == library
    assert info(media, key, FilenamePattern="*monkey*", Tags=["b"], FileType="jpg") == [one]
    first = media.get_media_info({"LicenseKey": key, "MediaId": one}).value
    assert first is not None
    start = first["Media"][0]["FileDate"]
    assert info(media, key, StartDate=start + timedelta(seconds=60)) == [two, three, four, five]
    assert info(media, key, EndDate=start + timedelta(seconds=60)) == [one, two]
    assert info(media, key, StartDate=start, EndDate=start) == [one]  # inclusive
    assert info(media, key, StartDate=MIN_VALUE, EndDate=MIN_VALUE.replace(tzinfo=None)) == library  # no bound


def test_get_media_info_pages(media: Media, key: uuid.UUID, library: list[int]) -> None:
    assert info(media, key, PageSize=2) == library[:2]
    assert info(media, key, PageSize=2, PageNumber=1) == library[:2]
    assert info(media, key, PageSize=2, PageNumber=3) == library[4:]
    assert info(media, key, PageSize=2, PageNumber=4) == []
    assert info(media, key, PageSize=2, PageNumber=-7) == library[:2]
    assert info(media, key, PageSize=0, PageNumber=3) == library
    assert info(media, key, PageSize=-1) == library
    assert info(media, key, PageSize=2**31 - 1, PageNumber=2**31 - 1) == []


def test_get_media_info_by_incoming_message(service: Service, media: Media, key: uuid.UUID) -> None:
    account = service.store.account(key)
    assert account is not None
    parts = media.add_received(key, [("a.png", "image/png", PNG), ("b.txt", "text/plain", b"hi")])
    mms = service.lifecycle.receive(account, "17575559999", "", None, subject="S", attachments=tuple(parts))
    text = service.lifecycle.receive(account, "17575559999", "plain", None)
    media.add_received(key, [("c.png", "image/png", PNG)])
    assert mms.incoming.subject == "S"
    assert info(media, key, IncomingMessageId=mms.incoming.id) == parts
    assert info(media, key, IncomingMessageId=mms.incoming.id, FileType="txt") == parts[1:]
    assert info(media, key, IncomingMessageId=text.incoming.id) == []
    assert info(media, key, IncomingMessageId=uuid.uuid4()) == []
    assert info(media, uuid.uuid4(), IncomingMessageId=mms.incoming.id) == []  # another key's message


def test_get_media_info_by_outgoing_message(service: Service, media: Media, key: uuid.UUID) -> None:
    sent = service.operations.simple_sms_send("7575559999", "hi", key)
    assert sent.value is not None
    media.add_received(key, [("c.png", "image/png", PNG)])
    assert info(media, key, OutgoingMessageId=sent.value.message_id) == []  # an SMS has no media
    assert info(media, key, OutgoingMessageId=uuid.uuid4()) == []
    assert info(media, uuid.uuid4(), OutgoingMessageId=sent.value.message_id) == []


# ---- bad input never raises ---------------------------------------------------------------------

ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
    st.uuids(),
    st.lists(st.one_of(st.none(), st.text(max_size=5), st.integers()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
MEMBERS = [
    "Base64EncodedContent", "Filename", "LicenseKey", "Tags", "Url", "EndDate", "FileType", "FilenamePattern",
    "IncomingMessageId", "MaximumFileSize", "MediaId", "MinimumFileSize", "OutgoingMessageId", "PageNumber",
    "PageSize", "StartDate",
]  # fmt: skip


@given(request=st.dictionaries(st.sampled_from(MEMBERS), ANYTHING), key=st.uuids(), media_id=ANYTHING)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_input_makes_an_operation_raise(media: Media, request: dict[str, Any], key: Any, media_id: Any) -> None:
    media.add_received(key, [("a.png", "", PNG)])
    media.create_media_from_content(request)
    media.create_media_from_url(request)
    found = media.get_media_info(request).value
    assert found is not None
    assert set(found) == {"Media"}
    media.get_media(key, media_id)
    media.get_media(media_id, media_id)
    assert media.remove_media(media_id, media_id).value in (True, False)
    media.record(key, [value for value in request.values() if isinstance(value, str)])
