"""/Messaging.svc over REST, what it refuses (the contract's §6: WCF's 400 "Request Error" page, 404,
405), how it matches paths, query names and enum values, the WebPost twins' bare GUID bodies, and the
sms2 operations answering there exactly as on /sms.svc."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from fake_cdyne import FakeServer

from ..conftest import ZERO_GUID, without_ids
from .conftest import (
    SAMPLE_ID,
    SMS2,
    Recorder,
    request_error,
)

# ---- refusals (messaging-contract.md §6) ------------------------------------------------------------

KEY = str(SAMPLE_ID)


@pytest.mark.parametrize(
    "body",
    [
        '{"LicenseKey":"' + KEY + '","To":["17575559999"],"Subject":"",,"UseMMS":false}',  # C4's malformed JSON
        '{"LicenseKey":"not-a-guid","To":["17575559999"],"UseMMS":false}',
        '{"LicenseKey":"' + KEY + '","To":"17575559999","UseMMS":false}',  # C2's oldest version: To a string
        '{"LicenseKey":"' + KEY + '","To":["17575559999"],"UseMMS":"false"}',
        '{"LicenseKey":"' + KEY + '","To":["1"],"UseMMS":false,"ScheduledDateTime":"2020-05-31T11:20:00Z"}',
        '{"To":["17575559999"],"UseMMS":false}',  # LicenseKey required
        '{"LicenseKey":"' + KEY + '","UseMMS":false}',  # To required
        '{"LicenseKey":"' + KEY + '","To":["17575559999"]}',  # UseMMS required
        '{"licensekey":"' + KEY + '","To":["17575559999"],"UseMMS":false}',  # member names are case-sensitive
        '{"LicenseKey":null,"To":["17575559999"],"UseMMS":false}',
        '["not an object"]',
        "null",
        "",
    ],
)
def test_what_cannot_be_read_is_the_request_error_page(web: httpx.Client, rec: Recorder, body: str) -> None:
    reply = web.post("/SendMessage", content=body, headers={"Content-Type": "application/json"})
    request_error(reply)
    assert rec.calls == []


@pytest.mark.parametrize(
    ("op", "body"),
    [
        ("CreateMediaFromContent", {"Base64EncodedContent": "QUJD", "LicenseKey": KEY}),  # Filename required
        ("CreateMediaFromUrl", {"Filename": "a.jpg", "LicenseKey": KEY}),  # Url required
        ("GetMediaInfo", {"MediaId": 1}),
        ("GetMediaInfo", {"LicenseKey": KEY, "MediaId": "1"}),
        ("GetMediaInfo", {"LicenseKey": KEY, "PageSize": 2**31}),
        ("AssignKeyword", {"LicenseKey": KEY, "SMSKeywords": {"Keyword": "x"}}),
        ("ReadIncomingMessages", {"LicenseKey": KEY, "StartDate": "/Date(abc)/"}),
    ],
)
def test_members_of_other_types_are_checked_too(web: httpx.Client, rec: Recorder, op: str, body: Any) -> None:
    request_error(web.post(f"/{op}", json=body))
    assert rec.calls == []


def test_xml_bodies_are_checked_alike(web: httpx.Client, rec: Recorder) -> None:
    xml = {"Content-Type": "text/xml; charset=utf-8"}
    missing = f'<OutgoingMessageRequest xmlns="{SMS2}"><LicenseKey>{KEY}</LicenseKey></OutgoingMessageRequest>'
    request_error(web.post("/SendMessage", content=missing, headers=xml))
    wrong_root = f'<SendMessage xmlns="{SMS2}"><LicenseKey>{KEY}</LicenseKey></SendMessage>'
    request_error(web.post("/SendMessage", content=wrong_root, headers=xml))
    bad_enum = (
        f'<SMSKeywordRequest xmlns="{SMS2}"><LicenseKey>{KEY}</LicenseKey><SMSKeywords><KeywordRequestInfo>'
        "<Keyword>A</Keyword><ShortCode>12345</ShortCode><Extra/></KeywordRequestInfo></SMSKeywords></SMSKeywordRequest>"
    )
    assert web.post("/AssignKeyword", content=bad_enum, headers=xml).status_code == 200  # unknown members: ignored
    (request,) = rec.last("assign_keyword")
    assert request == {"LicenseKey": SAMPLE_ID, "SMSKeywords": [{"Keyword": "A", "ShortCode": "12345"}]}
    request_error(web.post("/AssignKeyword", content="<SMSKeywordRequest", headers=xml))
    dtd = '<!DOCTYPE x [<!ENTITY e "e">]><SMSKeywordRequest xmlns="http://sms2.cdyne.com"/>'
    request_error(web.post("/AssignKeyword", content=dtd, headers=xml))


def test_a_body_neither_xml_nor_json_is_a_400(web: httpx.Client, rec: Recorder) -> None:
    request_error(web.post("/SendMessage", content="LicenseKey=x", headers={"Content-Type": "text/plain"}))
    request_error(web.post("/SendMessage", content="{}"))  # no Content-Type at all


def test_query_values(web: httpx.Client, rec: Recorder) -> None:
    request_error(web.get("/GetMedia", params={"LicenseKey": KEY, "MediaId": "ten"}))
    request_error(web.get("/ReadMessageStatus", params={"LicenseKey": KEY, "MessageId": "nope"}))
    request_error(web.get("/SetPostbackUrlForLicenseKey", params={"LicenseKey": KEY, "PostbackType": "Nope"}))
    request_error(web.get("/SetPostbackEnabledForLicenseKey", params={"LicenseKey": KEY, "Enabled": "yes"}))
    assert rec.calls == []
    web.get("/ReadMessageStatus")  # a missing GUID is the all-zero GUID: the operation's business error
    assert rec.last("read_message_status") == (uuid.UUID(int=0), uuid.UUID(int=0))


@pytest.mark.parametrize(
    ("given", "read"),
    [("All", "All"), ("outgoingmessage", "OutgoingMessage"), ("0", "All"), ("3", "OutgoingMessage"), ("7", "7")],
)
def test_enum_query_values_by_name_in_any_case_or_number(
    web: httpx.Client, rec: Recorder, given: str, read: str
) -> None:
    web.get(f"/SetPostbackUrlForLicenseKey?LicenseKey={KEY}&PostBackType={given}&Url=http://h/x")  # C3 spells it so
    assert rec.last("set_postback_url_for_license_key") == (SAMPLE_ID, read, "http://h/x")


def test_every_query_parameter_in_wrapper_order(web: httpx.Client, rec: Recorder) -> None:
    web.get(
        "/setpostbackenabledforphonenumber?ENABLED=True&country=US&phonenumber=7575550000&postbacktype=2"
        f"&licensekey={KEY}&unknown=1"
    )
    assert rec.last("set_postback_enabled_for_phone_number") == (SAMPLE_ID, "7575550000", "US", "IncomingMessage", True)
    web.get(f"/GetPostbackSettingsForPhoneNumber?LicenseKey={KEY}&PhoneNumber=7575550000")
    assert rec.last("get_postback_settings_for_phone_number") == (SAMPLE_ID, "7575550000", None)
    web.get(f"/RemoveMedia?LicenseKey={KEY}&MediaId=9223372036854775807")
    assert rec.last("remove_media") == (SAMPLE_ID, 2**63 - 1)


# ---- paths, verbs, WebPost twins ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/Messaging.svc/GetKeywords", "/messaging.svc/getkeywords", "/Messaging.svc/SecureREST/GETKEYWORDS"]
)
def test_paths_match_in_any_case(wire: tuple[FakeServer, Recorder], rec: Recorder, path: str) -> None:
    reply = httpx.get(f"{wire[0].url}{path}", params={"licensekey": KEY})
    assert reply.status_code == 200
    assert rec.last("get_keywords") == (SAMPLE_ID,)


def test_wrong_verbs_and_unknown_operations(web: httpx.Client) -> None:
    post_only = web.get("/SendMessage")
    assert (post_only.status_code, post_only.headers["allow"]) == (405, "POST")
    get_only = web.post("/ReadMessageStatus", json={})
    assert (get_only.status_code, get_only.headers["allow"]) == (405, "GET")
    twin_only = web.get("/GetKeywordsWebPost")
    assert (twin_only.status_code, twin_only.headers["allow"]) == (405, "POST")
    both = web.put("/GetKeywords")
    assert (both.status_code, both.headers["allow"]) == (405, "POST, GET")
    unknown = web.get("/Nope")
    assert unknown.status_code == 404
    assert "SendMessage" in unknown.text


@pytest.mark.parametrize("path", ["/GetKeywords", "/GetKeywordsWebPost", "/getkeywordswebpost"])
@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (f'"{KEY}"', "application/json"),  # CD:methods/GetKeywords's "JSON POST Request"
        (f'{{"LicenseKey":"{KEY}"}}', "application/json"),
        (f'<guid xmlns="http://schemas.microsoft.com/2003/10/Serialization/">{KEY}</guid>', "text/xml"),
    ],
)
def test_web_post_twins_take_the_bare_guid(
    web: httpx.Client, rec: Recorder, path: str, content: str, content_type: str
) -> None:
    reply = web.post(path, content=content, headers={"Content-Type": content_type})
    assert reply.status_code == 200
    assert rec.last("get_keywords") == (SAMPLE_ID,)


def test_a_web_post_body_that_is_no_guid(web: httpx.Client) -> None:
    request_error(web.post("/GetKeywords", content='"abc"', headers={"Content-Type": "application/json"}))
    request_error(web.post("/GetKeywords", content="42", headers={"Content-Type": "application/json"}))
    wrong = f'<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/">{KEY}</string>'
    request_error(web.post("/GetKeywords", content=wrong, headers={"Content-Type": "text/xml"}))


# ---- the sms2 operations, unchanged ---------------------------------------------------------------


def test_an_sms2_operation_answers_on_messaging_as_on_sms_svc(wire: tuple[FakeServer, Recorder], key: str) -> None:
    url = wire[0].url
    params = {"PhoneNumber": "7575449510", "Message": "Hi", "LicenseKey": key}
    for accept in ("application/xml", "application/json"):
        sms2 = httpx.get(f"{url}/sms.svc/SimpleSMSsend", params=params, headers={"Accept": accept})
        messaging = httpx.get(f"{url}/Messaging.svc/SimpleSMSsend", params=params, headers={"Accept": accept})
        assert (messaging.status_code, messaging.headers["content-type"]) == (200, sms2.headers["content-type"])
        assert without_ids(messaging.text) == without_ids(sms2.text)
    sent = httpx.get(f"{url}/Messaging.svc/SimpleSMSsend", params=params).text
    message_id = sent.split("<MessageID>")[1].split("<")[0]
    by_get = httpx.get(f"{url}/Messaging.svc/GetMessageStatus", params={"MessageID": message_id})
    by_post = httpx.post(
        f"{url}/Messaging.svc/GetMessageStatus",
        content=f'"{message_id}"',
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    assert by_get.status_code == by_post.status_code == 200
    assert by_post.json()["MessageID"] == message_id
    assert f"<MessageID>{message_id}</MessageID>" in by_get.text
    unread = httpx.post(
        f"{url}/Messaging.svc/GetUnreadIncomingMessagesWebPost", json=key, headers={"Accept": "application/json"}
    )
    assert unread.text == "[]"
    cancel = httpx.post(f"{url}/Messaging.svc/CancelMessage", json=ZERO_GUID)
    assert cancel.text == '<boolean xmlns="http://schemas.microsoft.com/2003/10/Serialization/">false</boolean>'


def test_the_client_and_the_fixture_name_the_messaging_url(wire: tuple[FakeServer, Recorder]) -> None:
    from fake_cdyne import FakeCdyneClient

    with FakeCdyneClient(wire[0].url) as client:
        assert client.messaging_url == f"{wire[0].url}/Messaging.svc"
        assert httpx.get(f"{client.messaging_url}?wsdl").status_code == 200
