"""/Messaging.svc over SOAP: real SOAP clients built from the served ``?wsdl`` (zeep over the SOAP 1.1
and SOAP 1.2 + WS-Addressing bindings; PHP's SoapClient where ``php`` with its soap extension is
installed) call Messaging operations and an sms2 one, and envelopes, results and faults are as WCF
shapes them (the contract's §3.1 examples)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import zeep

from fake_cdyne import FakeServer

from .conftest import CONTENT, SAMPLE_DATE, SAMPLE_ID, SMS2, Recorder

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
KEY = str(SAMPLE_ID)
BINDINGS = ["mms2SOAPbasicHttpBinding", "mms2SOAPbasicHttpsBinding", "mms2wsHttpBinding", "mms2wsHttpBindingSecure"]


@pytest.fixture(scope="module")
def soap_client(wire: tuple[FakeServer, Recorder]) -> zeep.Client:
    return zeep.Client(f"{wire[0].url}/Messaging.svc?wsdl")


def post11(url: str, action: str, body: str, contract: str = "IMessaging") -> httpx.Response:
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SMS2}/{contract}/{action}"'}
    envelope = f'<s:Envelope xmlns:s="{SOAP11}"><s:Body>{body}</s:Body></s:Envelope>'
    return httpx.post(f"{url}/Messaging.svc/Soap", content=envelope, headers=headers)


@pytest.mark.parametrize("binding", BINDINGS)
def test_zeep_sends_a_message_and_reads_its_answer(soap_client: zeep.Client, rec: Recorder, binding: str) -> None:
    service = soap_client.bind("Messaging", binding)
    rec.answers["send_message"] = [
        {"From": "17575550000", "MessageID": SAMPLE_ID, "MessageStatus": "Ready", "To": "17575559999"},
        {"MessageStatus": "InvalidDestination", "To": "1"},
    ]
    answer = service.SendMessage(
        Request={"LicenseKey": KEY, "To": {"string": ["17575559999", "1"]}, "Body": "Hi", "UseMMS": False}
    )
    assert [(r.MessageStatus, r.To, r.Attachments) for r in answer] == [
        ("Ready", "17575559999", None),
        ("InvalidDestination", "1", None),
    ]
    assert answer[0].MessageID == KEY
    assert answer[1].MessageID == "00000000-0000-0000-0000-000000000000"
    (request,) = rec.last("send_message")
    assert (request["LicenseKey"], request["To"], request["Body"], request["UseMMS"]) == (
        SAMPLE_ID,
        ["17575559999", "1"],
        "Hi",
        False,
    )
    assert (request["Attachments"], request["Subject"], request["IsUnicode"]) == (None, None, False)


@pytest.mark.parametrize("binding", ["mms2SOAPbasicHttpBinding", "mms2wsHttpBinding"])
def test_zeep_reads_every_kind_of_result(soap_client: zeep.Client, rec: Recorder, binding: str) -> None:
    service = soap_client.bind("Messaging", binding)
    rec.answers["get_keywords"] = {
        "ReturnCode": "NoError",
        "SMSKeyword": [
            {"EntryDate": SAMPLE_DATE, "Keyword": CONTENT, "ReturnCode": "KeywordAdded", "ShortCode": "55555"}
        ],
    }
    keywords = service.GetKeywords(LicenseKey=KEY)
    assert keywords.ReturnCode == "NoError"
    (keyword,) = keywords.SMSKeyword.KeywordResponseInfo
    assert (keyword.Keyword, keyword.ReturnCode, keyword.EntryDate.replace(tzinfo=None)) == (
        CONTENT,
        "KeywordAdded",
        SAMPLE_DATE.replace(tzinfo=None),
    )
    rec.answers["set_postback_url_for_license_key"] = "InvalidUrl"
    assert service.SetPostbackUrlForLicenseKey(LicenseKey=KEY, PostbackType="OutgoingMessage", Url="x") == "InvalidUrl"
    assert rec.last("set_postback_url_for_license_key") == (SAMPLE_ID, "OutgoingMessage", "x")
    rec.answers["get_media"] = "QUJD"
    assert service.GetMedia(LicenseKey=KEY, MediaId=10000001) == "QUJD"
    assert rec.last("get_media") == (SAMPLE_ID, 10000001)
    rec.answers["get_media"] = None
    assert service.GetMedia(LicenseKey=KEY, MediaId=1) is None
    rec.answers["remove_media"] = True
    assert service.RemoveMedia(LicenseKey=KEY, MediaId=1) is True
    rec.answers["read_incoming_messages"] = [
        {"Attachments": [10000001, 10000005], "IncomingMessageID": SAMPLE_ID, "Payload": "Hi", "Udh": b"\x05\x00\x03"}
    ]
    (incoming,) = service.ReadIncomingMessages(Criteria={"LicenseKey": KEY, "UnreadMessagesOnly": True})
    assert (incoming.Attachments.long, incoming.Udh, incoming.Payload, incoming.From) == (
        [10000001, 10000005],
        b"\x05\x00\x03",
        "Hi",
        None,
    )
    assert rec.last("read_incoming_messages")[0]["UnreadMessagesOnly"] is True
    rec.answers["get_postback_settings_for_license_key"] = []
    assert not service.GetPostbackSettingsForLicenseKey(LicenseKey=KEY)
    rec.answers["get_media_info"] = None
    assert service.GetMediaInfo(criteria={"LicenseKey": KEY}) is None


def test_zeep_calls_an_sms2_operation_on_messaging(soap_client: zeep.Client, key: str) -> None:
    service = soap_client.bind("Messaging", "mms2wsHttpBinding")
    sent = service.SimpleSMSsend(PhoneNumber="7575449510", Message="Hello", LicenseKey=key)
    assert (sent.SMSError, sent.Queued) == ("NoError", True)
    assert service.CancelMessageWebPost(MessageID=sent.MessageID) is False
    assert service.GetMessageStatusWebPost(MessageID=sent.MessageID).MessageID == sent.MessageID


# ---- envelopes and faults ---------------------------------------------------------------------------


def test_a_scalar_result_sits_in_op_result(wire: tuple[FakeServer, Recorder], rec: Recorder) -> None:
    rec.answers["set_postback_url_for_license_key"] = "NoError"
    body = (
        f'<SetPostbackUrlForLicenseKey xmlns="{SMS2}"><LicenseKey>{KEY}</LicenseKey><PostbackType>All</PostbackType>'
        "<Url>http://h/x</Url></SetPostbackUrlForLicenseKey>"
    )
    reply = post11(wire[0].url, "SetPostbackUrlForLicenseKey", body, contract="Isms")
    assert reply.text == (  # messaging-contract.md §3.1: "<SetPostbackUrlForLicenseKeyResult>NoError</…>"
        f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><SetPostbackUrlForLicenseKeyResponse xmlns="{SMS2}">'
        "<SetPostbackUrlForLicenseKeyResult>NoError</SetPostbackUrlForLicenseKeyResult>"
        "</SetPostbackUrlForLicenseKeyResponse></s:Body></s:Envelope>"
    )


def test_send_message_as_the_contracts_soap_example(wire: tuple[FakeServer, Recorder], rec: Recorder) -> None:
    rec.answers["send_message"] = [{"MessageID": SAMPLE_ID, "MessageStatus": "Ready", "To": "17575559999"}]
    arrays = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
    body = (  # §3.1's SOAP example
        f'<SendMessage xmlns="{SMS2}"><Request><Body>Hi</Body><LicenseKey>{KEY}</LicenseKey><To><string '
        f'xmlns="{arrays}">17575559999</string></To><UseMMS>false</UseMMS></Request></SendMessage>'
    )
    reply = post11(wire[0].url, "SendMessage", body)
    assert reply.status_code == 200
    assert reply.text == (
        f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><SendMessageResponse xmlns="{SMS2}">'
        f'<SendMessageResult xmlns:i="{XSI}"><OutgoingMessageResponse><Attachments i:nil="true"/>'
        f'<From i:nil="true"/><MessageID>{KEY}</MessageID><MessageStatus>Ready</MessageStatus>'
        "<SentTime>0001-01-01T00:00:00</SentTime><To>17575559999</To></OutgoingMessageResponse>"
        "</SendMessageResult></SendMessageResponse></s:Body></s:Envelope>"
    )


def test_soap12_answers_name_the_imessaging_action(wire: tuple[FakeServer, Recorder], rec: Recorder) -> None:
    rec.answers["get_unsubscribed_numbers"] = [{"EntryDate": SAMPLE_DATE, "PhoneNumber": "17575559999"}]
    headers = (
        f'<a:Action s:mustUnderstand="1">{SMS2}/IMessaging/GetUnsubscribedNumbers</a:Action>'
        "<a:MessageID>urn:uuid:1</a:MessageID>"
        f'<a:To s:mustUnderstand="1">{wire[0].url}/Messaging.svc/WS</a:To>'
    )
    body = f'<GetUnsubscribedNumbers xmlns="{SMS2}"><LicenseKey>{KEY}</LicenseKey></GetUnsubscribedNumbers>'
    envelope = (
        f'<s:Envelope xmlns:s="{SOAP12}" xmlns:a="{WSA}"><s:Header>{headers}</s:Header><s:Body>{body}</s:Body>'
        "</s:Envelope>"
    )
    reply = httpx.post(
        f"{wire[0].url}/Messaging.svc/WS", content=envelope, headers={"Content-Type": "application/soap+xml"}
    )
    assert reply.text == (
        f'<s:Envelope xmlns:s="{SOAP12}" xmlns:a="{WSA}"><s:Header><a:Action s:mustUnderstand="1">'
        f"{SMS2}/IMessaging/GetUnsubscribedNumbersResponse</a:Action><a:RelatesTo>urn:uuid:1</a:RelatesTo>"
        f'</s:Header><s:Body><GetUnsubscribedNumbersResponse xmlns="{SMS2}"><GetUnsubscribedNumbersResult '
        f'xmlns:i="{XSI}"><UnsubscribedNumber><EntryDate>1999-05-31T11:20:00</EntryDate><PhoneNumber>17575559999'
        "</PhoneNumber></UnsubscribedNumber></GetUnsubscribedNumbersResult></GetUnsubscribedNumbersResponse>"
        "</s:Body></s:Envelope>"
    )


@pytest.mark.parametrize(
    ("action", "body", "subcode"),
    [
        (
            "SendMessage",
            f'<SendMessage xmlns="{SMS2}"><Request><Body>x</Body></Request></SendMessage>',
            "a:DeserializationFailed",
        ),
        ("SendMessage", f'<SendMessage xmlns="{SMS2}"/>', "a:DeserializationFailed"),
        (
            "GetMedia",
            f'<GetMedia xmlns="{SMS2}"><LicenseKey>{KEY}</LicenseKey><MediaId>x</MediaId></GetMedia>',
            "a:DeserializationFailed",
        ),
        ("Nope", f'<SendMessage xmlns="{SMS2}"/>', "a:ActionNotSupported"),
    ],
)
def test_faults(wire: tuple[FakeServer, Recorder], rec: Recorder, action: str, body: str, subcode: str) -> None:
    reply = post11(wire[0].url, action, body)
    assert reply.status_code == 500
    assert "<s:Fault><faultcode " in reply.text
    assert subcode in reply.text
    assert rec.calls == []


def test_the_wrong_soap_version_is_415(wire: tuple[FakeServer, Recorder]) -> None:
    reply = httpx.post(f"{wire[0].url}/Messaging.svc/WS", content="<x/>", headers={"Content-Type": "text/xml"})
    assert reply.status_code == 415
    assert httpx.get(f"{wire[0].url}/Messaging.svc/Soap").status_code == 405


# ---- PHP's SoapClient ------------------------------------------------------------------------------

PHP = """<?php
$client = new SoapClient($argv[1] . '?wsdl', ['soap_version' => SOAP_1_1, 'cache_wsdl' => WSDL_CACHE_NONE]);
$sent = $client->SendMessage(['Request' => [
    'LicenseKey' => $argv[2], 'To' => ['string' => ['17575559999']], 'Body' => 'Hi', 'UseMMS' => false]]);
$status = $client->ReadMessageStatus(['LicenseKey' => $argv[2], 'MessageId' => $argv[2]]);
echo json_encode([
    'send' => $sent->SendMessageResult->OutgoingMessageResponse->MessageStatus,
    'status' => $status->ReadMessageStatusResult->MessageStatus,
    'simple' => $client->SimpleSMSsend(['PhoneNumber' => '7575449510', 'Message' => 'x', 'LicenseKey' => $argv[3]])
        ->SimpleSMSsendResult->SMSError,
]);
"""


def test_phps_soap_client(wire: tuple[FakeServer, Recorder], rec: Recorder, key: str, tmp_path: Path) -> None:
    if shutil.which("php") is None:
        pytest.skip("php is not installed")
    modules = subprocess.run(["php", "-m"], capture_output=True, text=True, timeout=60).stdout.split()
    if "soap" not in modules:
        pytest.skip("php has no soap extension")
    rec.answers["send_message"] = [{"MessageID": SAMPLE_ID, "MessageStatus": "Ready", "To": "17575559999"}]
    rec.answers["read_message_status"] = {"MessageID": SAMPLE_ID, "MessageStatus": "Sent"}
    script = tmp_path / "client.php"
    script.write_text(PHP, encoding="utf-8")
    done = subprocess.run(
        ["php", str(script), f"{wire[0].url}/Messaging.svc", KEY, key], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == '{"send":"Ready","status":"Sent","simple":"NoError"}'
    (request,) = rec.last("send_message")
    assert (request["To"], request["Body"], request["UseMMS"]) == (["17575559999"], "Hi", False)


def test_a_soap12_envelope_at_the_soap11_endpoint_is_a_version_mismatch(wire: tuple[FakeServer, Recorder]) -> None:
    envelope = f'<s:Envelope xmlns:s="{SOAP12}"><s:Body><GetKeywords xmlns="{SMS2}"/></s:Body></s:Envelope>'
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SMS2}/Isms/GetKeywords"'}
    reply = httpx.post(f"{wire[0].url}/Messaging.svc/Soap", content=envelope, headers=headers)
    assert reply.status_code == 500
    assert "<faultcode>s:VersionMismatch</faultcode>" in reply.text
