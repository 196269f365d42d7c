"""SendMessage, ReadMessageStatus, ReadIncomingMessages and GetUnsubscribedNumbers over real HTTP on
127.0.0.1: REST JSON and XML and SOAP, requests as the public clients of the contract (§1.3) send them,
messages crossing between the sms2 and Messaging APIs, replies read once, STOP, and the postbacks.
Expected shapes come from CDYNE's help pages and the contract, never from the fake's own writers."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fake_cdyne import FakeCdyneClient, FakeServer, PostbackReceiver

from .conftest import GUID, ZERO_GUID, StartFake, message_id, send

JSON = {"Accept": "application/json"}
MIN_VALUE_JSON = r"\/Date(-62135578800000-0500)\/"  # DateTime.MinValue as the live service writes it
MOBILE = "17575449510"


@pytest.fixture
def guzzle(fake: FakeServer) -> Iterator[httpx.Client]:
    """A client that sends what Guzzle's ``json`` option sends: Content-Type, and no Accept at all."""
    with httpx.Client(base_url=fake.url, timeout=10) as client:
        del client.headers["Accept"]
        client.headers["User-Agent"] = "GuzzleHttp/7"
        yield client


def send_message(http: httpx.Client, key: str, *to: str, **members: Any) -> list[dict[str, Any]]:
    body = {"Body": "Hello", "LicenseKey": key, "To": list(to) or [MOBILE], "UseMMS": False} | members
    reply = http.post("/Messaging.svc/SendMessage", json=body, headers=JSON)
    assert reply.status_code == 200, reply.text
    found: list[dict[str, Any]] = reply.json()
    return found


def read_status(http: httpx.Client, key: str, mid: str) -> dict[str, Any]:
    reply = http.get("/Messaging.svc/ReadMessageStatus", params={"LicenseKey": key, "MessageId": mid}, headers=JSON)
    assert reply.status_code == 200, reply.text
    found: dict[str, Any] = reply.json()
    return found


def read_incoming(http: httpx.Client, key: str, **criteria: Any) -> list[dict[str, Any]]:
    reply = http.post("/Messaging.svc/ReadIncomingMessages", json={"LicenseKey": key, **criteria}, headers=JSON)
    assert reply.status_code == 200, reply.text
    found: list[dict[str, Any]] = reply.json()
    return found


def test_c1_guzzle_sends_json_without_accept_and_reads_json(guzzle: httpx.Client, client: FakeCdyneClient) -> None:
    body = {
        "Body": "Your appointment", "LicenseKey": client.license_key, "From": "", "To": ["5147157890"],
        "Concatenate": True, "UseMMS": False, "IsUnicode": True,
    }  # fmt: skip
    reply = guzzle.post("/Messaging.svc/SendMessage", json=body)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/json")
    (entry,) = json.loads(reply.text)
    assert GUID.fullmatch(entry["MessageID"])
    assert list(entry) == ["Attachments", "From", "MessageID", "MessageStatus", "SentTime", "To"]
    assert (entry["MessageStatus"], entry["To"], entry["Attachments"]) == (201, "15147157890", None)
    assert f'"SentTime":"{MIN_VALUE_JSON}"' in reply.text
    polled = guzzle.post(
        "/Messaging.svc/ReadIncomingMessages", json={"LicenseKey": client.license_key, "UnreadMessagesOnly": True}
    )
    assert (polled.status_code, polled.json()) == (200, [])
    assert client.assert_sent("5147157890", "Your appointment").message_id == entry["MessageID"]


def test_c2_oldest_to_as_a_plain_string_is_a_400_page(http: httpx.Client, client: FakeCdyneClient) -> None:
    body = {"Body": "Hi", "LicenseKey": client.license_key, "To": "5147157890", "UseMMS": False}
    reply = http.post("/Messaging.svc/SendMessage", json=body, headers=JSON)
    assert reply.status_code == 400
    assert reply.headers["content-type"].startswith("text/html")
    assert "The server encountered an error processing the request." in reply.text
    assert client.messages == []


def test_c4_empty_from_picks_one_of_the_keys_numbers(http: httpx.Client, client: FakeCdyneClient) -> None:
    (entry,) = send_message(http, client.license_key, "7575449510", From="", Subject="", ReferenceID="c4")
    assert entry["MessageStatus"] in (200, 201, 202)  # what C4 counts as sent
    assert re.fullmatch(r"1\d{10}", entry["From"])


def test_xml_rest_and_soap_answer_the_same_message(http: httpx.Client, client: FakeCdyneClient) -> None:
    xml = (
        '<OutgoingMessageRequest xmlns="http://sms2.cdyne.com"><Body>Hi</Body>'
        f"<LicenseKey>{client.license_key}</LicenseKey><To>"
        '<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/Arrays">7575449510</string>'
        "</To><UseMMS>false</UseMMS></OutgoingMessageRequest>"
    )
    reply = http.post("/Messaging.svc/SendMessage", content=xml, headers={"Content-Type": "application/xml"})
    assert reply.status_code == 200
    assert reply.text.startswith('<ArrayOfOutgoingMessageResponse xmlns="http://sms2.cdyne.com"')
    assert '<Attachments i:nil="true"/>' in reply.text
    assert "<MessageStatus>Ready</MessageStatus><SentTime>0001-01-01T00:00:00</SentTime>" in reply.text
    mid = message_id(reply.text)
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<ReadMessageStatus xmlns="http://sms2.cdyne.com"><LicenseKey>{client.license_key}</LicenseKey>'
        f"<MessageId>{mid}</MessageId></ReadMessageStatus></s:Body></s:Envelope>"
    )
    action = '"http://sms2.cdyne.com/IMessaging/ReadMessageStatus"'
    soap = http.post(
        "/Messaging.svc/Soap", content=envelope, headers={"Content-Type": "text/xml", "SOAPAction": action}
    )
    assert soap.status_code == 200, soap.text
    assert "<ReadMessageStatusResponse" in soap.text
    assert f"<MessageID>{mid}</MessageID><MessageStatus>Sent</MessageStatus>" in soap.text


def test_soap_send_message(http: httpx.Client, client: FakeCdyneClient) -> None:
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<SendMessage xmlns="http://sms2.cdyne.com"><Request><Body>Hi</Body><LicenseKey>{client.license_key}'
        '</LicenseKey><To><string xmlns="http://schemas.microsoft.com/2003/10/Serialization/Arrays">17575559999'
        '</string><string xmlns="http://schemas.microsoft.com/2003/10/Serialization/Arrays">0</string></To>'
        "<UseMMS>false</UseMMS></Request></SendMessage></s:Body></s:Envelope>"
    )
    action = '"http://sms2.cdyne.com/IMessaging/SendMessage"'
    reply = http.post(
        "/Messaging.svc/Soap", content=envelope, headers={"Content-Type": "text/xml", "SOAPAction": action}
    )
    assert reply.status_code == 200, reply.text
    statuses = re.findall(r"<MessageStatus>(\w+)</MessageStatus>", reply.text)
    assert statuses == ["Ready", "InvalidDestination"]
    assert f"<MessageID>{ZERO_GUID}</MessageID>" in reply.text
    assert client.assert_sent("17575559999", "Hi")


def test_a_message_crosses_between_the_apis_both_ways(http: httpx.Client, client: FakeCdyneClient) -> None:
    key = client.license_key
    (entry,) = send_message(http, key)
    legacy = http.get("/sms.svc/GetMessageStatus", params={"MessageID": entry["MessageID"]}, headers=JSON).json()
    assert (legacy["MessageID"], legacy["SMSError"], legacy["Sent"]) == (entry["MessageID"], 0, True)
    old = message_id(send(http, key, message="from sms2").text)
    found = read_status(http, key, old)
    assert (found["MessageID"], found["MessageStatus"], found["To"]) == (old, 200, MOBILE)
    via_messaging = http.get("/Messaging.svc/GetMessageStatus", params={"MessageID": entry["MessageID"]})
    assert "<Sent>true</Sent>" in via_messaging.text


def test_cancel_works_on_both_apis_messages(http: httpx.Client, client: FakeCdyneClient) -> None:
    later = "/Date(4102444800000)/"  # 2100-01-01, as PHP's JSON_UNESCAPED_SLASHES writes it
    (entry,) = send_message(http, client.license_key, ScheduledDateTime=later)
    assert entry["MessageStatus"] == 201
    cancelled = http.get("/Messaging.svc/CancelMessage", params={"MessageID": entry["MessageID"]}, headers=JSON)
    assert cancelled.json() is True
    assert read_status(http, client.license_key, entry["MessageID"])["MessageStatus"] == 507


def test_a_reply_is_read_once_by_either_read_operation(http: httpx.Client, client: FakeCdyneClient) -> None:
    key = client.license_key
    (entry,) = send_message(http, key, ReferenceID="visit-7")
    client.incoming("7575449510", "yes")
    (reply,) = read_incoming(http, key, UnreadMessagesOnly=True)
    assert (reply["Payload"], reply["OutgoingMessageID"], reply["From"]) == ("yes", entry["MessageID"], MOBILE)
    assert list(reply) == [
        "Attachments", "From", "IncomingMessageID", "OutgoingMessageID", "Payload", "ReceivedDate", "Subject",
        "To", "Udh",
    ]  # fmt: skip
    assert read_incoming(http, key, UnreadMessagesOnly=True) == []
    unread = http.get("/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": key}, headers=JSON)
    assert unread.json() == []
    client.incoming("7575449510", "and again")
    unread = http.get("/Messaging.svc/GetUnreadIncomingMessages", params={"LicenseKey": key}, headers=JSON)
    assert [m["Message"] for m in unread.json()] == ["and again"]
    assert read_incoming(http, key, UnreadMessagesOnly=True) == []
    assert [m["Payload"] for m in read_incoming(http, key, ReferenceID="visit-7")] == ["yes", "and again"]


def test_stop_is_unsubscribed_and_refuses_the_next_send(http: httpx.Client, client: FakeCdyneClient) -> None:
    key = client.license_key
    send_message(http, key)
    client.incoming("7575449510", "STOP")
    reply = http.get("/Messaging.svc/GetUnsubscribedNumbers", params={"LicenseKey": key}, headers=JSON)
    (entry,) = reply.json()
    assert entry["PhoneNumber"] == MOBILE
    assert re.fullmatch(r"/Date\(\d+-0[45]00\)/", entry["EntryDate"])
    (refused,) = send_message(http, key, "7575449510")
    assert (refused["MessageStatus"], refused["MessageID"]) == (403, ZERO_GUID)
    client.incoming("7575449510", "RESUME")
    assert http.get("/Messaging.svc/GetUnsubscribedNumbers", params={"LicenseKey": key}, headers=JSON).json() == []


def test_sms_sent_and_response_postbacks(
    http: httpx.Client, client: FakeCdyneClient, receiver: PostbackReceiver
) -> None:
    (entry,) = send_message(http, client.license_key, PostbackUrl=receiver.url + "/cdyne", ReferenceID="r1")
    (sent,) = receiver.wait_for(1)
    assert sent.text.startswith(f"SMSSent=1&MessageID={entry['MessageID']}&ReferenceID=r1&FromPhoneNumber=")
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.headers["user-agent"] == "CDYNE SMSv2"
    text = client.incoming("7575449510", "ok thanks")
    reply = receiver.wait_for(2)[1]
    assert reply.text.startswith(
        f"SMSResponse=1&MessageID={text.incoming_message_id}&MatchedMessageID={entry['MessageID']}&ReferenceID=r1"
    )
    assert reply.text.endswith("&Message=ok+thanks")


def test_settings_give_the_target_when_the_message_has_none(
    http: httpx.Client, client: FakeCdyneClient, receiver: PostbackReceiver
) -> None:
    key = client.license_key
    params = {"LicenseKey": key, "PostbackType": "OutgoingMessage", "Url": receiver.url + "/out"}
    assert http.get("/Messaging.svc/SetPostbackUrlForLicenseKey", params=params, headers=JSON).json() == 0
    (entry,) = send_message(http, key)
    (sent,) = receiver.wait_for(1)
    assert sent.path == "/out"
    assert sent.form["MessageID"] == entry["MessageID"]
    assert client.wait_for_postbacks(1)[0].kind == "sent"


def test_delivery_receipts_when_enabled(start_fake: StartFake, receiver: PostbackReceiver) -> None:
    http = start_fake(delivery_receipts=True).http
    key = "2c0e7e7e-1b4f-4a43-9e55-0a7d1f6f0001"
    (entry,) = send_message(http, key, PostbackUrl=receiver.url, UseMMS=True, Attachments=["https://x/a.png"])
    posts = receiver.wait_for(3)
    assert [p.kind for p in posts] == ["sent", "receipt", "receipt"]
    assert posts[0].text.startswith(f"MMSSent=1&MessageID={entry['MessageID']}&")
    assert posts[1].text.endswith("&DeliveryReceiptMessage=DeliveredToCarrier&Code=003")
    assert posts[2].text.endswith("&DeliveryReceiptMessage=DeliveredToDevice&Code=000")
    assert read_status(http, key, entry["MessageID"])["Attachments"] == entry["Attachments"]
    assert re.fullmatch(r"\d+", entry["Attachments"])


def test_a_ready_file_answers_its_status_on_the_wire(http: httpx.Client, client: FakeCdyneClient) -> None:
    client.use_scenario({"rules": [{"match": {"operation": "SendMessage"}, "outcome": {"message_status": "Hold"}}]})
    (entry,) = send_message(http, client.license_key)
    assert entry["MessageStatus"] == 0
    assert read_status(http, client.license_key, entry["MessageID"])["MessageStatus"] == 0
    sent = client.assert_sent(MOBILE, "Hello")
    assert (sent.message_status, sent.state) == ("Hold", "queued")


def test_an_incoming_mms_is_read_with_its_media(
    http: httpx.Client, client: FakeCdyneClient, receiver: PostbackReceiver
) -> None:
    key = client.license_key
    send_message(http, key, PostbackUrl=receiver.url)
    picture = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    text = client.incoming("7575449510", "look", subject="Pic", attachments=[("a.png", "", picture)])
    assert (text.subject, len(text.attachments)) == ("Pic", 1)
    (_, response) = receiver.wait_for(2)
    assert response.text.startswith(f"MMSResponse=1&MessageID={text.incoming_message_id}&")
    assert response.kind == "reply"
    (found,) = read_incoming(http, key)
    assert (found["Subject"], found["Attachments"], found["Payload"]) == ("Pic", list(text.attachments), "look")
    media = http.get(
        "/Messaging.svc/GetMedia", params={"LicenseKey": key, "MediaId": found["Attachments"][0]}, headers=JSON
    )
    assert base64.b64decode(media.json()) == picture


@pytest.mark.parametrize(
    ("scheduled", "status"),
    [
        (r"\/Date(1924992000000)\/", 201),  # UTC (no offset): Ready, scheduled
        (r"\/Date(1924992000000-0500)\/", 405),  # with an offset: InvalidDateTime
        ("/Date(1924992000000+0000)/", 405),  # an offset, even +0000 (WCF's Kind is Local)
    ],
)
def test_a_scheduled_date_not_in_utc_is_invalid_date_time(
    http: httpx.Client, client: FakeCdyneClient, scheduled: str, status: int
) -> None:
    members = f'"Body":"Later","LicenseKey":"{client.license_key}","To":["{MOBILE}"],"UseMMS":false'
    body = f'{{{members},"ScheduledDateTime":"{scheduled}"}}'
    reply = http.post("/Messaging.svc/SendMessage", content=body, headers={**JSON, "Content-Type": "application/json"})
    assert reply.status_code == 200, reply.text
    assert [entry["MessageStatus"] for entry in reply.json()] == [status]


def test_an_xml_scheduled_date_needs_its_z(http: httpx.Client, client: FakeCdyneClient) -> None:
    def send_at(when: str) -> str:
        body = (
            '<OutgoingMessageRequest xmlns="http://sms2.cdyne.com"><Body>Later</Body>'
            f"<LicenseKey>{client.license_key}</LicenseKey><ScheduledDateTime>{when}</ScheduledDateTime>"
            f'<To><string xmlns="http://schemas.microsoft.com/2003/10/Serialization/Arrays">{MOBILE}</string></To>'
            "<UseMMS>false</UseMMS></OutgoingMessageRequest>"
        )
        reply = http.post("/Messaging.svc/SendMessage", content=body, headers={"Content-Type": "text/xml"})
        assert reply.status_code == 200, reply.text
        found = re.search(r"<MessageStatus>(\w+)</MessageStatus>", reply.text)
        assert found is not None, reply.text
        return found[1]

    assert send_at("2031-01-01T00:00:00Z") == "Ready"
    assert send_at("2031-01-01T00:00:00") == "InvalidDateTime"
