"""Bad input of every kind gets a specific answer, never a 500 or a traceback, and the server stays up."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import httpx
import pytest

from fake_cdyne import FakeServer

from .conftest import ZERO_GUID, send
from .test_sms_errors import error_of


@pytest.fixture(autouse=True)
def server_survives(http: httpx.Client, fake: FakeServer) -> Iterator[None]:
    errors_before = len(http.get("/_fake/errors").json())
    yield
    assert http.get("/_fake/health").json() == {"status": "ok"}
    assert len(http.get("/_fake/errors").json()) == errors_before, "the fake recorded an internal error"


def assert_clear_refusal(reply: httpx.Response, status: int, *words: str) -> None:
    assert reply.status_code == status, reply.text
    assert "Traceback" not in reply.text
    for word in words:
        assert word in reply.text


@pytest.mark.parametrize("name", ["LicenseKey", "licensekey"])
@pytest.mark.parametrize("value", ["nope", "F01d89fd-5155-5455-5585", "{not-a-guid}", "\u00e9" * 40])
def test_malformed_license_key_is_400_naming_it(http: httpx.Client, name: str, value: str) -> None:
    reply = http.get("/sms.svc/SimpleSMSsend", params={"PhoneNumber": "7575449510", "Message": "x", name: value})
    assert_clear_refusal(reply, 400, "'LicenseKey'", "is not a GUID")


def test_malformed_message_id_is_400_naming_it(http: httpx.Client) -> None:
    for operation in ("GetMessageStatus", "CancelMessage"):
        reply = http.get(f"/sms.svc/{operation}", params={"MessageID": "12345"})
        assert_clear_refusal(reply, 400, "'MessageID'", "'12345'")


@pytest.mark.parametrize(
    "value",
    [
        " f01d89fd-5155-5455-5585-e84ab8de8591 ",
        "{F01D89FD-5155-5455-5585-E84AB8DE8591}",
        "(f01d89fd-5155-5455-5585-e84ab8de8591)",
        "f01d89fd51555455 5585e84ab8de8591".replace(" ", ""),
    ],
)
def test_every_dotnet_guid_form_is_a_key(http: httpx.Client, value: str) -> None:
    params = {"PhoneNumber": "7575449510", "Message": "x", "LicenseKey": value}
    assert error_of(http.get("/sms.svc/SimpleSMSsend", params=params)) == "NoError"


def test_missing_parameters_are_business_errors(http: httpx.Client, key: str) -> None:
    assert error_of(http.get("/sms.svc/SimpleSMSsend")) == "LicenseKeyInvalid"
    assert error_of(http.get("/sms.svc/SimpleSMSsend", params={"LicenseKey": key})) == "PhoneNumberInvalid"
    assert error_of(http.get("/sms.svc/GetMessageStatus")) == "NotFound"
    assert http.get("/sms.svc/CancelMessage").text.endswith(">false</boolean>")


def test_duplicated_parameters_join_with_commas(http: httpx.Client, key: str) -> None:
    twice = f"/sms.svc/SimpleSMSsend?PhoneNumber=7575449510&Message=x&LicenseKey={key}&LicenseKey={key}"
    assert_clear_refusal(http.get(twice), 400, f"{key},{key}")
    phones = f"/sms.svc/SimpleSMSsend?PhoneNumber=7575449510&PhoneNumber=7575449511&Message=x&LicenseKey={key}"
    assert error_of(http.get(phones)) == "PhoneNumberInvalid"
    messages = f"/sms.svc/SimpleSMSsend?PhoneNumber=7575449510&Message=a&Message=b&LicenseKey={key}"
    assert error_of(http.get(messages)) == "NoError"
    assert http.get("/_fake/messages", params={"license_key": key}).json()[-1]["message"] == "a,b"


def test_parameter_without_value_and_stray_separators(http: httpx.Client, key: str) -> None:
    reply = http.get(f"/sms.svc/SimpleSMSsend?&&PhoneNumber&Message=x&LicenseKey={key}&=&")
    assert error_of(reply) == "PhoneNumberInvalid"


def test_non_utf8_query_is_read_as_latin1(http: httpx.Client, key: str) -> None:
    reply = http.get(f"/sms.svc/SimpleSMSsend?PhoneNumber=7575449510&Message=caf%E9+ol%C3&LicenseKey={key}")
    assert error_of(reply) == "NoError"
    assert http.get("/_fake/messages", params={"license_key": key}).json()[-1]["message"] == "caf\u00e9 ol\u00c3"


def test_utf8_and_plus_are_decoded(http: httpx.Client, key: str) -> None:
    reply = http.get(
        f"/sms.svc/SimpleSMSsend?PhoneNumber=%2B1+757+544+9510&Message=caf%C3%A9+%2B+%F0%9F%98%80&LicenseKey={key}"
    )
    assert error_of(reply) == "NoError"
    sent = http.get("/_fake/messages", params={"license_key": key}).json()[-1]
    assert (sent["to"], sent["message"]) == ("17575449510", "caf\u00e9 + \U0001f600")


def test_message_over_the_limit_in_a_query(http: httpx.Client, key: str) -> None:
    assert error_of(send(http, key, message="x" * 20_000)) == "MessageInvalid"


def raw_get(fake: FakeServer, target: str) -> bytes:
    """Send a request line by hand (httpx would refuse to build some of these) and read the answer."""
    host, port = fake.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        # Refused before it had all been sent: the answer is still there to read.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def test_query_over_the_limit_is_414_naming_it(fake: FakeServer, key: str) -> None:
    answer = raw_get(fake, f"/sms.svc/SimpleSMSsend?LicenseKey={key}&PhoneNumber=7575449510&Message={'x' * 40_000}")
    assert answer.startswith(b"HTTP/1.1 414 ")
    assert b"max_query_bytes" in answer


def test_ten_megabyte_query_is_refused_by_the_http_server(fake: FakeServer, key: str) -> None:
    answer = raw_get(fake, f"/sms.svc/SimpleSMSsend?LicenseKey={key}&PhoneNumber=7575449510&Message={'x' * 10_000_000}")
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert answer.endswith(b"The request head is over 65536 bytes (max_header_bytes).")


def test_ten_megabyte_body_is_413(http: httpx.Client, key: str) -> None:
    body = {"LicenseKey": key, "SMSRequests": [{"Message": "x" * 10_000_000, "PhoneNumbers": ["7575449510"]}]}
    reply = http.post("/sms.svc/AdvancedSMSsend", json=body)
    assert_clear_refusal(reply, 413, "max_body_bytes")


def test_body_without_length_over_the_limit_is_413(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(200):
            yield b"x" * 10_000

    reply = http.post("/sms.svc/AdvancedSMSsend", content=chunks(), headers={"Content-Type": "text/xml"})
    assert_clear_refusal(reply, 413, "max_body_bytes")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"<SMSAdvancedRequest", ["not well-formed"]),
        (b"\x00\xff\xfe binary \x01", ["not well-formed"]),
        (b"", ["not well-formed"]),
        (b"<Other xmlns='urn:x'/>", ["SMSAdvancedRequest", "urn:x:Other"]),
        (b"<SMSAdvancedRequest/>", ["SMSAdvancedRequest"]),
    ],
)
def test_broken_xml_bodies(http: httpx.Client, body: bytes, words: list[str]) -> None:
    reply = http.post("/sms.svc/AdvancedSMSsend", content=body, headers={"Content-Type": "text/xml"})
    assert_clear_refusal(reply, 400, *words)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<SMSAdvancedRequest xmlns="http://schemas.datacontract.org/2004/07/SmsWS"><LicenseKey>&lol3;</LicenseKey></SMSAdvancedRequest>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<SMSAdvancedRequest xmlns="http://schemas.datacontract.org/2004/07/SmsWS"><LicenseKey>&xxe;</LicenseKey></SMSAdvancedRequest>"""


@pytest.mark.parametrize(
    "body", [BILLION_LAUGHS, EXTERNAL_ENTITY, b"<!DOCTYPE x SYSTEM 'http://127.0.0.1:1/x.dtd'><x/>"]
)
def test_xml_entity_tricks_are_refused(http: httpx.Client, body: bytes) -> None:
    reply = http.post("/sms.svc/AdvancedSMSsend", content=body, headers={"Content-Type": "text/xml"})
    assert_clear_refusal(reply, 400, "DTD")
    assert "root:" not in reply.text


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{", ["not valid JSON"]),
        (b"\xff\xfe{}", ["not UTF-8"]),
        (b"[]", ["SMSAdvancedRequest", "a JSON object"]),
        (b'{"LicenseKey": 42}', ["LicenseKey", "a GUID string"]),
        (b'{"LicenseKey": "nope"}', ["LicenseKey", "a GUID"]),
        (b'{"SMSRequests": "all"}', ["SMSRequests", "an array"]),
        (b'{"SMSRequests": [7]}', ["SMSRequests[0]", "a JSON object"]),
        (b'{"SMSRequests": [{"PhoneNumbers": "7575449510"}]}', ["SMSRequests[0].PhoneNumbers"]),
        (b'{"SMSRequests": [{"PhoneNumbers": [true]}]}', ["SMSRequests[0].PhoneNumbers"]),
        (b'{"SMSRequests": [{"Message": 5}]}', ["SMSRequests[0].Message", "a string or null"]),
        (b'{"SMSRequests": [{"ScheduledDateTime": "tomorrow"}]}', ["ScheduledDateTime", "WCF date"]),
        (b'{"IsUnicode": "yes"}', ["IsUnicode", "true or false"]),
        (b"[" * 100_000 + b"]" * 100_000, ["not valid JSON"]),
    ],
)
def test_broken_json_bodies(http: httpx.Client, body: bytes, words: list[str]) -> None:
    reply = http.post("/sms.svc/AdvancedSMSsend", content=body, headers={"Content-Type": "application/json"})
    assert_clear_refusal(reply, 400, *words)


def test_xml_members_of_the_wrong_shape(http: httpx.Client, key: str) -> None:
    body = (
        '<SMSAdvancedRequest xmlns="http://schemas.datacontract.org/2004/07/SmsWS">'
        f"<LicenseKey>{key}</LicenseKey><IsUnicode>maybe</IsUnicode></SMSAdvancedRequest>"
    )
    reply = http.post("/sms.svc/AdvancedSMSsend", content=body, headers={"Content-Type": "text/xml"})
    assert_clear_refusal(reply, 400, "'IsUnicode'", "a boolean")
    nested = body.replace(
        "<IsUnicode>maybe</IsUnicode>",
        "<SMSRequests><SMSRequest><Message><b>x</b></Message></SMSRequest></SMSRequests>",
    )
    reply = http.post("/sms.svc/AdvancedSMSsend", content=nested, headers={"Content-Type": "text/xml"})
    assert_clear_refusal(reply, 400, "SMSRequests[0].Message")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_unsupported_body_type_is_415(http: httpx.Client, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    reply = http.post("/sms.svc/AdvancedSMSsend", content=b"{}", headers=headers)
    assert_clear_refusal(reply, 415, "application/json")


def test_wrong_verb_is_405(http: httpx.Client) -> None:
    reply = http.post("/sms.svc/SimpleSMSsend", content=b"")
    assert_clear_refusal(reply, 405, "GET")
    assert reply.headers["allow"] == "GET"
    reply = http.get("/sms.svc/AdvancedSMSsend")
    assert_clear_refusal(reply, 405, "POST")
    assert http.delete("/sms.svc/GetMessageStatus").status_code == 405


@pytest.mark.parametrize("path", ["/sms.svc/SendSMS", "/sms.svc/", "/sms.svc/SecureREST/", "/sms.svc/Simple%00SMS"])
def test_unknown_operation_is_404(http: httpx.Client, path: str) -> None:
    reply = http.get(path)
    assert_clear_refusal(reply, 404, "SimpleSMSsendWithPostback")


def test_empty_guid_message_id_is_not_found(http: httpx.Client) -> None:
    assert error_of(http.get("/sms.svc/GetMessageStatus", params={"MessageID": ZERO_GUID})) == "NotFound"


def test_control_api_refuses_bad_json_clearly(http: httpx.Client, key: str) -> None:
    cases = [
        ("/_fake/incoming", b"{", "not valid JSON"),
        ("/_fake/incoming", b"[]", "JSON object"),
        ("/_fake/incoming", b'{"license_key": "x"}', "not a GUID"),
        ("/_fake/incoming", f'{{"license_key": "{key}", "from": "1", "message": "m"}}'.encode(), "not a phone number"),
        ("/_fake/incoming", f'{{"license_key": "{key}", "from": "7575449510"}}'.encode(), "message is required"),
        ("/_fake/clock/advance", b'{"seconds": "soon"}', "seconds"),
        ("/_fake/reset", b'{"license_key": "zzz"}', "not a GUID"),
    ]
    for path, body, words in cases:
        reply = http.post(path, content=body, headers={"Content-Type": "application/json"})
        assert reply.status_code == 400, (path, body, reply.text)
        assert words in reply.json()["error"]
    empty = http.post("/_fake/incoming", json={"license_key": ZERO_GUID, "from": "7575449510", "message": "m"})
    assert empty.status_code == 404
    bad_account = http.put(f"/_fake/accounts/{key}", json={"dids": "17575550000"})
    assert bad_account.status_code == 400
    assert "dids" in bad_account.json()["error"]
