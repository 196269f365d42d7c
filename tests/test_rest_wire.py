"""The REST surface reproduces CDYNE's captured bodies byte for byte (IDs and dates aside)."""

from __future__ import annotations

import re

import httpx

from .conftest import DATA, ZERO_GUID, message_id, one_line, send, without_ids

DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?")

# Captured live bodies quoted in the contract (contract section 4).
LIVE_SEND_OK = (
    '<SMSResponse xmlns="http://sms2.cdyne.com" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">'
    "<Cancelled>false</Cancelled><MessageID>7fc7f083-d169-4bc6-8ac7-1beaa6f9da11</MessageID><Queued>true</Queued>"
    '<SMSError>NoError</SMSError><SMSIncomingMessages i:nil="true"/><Sent>false</Sent>'
    "<SentDateTime>0001-01-01T00:00:00</SentDateTime></SMSResponse>"
)
LIVE_PHONE_INVALID = (
    '<SMSResponse xmlns="http://sms2.cdyne.com" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">'
    "<Cancelled>false</Cancelled><MessageID>00000000-0000-0000-0000-000000000000</MessageID><Queued>false</Queued>"
    '<SMSError>PhoneNumberInvalid</SMSError><SMSIncomingMessages i:nil="true"/><Sent>false</Sent>'
    "<SentDateTime>0001-01-01T00:00:00</SentDateTime></SMSResponse>"
)
LIVE_NO_INCOMING = (
    '<ArrayOfSMSIncomingMessage xmlns="http://sms2.cdyne.com" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"/>'
)
LIVE_JSON_KEY_INVALID = (
    '{"Cancelled":false,"MessageID":"402f481b-c420-481f-b129-7b2d8ce7cf0a","Queued":false,"SMSError":2,'
    '"SMSIncomingMessages":null,"Sent":false,"SentDateTime":"\\/Date(-62135578800000-0500)\\/"}'
)


def sample(name: str) -> str:
    return one_line((DATA / "cdyne4j" / name).read_text())


def test_send_accepted_is_the_live_body(http: httpx.Client, key: str) -> None:
    reply = send(http, key)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/xml; charset=utf-8"
    assert without_ids(reply.text) == without_ids(LIVE_SEND_OK)
    assert message_id(reply.text) != ZERO_GUID


def test_phone_number_invalid_is_the_live_body(http: httpx.Client, key: str) -> None:
    reply = send(http, key, phone="123")
    assert reply.text == LIVE_PHONE_INVALID


def test_no_unread_messages_is_the_live_body(http: httpx.Client, key: str) -> None:
    reply = http.get("/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": key})
    assert reply.text == LIVE_NO_INCOMING


def test_json_license_key_invalid_is_the_live_body(http: httpx.Client) -> None:
    params = {"PhoneNumber": "7575449510", "Message": "x", "LicenseKey": ZERO_GUID}
    reply = http.get("/sms.svc/SimpleSMSsend", params=params, headers={"Accept": "application/json"})
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    assert without_ids(reply.text) == without_ids(LIVE_JSON_KEY_INVALID)
    assert reply.json()["MessageID"] != ZERO_GUID


def test_cdyne4j_simple_send_capture(http: httpx.Client, key: str) -> None:
    reply = http.get("/sms.svc/SimpleSMSsend", params={"PhoneNumber": "5555551212", "Message": "m", "LicenseKey": key})
    assert without_ids(reply.text) == without_ids(sample("SimpleSMSSendRs.xml"))


def test_cdyne4j_advanced_send_capture(http: httpx.Client, key: str) -> None:
    body = (DATA / "cdyne4j" / "AdvancedSMSSendRq.xml").read_text().replace("fake-license-key", key)
    reply = http.post("/sms.svc/AdvancedSMSsend", content=body, headers={"Content-Type": "text/xml"})
    assert reply.status_code == 200
    assert without_ids(reply.text) == without_ids(sample("AdvancedSMSSendRs.xml"))


def test_cdyne4j_status_capture_after_sending(http: httpx.Client, key: str) -> None:
    sent = send(http, key)
    reply = http.get("/sms.svc/GetMessageStatus", params={"MessageID": message_id(sent.text)})
    expected = DATE.sub("DATE", without_ids(sample("GetMessageStatusRs.xml")))
    assert DATE.sub("DATE", without_ids(reply.text)) == expected
    sent_at = re.search(r"<SentDateTime>([^<]*)</SentDateTime>", reply.text)
    assert sent_at
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,2}[1-9])?", sent_at[1])


def test_cdyne4j_incoming_capture(http: httpx.Client, key: str) -> None:
    http.put(f"/_fake/accounts/{key}", json={"dids": ["15555552121"]}).raise_for_status()
    send(http, key, phone="5555551212")
    http.post(
        "/_fake/incoming", json={"license_key": key, "from": "15555551212", "message": "Test Response"}
    ).raise_for_status()
    reply = http.get("/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": key})
    expected = DATE.sub("DATE", without_ids(sample("GetUnreadIncomingMessagesRs.xml")))
    assert DATE.sub("DATE", without_ids(reply.text)) == expected


def test_reference_id_is_echoed_and_left_out_when_null(http: httpx.Client, key: str) -> None:
    body = {
        "LicenseKey": key,
        "SMSRequests": [
            {"Message": "a", "PhoneNumbers": ["7575449510", 7575449511], "ReferenceID": "order/42"},
            {"Message": "b", "PhoneNumbers": ["7575449512"], "ReferenceID": ""},
            {"Message": "c", "PhoneNumbers": ["7575449513"]},
        ],
    }
    as_json = http.post("/sms.svc/AdvancedSMSsend", json=body, headers={"Accept": "application/json"})
    assert [r.get("ReferenceID") for r in as_json.json()] == ["order/42", "order/42", "", None]
    assert '"ReferenceID":"order\\/42"' in as_json.text  # WCF escapes every slash
    as_xml = http.post("/sms.svc/AdvancedSMSsend", json=body, headers={"Accept": "application/xml"})
    assert as_xml.text.count("<ReferenceID>order/42</ReferenceID>") == 2
    assert "<ReferenceID></ReferenceID>" in as_xml.text
    assert as_xml.text.count("<ReferenceID>") == 3


def test_status_by_reference_lists_each_message_with_its_replies(http: httpx.Client, key: str) -> None:
    body = {
        "LicenseKey": key,
        "SMSRequests": [{"Message": "a", "PhoneNumbers": ["7575449510", "7575449511"], "ReferenceID": "r1"}],
    }
    http.post("/sms.svc/AdvancedSMSsend", json=body).raise_for_status()
    http.post("/_fake/incoming", json={"license_key": key, "from": "7575449511", "message": "yes"}).raise_for_status()
    reply = http.get("/sms.svc/GetMessageStatusByReferenceID", params={"ReferenceID": "r1", "LicenseKey": key})
    assert reply.text.count("<SMSResponse>") == 2
    assert reply.text.count("<SMSIncomingMessages/>") == 1
    assert reply.text.count("<SMSIncomingMessage>") == 1
    assert "<Message>yes</Message>" in reply.text
    none = http.get("/sms.svc/GetMessageStatusByReferenceID", params={"ReferenceID": "other", "LicenseKey": key})
    assert none.text.endswith('xmlns:i="http://www.w3.org/2001/XMLSchema-instance"/>')
    assert none.text.startswith("<ArrayOfSMSResponse ")


def test_json_status_with_replies_and_wcf_dates(http: httpx.Client, key: str) -> None:
    sent = send(http, key)
    http.post("/_fake/incoming", json={"license_key": key, "from": "17575449510", "message": "a/b"}).raise_for_status()
    reply = http.get(
        "/sms.svc/GetMessageStatus", params={"MessageID": message_id(sent.text)}, headers={"Accept": "application/json"}
    )
    status = reply.json()
    assert list(status) == [
        "Cancelled",
        "MessageID",
        "Queued",
        "SMSError",
        "SMSIncomingMessages",
        "Sent",
        "SentDateTime",
    ]
    assert status["Sent"] is True
    assert status["SMSError"] == 0
    assert re.fullmatch(r"/Date\(\d+-0[45]00\)/", status["SentDateTime"])
    (incoming,) = status["SMSIncomingMessages"]
    assert list(incoming) == [
        "FromPhoneNumber",
        "IncomingMessageID",
        "MatchedMessageID",
        "Message",
        "ResponseReceiveDate",
        "ToPhoneNumber",
    ]
    assert incoming["MatchedMessageID"] == message_id(sent.text)
    assert '"Message":"a\\/b"' in reply.text


def test_cancel_message_boolean_in_both_formats(http: httpx.Client) -> None:
    xml = http.get("/sms.svc/CancelMessage", params={"MessageID": ZERO_GUID})
    assert xml.text == '<boolean xmlns="http://schemas.microsoft.com/2003/10/Serialization/">false</boolean>'
    as_json = http.get(
        "/sms.svc/CancelMessage", params={"MessageID": ZERO_GUID}, headers={"Accept": "application/json"}
    )
    assert as_json.text == "false"


def test_incoming_text_is_escaped_for_xml(http: httpx.Client, key: str) -> None:
    send(http, key)
    text = "a<b & c>\r\n\x01"
    http.post("/_fake/incoming", json={"license_key": key, "from": "17575449510", "message": text}).raise_for_status()
    reply = http.get("/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": key})
    assert "<Message>a&lt;b &amp; c&gt;&#xD;\n\ufffd</Message>" in reply.text
