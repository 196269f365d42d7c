"""An incoming MMS through the control API and the Python client (subject, attachments kept as media),
its bytes from GET /_fake/media/{id}, and the inbox's data showing subject and attachments, over real
HTTP. (The page itself: test_inbox.py.)"""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest

from fake_cdyne import FakeCdyneClient
from fake_cdyne.client import ControlAPIError
from fake_cdyne.messaging.media_store import FIRST_MEDIA_ID
from fake_cdyne.service import Service

from .conftest import StartFake

PHONE = "17575449510"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)
HTML = b"<script>alert(1)</script>"


def part(name: str, content: bytes, kind: str | None = None) -> dict[str, str]:
    found = {"filename": name, "content_base64": base64.b64encode(content).decode()}
    return found if kind is None else found | {"mime_type": kind}


def test_the_client_delivers_an_mms_and_reads_its_parts(client: FakeCdyneClient) -> None:
    text = client.incoming(
        PHONE, "Look", subject="Our cat", attachments=[("cat.png", "", PNG), ("note.txt", "text/plain", b"hi")]
    )
    assert text.subject == "Our cat"
    assert len(text.attachments) == 2
    assert text.message == "Look"
    assert client.media(text.attachments[0]) == PNG
    assert client.media(text.attachments[1]) == b"hi"
    plain = client.incoming(PHONE, "no media")
    assert (plain.subject, plain.attachments) == (None, ())
    other = FakeCdyneClient(client.url)
    with other, pytest.raises(ControlAPIError, match="404"):
        other.media(text.attachments[0])  # another key's


def test_the_control_api_keeps_the_parts_as_media(http: httpx.Client, key: str) -> None:
    parts = [part("photo.jpg", PNG), part("x", PNG), part("card", b"BEGIN:VCARD\r\n", "Text/VCard")]
    body = {"license_key": key, "from": PHONE, "message": "", "subject": "S", "attachments": parts}
    answer = http.post("/_fake/incoming", json=body)
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["subject"] == "S"
    first, second, third = made["attachments"]
    assert second == first + 1
    assert third == first + 2
    photo = http.get(f"/_fake/media/{first}", params={"license_key": key})
    assert photo.content == PNG
    assert photo.headers["content-type"] == "image/jpeg"  # the name's extension first
    assert photo.headers["content-disposition"].startswith('inline; filename="photo.jpg"')
    assert http.get(f"/_fake/media/{second}").headers["content-type"] == "image/png"  # then the bytes
    assert http.get(f"/_fake/media/{third}").headers["content-type"].startswith("text/vcard")
    (listed,) = [i for i in http.get("/_fake/incoming", params={"license_key": key}).json() if i["subject"]]
    assert listed["attachments"] == [first, second, third]


def test_a_hostile_file_is_sandboxed_and_downloaded(http: httpx.Client, key: str) -> None:
    name = 'a"\r\nX-Evil: 1.html'
    body = {"license_key": key, "from": PHONE, "message": "", "attachments": [part(name, HTML, "text/html\r\nX: y")]}
    (media_id,) = http.post("/_fake/incoming", json=body).json()["attachments"]
    answer = http.get(f"/_fake/media/{media_id}")
    assert answer.status_code == 200
    assert "x-evil" not in answer.headers
    assert answer.headers["content-type"].startswith("text/html")  # the given type was no MIME type
    assert answer.headers["content-disposition"].startswith('attachment; filename="a___X-Evil: 1.html"')
    assert answer.headers["content-security-policy"].startswith("sandbox")
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("attachments", "error"),
    [
        ("x", "attachments must be a list of at most 20 objects"),
        ([part("a", b"x")] * 21, "attachments must be a list of at most 20 objects"),
        (["x"], "attachments[0] must be a list of at most 20 objects"),
        ([{"content_base64": "QQ=="}], "attachments[0].filename must be a string, not None"),
        ([{"filename": "a", "content_base64": "Q"}], "attachments[0].content_base64 is not Base64: 'Q'"),
        ([{"filename": "a", "content_base64": "QQ==", "mime_type": 5}], "attachments[0].mime_type must be a string"),
    ],
)
def test_bad_attachments_are_a_400_naming_the_field(
    http: httpx.Client, key: str, attachments: object, error: str
) -> None:
    body = {"license_key": key, "from": PHONE, "message": "", "attachments": attachments}
    answer = http.post("/_fake/incoming", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(error)
    assert http.get("/_fake/incoming", params={"license_key": key}).json() == []


def test_an_attachment_over_the_limit_is_a_400_naming_the_setting(start_fake: StartFake) -> None:
    http = start_fake(max_media_bytes=10).http
    body = {"license_key": str(uuid.uuid4()), "from": PHONE, "message": "", "attachments": [part("a", bytes(11))]}
    answer = http.post("/_fake/incoming", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"] == "attachments[0] is 11 bytes; the limit is 10 (max_media_bytes)"


@pytest.mark.parametrize("media_id", ["0", "x", "-1", "9223372036854775808", "1e400"])
def test_a_bad_media_id_is_a_400(http: httpx.Client, media_id: str) -> None:
    answer = http.get(f"/_fake/media/{media_id}")
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("media id must be a whole number from 1 to")


def test_no_such_media_is_a_404(http: httpx.Client, key: str) -> None:
    assert http.get(f"/_fake/media/{2**62}").status_code == 404
    assert http.get(f"/_fake/media/{FIRST_MEDIA_ID}", params={"license_key": key}).status_code == 404
    assert http.get("/_fake/media/1", params={"license_key": "nope"}).status_code == 400


def thread(http: httpx.Client, key: str) -> dict:  # type: ignore[type-arg]
    answer = http.get("/_fake/inbox/thread", params={"license_key": key, "phone": PHONE})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_the_inbox_shows_an_mms_subject_and_attachments(http: httpx.Client, key: str) -> None:
    body = {"license_key": key, "from": PHONE, "message": "hi", "subject": "Pics", "attachments": [part("a.png", PNG)]}
    (media_id,) = http.post("/_fake/incoming", json=body).json()["attachments"]
    http.post("/_fake/incoming", json={"license_key": key, "from": PHONE, "message": "plain"})
    mms, plain = thread(http, key)["items"]
    assert (mms["subject"], mms["message"]) == ("Pics", "hi")
    assert mms["media"] == [
        {
            "media_id": media_id,
            "file_name": "a.png",
            "mime_type": "image/png",
            "size": len(PNG),
            "href": f"/_fake/media/{media_id}?license_key={key}",
        }
    ]
    assert http.get(mms["media"][0]["href"]).content == PNG
    assert (plain["subject"], plain["media"]) == (None, [])
    (conversation,) = http.get("/_fake/inbox", params={"license_key": key}).json()
    assert conversation["items"][0]["media"] == mms["media"]


def test_the_inbox_shows_recorded_urls_and_media_since_removed(start_fake: StartFake) -> None:
    started = start_fake()
    service: Service = started.fake.starlette.service
    key = uuid.uuid4()
    account = service.store.account(key)
    assert account is not None
    media = service.store.media
    recorded = media.add(key, "clip.mp4", "video/mp4", service.clock.now(), url="https://cdn.example/clip.mp4")
    odd = media.add(key, "x", "image/png", service.clock.now(), url="javascript:alert(1)")
    ids = (recorded.media_id, odd.media_id, 12486)
    service.lifecycle.receive(account, PHONE, "", None, attachments=ids)
    (item,) = thread(started.http, str(key))["items"]
    assert [(m["file_name"], m["size"], m["href"]) for m in item["media"]] == [
        ("clip.mp4", 0, "https://cdn.example/clip.mp4"),
        ("x", 0, None),
        (None, None, None),
    ]
