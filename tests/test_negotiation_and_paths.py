"""Which format a client gets, and every way real clients spell the path."""

from __future__ import annotations

import httpx
import pytest

from fake_cdyne import FakeServer

from .conftest import StartFake

JAVA_DEFAULT_ACCEPT = "text/html, image/gif, image/jpeg, */*; q=0.2"


def fmt(reply: httpx.Response) -> str:
    assert reply.status_code == 200, reply.text
    return "json" if reply.text.startswith(("{", "[")) else "xml"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Accept": "application/json"}, "json"),
        ({"Accept": "text/json"}, "json"),
        ({"Accept": "application/xml, application/json;q=0.5"}, "json"),
        ({"Accept": "application/json;q=0"}, "xml"),
        ({"Accept": "application/xml"}, "xml"),
        ({"Accept": "*/*"}, "xml"),
        ({"Accept": JAVA_DEFAULT_ACCEPT}, "xml"),
        ({"Accept": "*/*", "Content-Type": "application/json"}, "xml"),
        ({"Accept": "", "Content-Type": "application/json"}, "json"),
        ({"Content-Type": "application/json"}, "json"),  # the seed's PHP sample sends both on a GET
        ({"Content-Type": "text/xml"}, "xml"),  # the seed's VBScript sample
        ({}, "xml"),
    ],
)
def test_format_negotiation(fake: FakeServer, key: str, headers: dict[str, str], expected: str) -> None:
    # A bare client: httpx.Client adds "Accept: */*" unless told otherwise.
    with httpx.Client(base_url=fake.url, headers={"Accept": ""}) as http:
        if "Accept" not in headers:
            http.headers.pop("Accept")
        reply = http.get("/sms.svc/GetMessageStatus", params={"MessageID": key}, headers=headers)
        assert fmt(reply) == expected


def test_default_format_json_applies_only_without_accept(start_fake: StartFake) -> None:
    http = start_fake(default_format="json").http
    http.headers.pop("Accept")
    assert fmt(http.get("/sms.svc/CancelMessage")) == "xml" or http.get("/sms.svc/CancelMessage").text == "false"
    assert http.get("/sms.svc/CancelMessage").text == "false"
    assert http.get("/sms.svc/CancelMessage", headers={"Accept": "*/*"}).text.startswith("<boolean")


@pytest.mark.parametrize(
    "path",
    [
        "/sms.svc/SimpleSMSSendWithPostBack",  # the seed's VBScript and Ruby samples
        "/sms.svc/SimpleSMSsendWithPostBack",  # the seed's Java sample
        "/sms.svc/SimpleSMSsendWithPostback",  # the WSDL's own name
        "/sms.svc/simplesmssendwithpostback",
        "/SMS.SVC/SIMPLESMSSENDWITHPOSTBACK",
        "/sms.svc/SecureREST/SimpleSMSsendWithPostback",
        "/sms.svc/securerest/SimpleSMSSendWithPostBack",
        "/sms.svc/SimpleSMSsendWithPostback/",
    ],
)
def test_every_spelling_of_the_path(http: httpx.Client, key: str, path: str) -> None:
    reply = http.get(
        path,
        params={
            "PhoneNumber": "7575449510",
            "Message": "Simple Test Message",
            "LicenseKey": key,
            "StatusPostBackURL": "http://127.0.0.1:9/postback",
        },
    )
    assert "<SMSError>NoError</SMSError>" in reply.text


def test_the_seed_java_query_with_a_spaced_key(http: httpx.Client, key: str) -> None:
    # The seed's Ruby sample puts spaces around the key; its Java sample sends parameters in another order.
    query = f"PhoneNumber=15551234567&Message=JAVA+Test&StatusPostBackURL=http://www.yourpostbackurl.com&LicenseKey=%20{key}%20"
    reply = http.get(f"/sms.svc/SimpleSMSsendWithPostBack?{query}")
    assert "<SMSError>NoError</SMSError>" in reply.text
    sent = http.get("/_fake/messages", params={"license_key": key}).json()[-1]
    assert (sent["message"], sent["status_postback_url"]) == ("JAVA Test", "http://www.yourpostbackurl.com")


def test_parameter_names_are_case_insensitive_and_extras_ignored(http: httpx.Client, key: str) -> None:
    query = f"phonenumber=7575449510&MESSAGE=hi&licenseKEY={key}&Unexpected=1&LicenseKeyX=zz"
    assert "<SMSError>NoError</SMSError>" in http.get(f"/sms.svc/SimpleSMSsend?{query}").text
    mid = http.get("/_fake/messages", params={"license_key": key}).json()[-1]["message_id"]
    # Clients add LicenseKey to GetMessageStatus; it is ignored.
    reply = http.get("/sms.svc/GetMessageStatus", params={"messageid": mid, "LicenseKey": "not-even-a-guid"})
    assert "<SMSError>NoError</SMSError>" in reply.text


def test_simple_send_ignores_a_postback_url(http: httpx.Client, key: str) -> None:
    http.get(
        "/sms.svc/SimpleSMSsend",
        params={
            "PhoneNumber": "7575449510",
            "Message": "hi",
            "LicenseKey": key,
            "StatusPostBackURL": "http://127.0.0.1:9/x",
        },
    )
    assert http.get("/_fake/messages", params={"license_key": key}).json()[-1]["status_postback_url"] is None


def test_root_page_points_at_the_service(http: httpx.Client, fake: FakeServer) -> None:
    reply = http.get("/")
    assert f"{fake.url}/sms.svc" in reply.text
    assert http.get("/nothing-here").status_code == 404
