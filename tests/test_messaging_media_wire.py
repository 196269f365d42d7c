"""Messaging media over real HTTP: REST JSON and XML, SOAP 1.1 by hand and zeep on the SOAP 1.2 binding,
an incoming MMS read back through GetMediaInfo and GetMedia, and CreateMediaFromUrl fetching on the
server's event loop. Expected shapes come from the contract's type definitions (messaging-contract.md
§3.2: MediaMetadata's members in XSD order, FileName with a capital N, MediaReply holding Media; §3.1's
scalar results) and the XSD's namespaces."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator
from xml.etree import ElementTree

import httpx
import pytest
import zeep

from fake_cdyne import FakeServer

from .conftest import StartFake

SMS2 = "http://sms2.cdyne.com"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SERIALIZATION = "http://schemas.microsoft.com/2003/10/Serialization/"
ARRAYS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
JSON_DATE = r"\\/Date\(\d+[+-]\d{4}\)\\/"  # §3.3: "\/Date(ms±hhmm)\/"
XML_DATE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?"  # §3.3: no zone
ZERO = "00000000-0000-0000-0000-000000000000"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)
ENCODED = base64.b64encode(PNG).decode()
JSON = {"Accept": "application/json"}


@pytest.fixture
def web(fake: FakeServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{fake.url}/Messaging.svc", timeout=10) as client:
        yield client


def upload(web: httpx.Client, key: str, name: str = "a.png", tags: list[str] | None = None) -> dict:  # type: ignore[type-arg]
    body = {"Base64EncodedContent": ENCODED, "Filename": name, "LicenseKey": key, "Tags": tags}
    answer = web.post("/CreateMediaFromContent", json=body, headers=JSON)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_create_from_content_in_json(web: httpx.Client, key: str) -> None:
    body = {"Base64EncodedContent": ENCODED, "Filename": "Monkey.jpg", "LicenseKey": key, "Tags": ["zoo"]}
    answer = web.post("/CreateMediaFromContent", json=body, headers=JSON)
    assert answer.headers["content-type"].startswith("application/json")
    pattern = (
        rf'{{"FileDate":"{JSON_DATE}","FileName":"Monkey.jpg","FileSize":{len(PNG)},"MediaId":(\d+),'
        r'"MimeType":"image\\/jpeg","Tags":\["zoo"\]}'
    )
    assert re.fullmatch(pattern, answer.text), answer.text


def test_create_from_content_in_xml(web: httpx.Client, key: str) -> None:
    body = (
        f'<CreateMediaContentRequest xmlns="{SMS2}"><Base64EncodedContent>{ENCODED}</Base64EncodedContent>'
        f"<Filename>pic</Filename><LicenseKey>{key}</LicenseKey>"
        f'<Tags><string xmlns="{ARRAYS}">a</string><string xmlns="{ARRAYS}">b</string></Tags>'
        "</CreateMediaContentRequest>"
    )
    answer = web.post("/CreateMediaFromContent", content=body, headers={"Content-Type": "text/xml"})
    pattern = (
        f'<MediaMetadata xmlns="{SMS2}" xmlns:i="{XSI}"><FileDate>{XML_DATE}</FileDate><FileName>pic</FileName>'
        f"<FileSize>{len(PNG)}</FileSize><MediaId>\\d+</MediaId><MimeType>image/png</MimeType>"
        f'<Tags><string xmlns="{ARRAYS}">a</string><string xmlns="{ARRAYS}">b</string></Tags></MediaMetadata>'
    )
    assert re.fullmatch(pattern, answer.text), answer.text


@pytest.mark.parametrize("content", ["not base64", "QUJD=", ""])
def test_bad_content_is_a_null_answer_with_200(web: httpx.Client, key: str, content: str) -> None:
    body = {"Base64EncodedContent": content, "Filename": "a.png", "LicenseKey": key, "Tags": None}
    answer = web.post("/CreateMediaFromContent", json=body, headers=JSON)
    assert (answer.status_code, answer.text) == (200, "null")
    xml = web.post("/CreateMediaFromContent", json=body, headers={"Accept": "application/xml"})
    assert xml.status_code == 200
    root = ElementTree.fromstring(xml.text)  # a nil root: its attributes in any order
    assert (root.tag, root.attrib, len(root), root.text) == (
        f"{{{SMS2}}}MediaMetadata",
        {f"{{{XSI}}}nil": "true"},
        0,
        None,
    )


def test_a_file_over_the_limit_is_null(start_fake: StartFake) -> None:
    http = start_fake(max_media_bytes=len(PNG) - 1).http
    body = {"Base64EncodedContent": ENCODED, "Filename": "a.png", "LicenseKey": str(uuid.uuid4())}
    assert http.post("/Messaging.svc/CreateMediaFromContent", json=body, headers=JSON).text == "null"


def test_a_missing_required_member_is_wcfs_request_error(web: httpx.Client, key: str) -> None:
    answer = web.post("/CreateMediaFromContent", json={"Filename": "a", "LicenseKey": key}, headers=JSON)
    assert answer.status_code == 400
    assert "<title>Request Error</title>" in answer.text


def test_get_media_and_remove_media_as_scalars(web: httpx.Client, key: str) -> None:
    media_id = upload(web, key)["MediaId"]
    params = {"LicenseKey": key, "MediaId": media_id}
    assert web.get("/GetMedia", params=params, headers=JSON).json() == ENCODED
    assert web.get("/GetMedia", params=params).text == f'<string xmlns="{SERIALIZATION}">{ENCODED}</string>'
    assert (
        web.get("/GetMedia", params={"LicenseKey": str(uuid.uuid4()), "MediaId": media_id}, headers=JSON).text == "null"
    )
    assert web.get("/RemoveMedia", params=params).text == f'<boolean xmlns="{SERIALIZATION}">true</boolean>'
    assert web.get("/RemoveMedia", params=params, headers=JSON).text == "false"
    assert web.get("/GetMedia", params=params, headers=JSON).text == "null"


def test_get_media_info_in_json_and_xml(web: httpx.Client, key: str) -> None:
    first = upload(web, key, "one.png", ["t"])
    upload(web, key, "two.gif")
    found = web.post("/GetMediaInfo", json={"LicenseKey": key, "FilenamePattern": "ONE*"}, headers=JSON).json()
    assert found == {"Media": [first]}
    paged = web.post("/GetMediaInfo", json={"LicenseKey": key, "PageSize": 1, "PageNumber": 2}, headers=JSON).json()
    assert [m["FileName"] for m in paged["Media"]] == ["two.gif"]
    tags = f'<Tags><string xmlns="{ARRAYS}">t</string></Tags>'
    criteria = f'<MediaCriteria xmlns="{SMS2}"><LicenseKey>{key}</LicenseKey>{tags}</MediaCriteria>'
    xml = web.post("/GetMediaInfo", content=criteria, headers={"Content-Type": "text/xml"}).text
    pattern = (
        f'<MediaReply xmlns="{SMS2}" xmlns:i="{XSI}"><Media><MediaMetadata><FileDate>{XML_DATE}</FileDate>'
        f"<FileName>one.png</FileName><FileSize>{len(PNG)}</FileSize><MediaId>{first['MediaId']}</MediaId>"
        f'<MimeType>image/png</MimeType><Tags><string xmlns="{ARRAYS}">t</string></Tags></MediaMetadata></Media>'
        "</MediaReply>"
    )
    assert re.fullmatch(pattern, xml), xml
    nothing = web.post("/GetMediaInfo", json={"LicenseKey": key, "MediaId": 1}, headers=JSON)
    assert nothing.text == '{"Media":[]}'
    assert web.post("/GetMediaInfo", json={"LicenseKey": ZERO}, headers=JSON).text == '{"Media":null}'
    bad_key = web.post("/GetMediaInfo", json={"LicenseKey": ZERO})
    assert bad_key.text == f'<MediaReply xmlns="{SMS2}" xmlns:i="{XSI}"><Media i:nil="true"/></MediaReply>'


def test_create_from_url_records_it(web: httpx.Client, key: str) -> None:
    body = {"Filename": "b.jpg", "LicenseKey": key, "Url": "https://example.invalid/b"}
    answer = web.post("/CreateMediaFromUrl", json=body, headers=JSON).json()
    assert (answer["FileName"], answer["FileSize"], answer["MimeType"], answer["Tags"]) == (
        "b.jpg",
        0,
        "image/jpeg",
        [],
    )


def test_an_incoming_mms_is_read_back_as_media(fake: FakeServer, web: httpx.Client, key: str) -> None:
    part = {"filename": "cat.png", "content_base64": ENCODED}
    incoming = {"license_key": key, "from": "17575449510", "message": "", "subject": "Cat", "attachments": [part]}
    made = httpx.post(f"{fake.url}/_fake/incoming", json=incoming).json()
    (media_id,) = made["attachments"]
    criteria = {"LicenseKey": key, "IncomingMessageId": made["incoming_message_id"]}
    (listed,) = web.post("/GetMediaInfo", json=criteria, headers=JSON).json()["Media"]
    assert (listed["MediaId"], listed["FileName"], listed["MimeType"]) == (media_id, "cat.png", "image/png")
    assert web.get("/GetMedia", params={"LicenseKey": key, "MediaId": media_id}, headers=JSON).json() == ENCODED
    other = {"LicenseKey": key, "IncomingMessageId": str(uuid.uuid4())}
    assert web.post("/GetMediaInfo", json=other, headers=JSON).json() == {"Media": []}


def soap11(fake: FakeServer, operation: str, body: str) -> str:
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SMS2}/IMessaging/{operation}"'}
    envelope = f'<s:Envelope xmlns:s="{SOAP11}"><s:Body>{body}</s:Body></s:Envelope>'
    answer = httpx.post(f"{fake.url}/Messaging.svc/Soap", content=envelope, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_soap11_by_hand(fake: FakeServer, key: str) -> None:
    request = (
        f'<CreateMediaFromContent xmlns="{SMS2}"><request><Base64EncodedContent>{ENCODED}</Base64EncodedContent>'
        f"<Filename>a.png</Filename><LicenseKey>{key}</LicenseKey></request></CreateMediaFromContent>"
    )
    created = soap11(fake, "CreateMediaFromContent", request)
    pattern = (  # messaging-contract.md §3.1's SOAP example: <OpResponse><OpResult xmlns:i=...>members</OpResult>
        f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><CreateMediaFromContentResponse xmlns="{SMS2}">'
        f'<CreateMediaFromContentResult xmlns:i="{XSI}"><FileDate>{XML_DATE}</FileDate><FileName>a.png</FileName>'
        f"<FileSize>{len(PNG)}</FileSize><MediaId>(\\d+)</MediaId><MimeType>image/png</MimeType><Tags/>"
        "</CreateMediaFromContentResult></CreateMediaFromContentResponse></s:Body></s:Envelope>"
    )
    found = re.fullmatch(pattern, created)
    assert found, created
    get = f'<GetMedia xmlns="{SMS2}"><LicenseKey>{key}</LicenseKey><MediaId>{found[2]}</MediaId></GetMedia>'
    assert f"<GetMediaResult>{ENCODED}</GetMediaResult>" in soap11(fake, "GetMedia", get)
    remove = get.replace("GetMedia", "RemoveMedia")
    assert "<RemoveMediaResult>true</RemoveMediaResult>" in soap11(fake, "RemoveMedia", remove)
    assert "<RemoveMediaResult>false</RemoveMediaResult>" in soap11(fake, "RemoveMedia", remove)


def test_zeep_on_the_soap12_binding(fake: FakeServer, key: str) -> None:
    client = zeep.Client(f"{fake.url}/Messaging.svc?wsdl")  # type: ignore[no-untyped-call]
    service = client.bind("Messaging", "mms2wsHttpBinding")
    created = service.CreateMediaFromContent(
        request={"Base64EncodedContent": ENCODED, "Filename": "z.png", "LicenseKey": key, "Tags": {"string": ["x"]}}
    )
    assert (created.FileName, created.FileSize, created.MimeType, created.Tags.string) == (
        "z.png",
        len(PNG),
        "image/png",
        ["x"],
    )
    reply = service.GetMediaInfo(criteria={"LicenseKey": key, "FileType": ".png"})
    assert [m.MediaId for m in reply.MediaMetadata] == [created.MediaId]  # zeep unwraps MediaReply's one member
    assert service.GetMedia(LicenseKey=key, MediaId=created.MediaId) == ENCODED
    refused = service.CreateMediaFromUrl(request={"Filename": "u", "LicenseKey": ZERO, "Url": "http://h/u"})
    assert refused is None or refused.MediaId is None  # a nil result: zeep gives an empty object
    assert service.RemoveMedia(LicenseKey=key, MediaId=created.MediaId) is True


def test_a_url_fetched_on_the_event_loop(start_fake: StartFake) -> None:
    """The fake fetches from its own control API (a loopback URL): it answers at once with size 0, its
    loop serves the fetch meanwhile, and the bytes are there after a change notice (GET /_fake/events:
    re-read on each notice, as the inbox does; notices coalesce, so the last one follows the change)."""
    started = start_fake(media_fetch=True)
    http, key = started.http, str(uuid.uuid4())
    upload_body = {"Base64EncodedContent": ENCODED, "Filename": "src.png", "LicenseKey": key}
    source = http.post("/Messaging.svc/CreateMediaFromContent", json=upload_body, headers=JSON).json()["MediaId"]
    with (
        httpx.Client(base_url=started.fake.url, timeout=10) as listener,
        listener.stream("GET", "/_fake/events") as events,
    ):
        lines = events.iter_lines()
        assert next(line for line in lines if line.startswith(": connected"))
        body = {"Filename": "copy", "LicenseKey": key, "Url": f"{started.fake.url}/_fake/media/{source}"}
        answer = http.post("/Messaging.svc/CreateMediaFromUrl", json=body, headers=JSON).json()
        assert answer["FileSize"] == 0
        while http.get(f"/_fake/media/{answer['MediaId']}").status_code == 404:  # recorded, no bytes yet
            next(line for line in lines if line.startswith("data:"))  # a read past 10 s fails the test
    criteria = {"LicenseKey": key, "MediaId": answer["MediaId"]}
    (fetched,) = http.post("/Messaging.svc/GetMediaInfo", json=criteria, headers=JSON).json()["Media"]
    assert (fetched["FileSize"], fetched["MimeType"]) == (len(PNG), "image/png")
    assert http.get(f"/_fake/media/{answer['MediaId']}").content == PNG
