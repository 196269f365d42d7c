"""/Messaging.svc over REST: CDYNE's own metadata documents served with the fake's addresses, answers
byte for byte as the service's WCF help pages show them, and requests read as the value model the
operations take (refusals: test_refusals.py).

The Messaging operations' behaviour is not tested here: a fake of this module's own answers through a
recording stand-in for ``service.messaging`` (conftest.py), so the wire is checked against CDYNE's
examples alone.
Expected bytes come from ``messaging.cdyne.com/messaging.svc/help/operations/<Op>`` ([H:Op] in the
contract), CDYNE's XSDs and the contract's examples.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from lxml import etree

from fake_cdyne import FakeServer
from fake_cdyne.messaging.codec import given_as_utc

from ..conftest import one_line
from .conftest import (
    ARRAYS,
    REFERENCE,
    SAMPLE_DATE,
    SAMPLE_ID,
    SMS2,
    XSI,
    Recorder,
    xml_example,
)

# ---- metadata ------------------------------------------------------------------------------------

DOCUMENTS = {
    "wsdl": "Messaging1.wsdl",
    "wsdl=wsdl0": "Messaging.wsdl",
    "xsd=xsd0": "Messaging1.xsd",
    "xsd=xsd1": "Messaging.xsd",
    "xsd=xsd2": "Messaging3.xsd",
    "xsd=xsd3": "Messaging2.xsd",
}


def _reference(name: str, base: str) -> str:
    text = (REFERENCE / name).read_text(encoding="utf-8")
    for scheme in ("https", "http"):
        text = text.replace(f"{scheme}://messaging.cdyne.com/Messaging.svc", base)
    return text


@pytest.mark.parametrize("query", DOCUMENTS)
def test_the_documents_are_cdynes_files_but_for_the_addresses(wire: tuple[FakeServer, Recorder], query: str) -> None:
    base = f"{wire[0].url}/Messaging.svc"
    reply = httpx.get(f"{base}?{query}")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/xml; charset=utf-8"
    assert reply.text == _reference(DOCUMENTS[query], base)
    assert "messaging.cdyne.com/" not in reply.text


@pytest.mark.parametrize("url", ["/messaging.svc?WSDL", "/MESSAGING.SVC?Wsdl=WSDL0", "/Messaging.svc?XSD=XSD3"])
def test_metadata_names_match_in_any_case(wire: tuple[FakeServer, Recorder], url: str) -> None:
    reply = httpx.get(f"{wire[0].url}{url}")
    assert reply.status_code == 200
    assert reply.text.startswith('<?xml version="1.0" encoding="utf-8"?>')


def test_an_unknown_document_is_404_and_the_bare_path_a_page(wire: tuple[FakeServer, Recorder]) -> None:
    base = f"{wire[0].url}/Messaging.svc"
    assert httpx.get(f"{base}?xsd=xsd4").status_code == 404
    assert httpx.get(f"{base}?wsdl=wsdl9").status_code == 404
    page = httpx.get(base)
    assert page.status_code == 200
    assert "Messaging Service" in page.text


# ---- answers, byte for byte ------------------------------------------------------------------------

OUTGOING = {
    "Attachments": "String content",
    "From": "String content",
    "MessageID": SAMPLE_ID,
    "MessageStatus": "Hold",
    "SentTime": SAMPLE_DATE,
    "To": "String content",
}


def test_read_message_status_as_the_help_page_shows_it(web: httpx.Client, rec: Recorder) -> None:
    rec.answers["read_message_status"] = OUTGOING
    query = {"LicenseKey": str(SAMPLE_ID), "MessageId": str(SAMPLE_ID)}
    as_xml = web.get("/ReadMessageStatus", params=query)
    assert as_xml.headers["content-type"] == "application/xml; charset=utf-8"
    assert as_xml.text == xml_example(
        """<OutgoingMessageResponse xmlns="http://sms2.cdyne.com">
          <Attachments>String content</Attachments> <From>String content</From>
          <MessageID>1627aea5-8e0a-4371-9022-9b504344e724</MessageID> <MessageStatus>Hold</MessageStatus>
          <SentTime>1999-05-31T11:20:00</SentTime> <To>String content</To> </OutgoingMessageResponse>"""
    )
    as_json = web.get("/ReadMessageStatus", params=query, headers={"Accept": "application/json"})
    assert as_json.headers["content-type"] == "application/json; charset=utf-8"
    assert as_json.text == (
        '{"Attachments":"String content","From":"String content","MessageID":"1627aea5-8e0a-4371-9022-9b504344e724",'
        '"MessageStatus":0,"SentTime":"\\/Date(928164000000-0400)\\/","To":"String content"}'
    )
    assert rec.last("read_message_status") == (SAMPLE_ID, SAMPLE_ID)


def test_send_message_answers_the_contracts_example(web: httpx.Client, rec: Recorder) -> None:
    accepted = uuid.UUID("0b6f3c1e-5d2a-4c8e-9f00-2a7d1e4b9c01")
    rec.answers["send_message"] = [
        {"From": "17575550000", "MessageID": accepted, "MessageStatus": "Ready", "To": "17575559999"}
    ]
    body = {"LicenseKey": str(SAMPLE_ID), "To": ["17575559999"], "Body": "Hi", "UseMMS": False}
    reply = web.post("/SendMessage", json=body, headers={"Accept": "application/json"})
    assert reply.text == (  # messaging-contract.md §4.2, item 4
        '[{"Attachments":null,"From":"17575550000","MessageID":"0b6f3c1e-5d2a-4c8e-9f00-2a7d1e4b9c01",'
        '"MessageStatus":201,"SentTime":"\\/Date(-62135578800000-0500)\\/","To":"17575559999"}]'
    )
    as_xml = web.post("/SendMessage", json=body, headers={"Accept": "application/xml"})
    assert as_xml.text == (
        f'<ArrayOfOutgoingMessageResponse xmlns="{SMS2}" {XSI}><OutgoingMessageResponse>'
        '<Attachments i:nil="true"/><From>17575550000</From><MessageID>0b6f3c1e-5d2a-4c8e-9f00-2a7d1e4b9c01</MessageID>'
        "<MessageStatus>Ready</MessageStatus><SentTime>0001-01-01T00:00:00</SentTime><To>17575559999</To>"
        "</OutgoingMessageResponse></ArrayOfOutgoingMessageResponse>"
    )
    rec.answers["send_message"] = []
    assert web.post("/SendMessage", json=body).text == f'<ArrayOfOutgoingMessageResponse xmlns="{SMS2}" {XSI}/>'


def test_keywords_and_postback_settings_as_the_help_pages_show_them(web: httpx.Client, rec: Recorder) -> None:
    rec.answers["get_keywords"] = {
        "ReturnCode": "NoError",
        "SMSKeyword": [
            {
                "EntryDate": SAMPLE_DATE,
                "Keyword": "String content",
                "ReturnCode": "NoError",
                "ShortCode": "String content",
            }
        ],
    }
    json_only = {"Accept": "application/json"}
    keywords = web.get("/GetKeywords", params={"LicenseKey": str(SAMPLE_ID)}, headers=json_only)
    assert keywords.text == (  # [H:GetKeywords]
        '{"ReturnCode":0,"SMSKeyword":[{"EntryDate":"\\/Date(928164000000-0400)\\/","Keyword":"String content",'
        '"ReturnCode":0,"ShortCode":"String content"}]}'
    )
    rec.answers["get_postback_settings_for_license_key"] = [
        {
            "Country": "String content",
            "PhoneNumber": "String content",
            "PostbackEnabled": True,
            "PostbackType": "All",
            "PostbackUrl": "String content",
            "ReturnCode": "NoError",
        }
    ]
    settings = web.get("/GetPostbackSettingsForLicenseKey", params={"LicenseKey": str(SAMPLE_ID)}, headers=json_only)
    assert settings.text == (  # [H:GetPostbackSettingsForLicenseKey]
        '[{"Country":"String content","PhoneNumber":"String content","PostbackEnabled":true,"PostbackType":0,'
        '"PostbackUrl":"String content","ReturnCode":0}]'
    )


def test_incoming_messages_write_media_ids_and_the_udh(web: httpx.Client, rec: Recorder) -> None:
    rec.answers["read_incoming_messages"] = [
        {
            "Attachments": [10000001, 10000005],
            "From": "7575550000",
            "IncomingMessageID": SAMPLE_ID,
            "OutgoingMessageID": SAMPLE_ID,
            "Payload": "Thank you for your message.",
            "ReceivedDate": SAMPLE_DATE,
            "Subject": "Reply",
            "To": "7575559999",
            "Udh": bytes([81, 109, 70, 122, 90, 83, 65, 50, 78, 67, 66, 84, 100]),
        }
    ]
    criteria = {"LicenseKey": str(SAMPLE_ID)}
    as_json = web.post("/ReadIncomingMessages", json=criteria, headers={"Accept": "application/json"})
    assert as_json.text == (  # [D:t/IncomingMessageResponse]'s samples, in XSD order
        '[{"Attachments":[10000001,10000005],"From":"7575550000","IncomingMessageID":"1627aea5-8e0a-4371-9022-'
        '9b504344e724","OutgoingMessageID":"1627aea5-8e0a-4371-9022-9b504344e724","Payload":"Thank you for your '
        'message.","ReceivedDate":"\\/Date(928164000000-0400)\\/","Subject":"Reply","To":"7575559999",'
        '"Udh":[81,109,70,122,90,83,65,50,78,67,66,84,100]}]'
    )
    as_xml = web.post("/ReadIncomingMessages", json=criteria, headers={"Accept": "application/xml"})
    arrays = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
    assert as_xml.text.startswith(  # [H:ReadIncomingMessages]
        f'<ArrayOfIncomingMessageResponse xmlns="{SMS2}" {XSI}><IncomingMessageResponse><Attachments>'
        f'<long xmlns="{arrays}">10000001</long><long xmlns="{arrays}">10000005</long></Attachments>'
        "<From>7575550000</From>"
    )
    assert as_xml.text.endswith(
        "<To>7575559999</To><Udh>UW1GelpTQTJOQ0JUZA==</Udh></IncomingMessageResponse></ArrayOfIncomingMessageResponse>"
    )


def test_answers_validate_against_cdynes_schema(web: httpx.Client, rec: Recorder) -> None:
    schema = etree.XMLSchema(etree.parse(str(REFERENCE / "Messaging1.xsd"), _local_parser()))
    rec.answers["read_message_status"] = OUTGOING | {"From": None, "Attachments": None}
    rec.answers["get_media_info"] = {
        "Media": [{"FileDate": SAMPLE_DATE, "FileName": "a.jpg", "FileSize": 3, "MediaId": 10000001, "Tags": ["x"]}]
    }
    rec.answers["get_unsubscribed_numbers"] = [{"EntryDate": SAMPLE_DATE, "PhoneNumber": "17575559999"}]
    key = {"LicenseKey": str(SAMPLE_ID)}
    for reply in (
        web.get("/ReadMessageStatus", params=key | {"MessageId": str(SAMPLE_ID)}),
        web.post("/GetMediaInfo", json=key),
        web.get("/GetUnsubscribedNumbers", params=key),
        web.get("/GetKeywords", params=key),  # None: the whole answer nil
    ):
        schema.assertValid(etree.fromstring(reply.content))


class _Reference(etree.Resolver):
    """CDYNE's schema URLs resolved to the reference copies: validation never touches the network."""

    def resolve(self, url: str, pubid: str, context: Any) -> Any:
        if "?xsd=" not in url:
            return None
        return self.resolve_filename(str(REFERENCE / _XSD_FILES[url.rsplit("=", 1)[-1]]), context)


_XSD_FILES = {"xsd0": "Messaging1.xsd", "xsd1": "Messaging.xsd", "xsd2": "Messaging3.xsd", "xsd3": "Messaging2.xsd"}


def _local_parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_Reference())
    return parser


@pytest.mark.parametrize(
    ("op", "method", "value", "xml", "json"),
    [
        (
            "SetPostbackUrlForLicenseKey?PostbackType=All&Url=http://x",
            "set_postback_url_for_license_key",
            "NoError",
            f'<SMSPostbackReturnCode xmlns="{SMS2}">NoError</SMSPostbackReturnCode>',
            "0",
        ),
        (
            "RemoveMedia?MediaId=1",
            "remove_media",
            True,
            '<boolean xmlns="http://schemas.microsoft.com/2003/10/Serialization/">true</boolean>',
            "true",
        ),
        (
            "GetMedia?MediaId=1",
            "get_media",
            "QUJD/w==",
            '<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/">QUJD/w==</string>',
            '"QUJD\\/w=="',
        ),
        (
            "GetMedia?MediaId=2",
            "get_media",
            None,
            f'<string i:nil="true" xmlns="http://schemas.microsoft.com/2003/10/Serialization/" {XSI}/>',
            "null",
        ),
    ],
)
def test_scalar_answers(
    web: httpx.Client, rec: Recorder, op: str, method: str, value: Any, xml: str, json: str
) -> None:
    rec.answers[method] = value
    url = f"/{op}&LicenseKey={SAMPLE_ID}"
    assert web.get(url).text == xml
    assert web.get(url, headers={"Accept": "application/json"}).text == json


# ---- requests as the operations read them -------------------------------------------------------


def test_the_help_pages_send_message_examples_reach_the_operation(web: httpx.Client, rec: Recorder) -> None:
    xml = one_line(
        """<OutgoingMessageRequest xmlns="http://sms2.cdyne.com">
          <Attachments> <string xmlns="{ARRAYS}">String content</string>
          <string xmlns="{ARRAYS}">String content</string> </Attachments>
          <Body>String content</Body> <Concatenate>true</Concatenate> <From>String content</From>
          <IsUnicode>true</IsUnicode> <LicenseKey>1627aea5-8e0a-4371-9022-9b504344e724</LicenseKey>
          <PostbackUrl>String content</PostbackUrl> <ReferenceID>String content</ReferenceID>
          <ScheduledDateTime>1999-05-31T11:20:00</ScheduledDateTime> <Subject>String content</Subject>
          <To> <string xmlns="{ARRAYS}">String content</string>
          <string xmlns="{ARRAYS}">String content</string> </To>
          <UseMMS>true</UseMMS> </OutgoingMessageRequest>"""
    ).replace("{ARRAYS}", ARRAYS)
    assert web.post("/SendMessage", content=xml, headers={"Content-Type": "text/xml"}).status_code == 200
    (request,) = rec.last("send_message")
    expected = {
        "Attachments": ["String content", "String content"],
        "Body": "String content",
        "Concatenate": True,
        "From": "String content",
        "IsUnicode": True,
        "LicenseKey": SAMPLE_ID,
        "PostbackUrl": "String content",
        "ReferenceID": "String content",
        "ScheduledDateTime": SAMPLE_DATE,
        "Subject": "String content",
        "To": ["String content", "String content"],
        "UseMMS": True,
    }
    assert request == expected
    assert list(request) == list(expected)
    assert not given_as_utc(request["ScheduledDateTime"])  # no zone in XML: not marked UTC
    example = (
        '{"Attachments":["String content"],"Body":"String content","Concatenate":true,"From":"String content",'
        '"IsUnicode":true,"LicenseKey":"1627aea5-8e0a-4371-9022-9b504344e724","PostbackUrl":"String content",'
        '"ReferenceID":"String content","ScheduledDateTime":"\\/Date(928164000000-0400)\\/","Subject":"String content",'
        '"To":["String content"],"UseMMS":true}'
    )
    web.post("/SendMessage", content=example, headers={"Content-Type": "application/json"})
    (request,) = rec.last("send_message")
    instant = datetime(1999, 5, 31, 15, 20, tzinfo=UTC)
    assert request | {"ScheduledDateTime": instant} == expected | {
        "Attachments": ["String content"],
        "To": ["String content"],
        "ScheduledDateTime": instant,
    }
    assert request["ScheduledDateTime"] == instant
    assert not given_as_utc(request["ScheduledDateTime"])


def test_absent_members_hold_their_defaults_and_xml_may_come_in_any_order(web: httpx.Client, rec: Recorder) -> None:
    xml = (
        f'<IncomingMessageCriteria xmlns="{SMS2}"><UnreadMessagesOnly>true</UnreadMessagesOnly>'
        f"<LicenseKey>{SAMPLE_ID}</LicenseKey></IncomingMessageCriteria>"
    )
    web.post("/ReadIncomingMessages", content=xml, headers={"Content-Type": "application/xml"})
    (criteria,) = rec.last("read_incoming_messages")
    assert criteria == {
        "EndDate": datetime(1, 1, 1, tzinfo=UTC),
        "IncomingMessageID": uuid.UUID(int=0),
        "LicenseKey": SAMPLE_ID,
        "OutgoingMessageID": uuid.UUID(int=0),
        "PageNumber": 0,
        "PageSize": 0,
        "ReferenceID": None,
        "StartDate": datetime(1, 1, 1, tzinfo=UTC),
        "UnreadMessagesOnly": True,
    }
    # C1's request, with an unknown member, and the three JSON date forms WCF reads (§3.3)
    for date in ("\\/Date(1590840267010)\\/", "/Date(1590840267010)/", "\\/Date(1590840267010-0700)\\/"):
        body = f'{{"LicenseKey":"{SAMPLE_ID}","UnreadMessagesOnly":true,"Extra":1,"StartDate":"{date}"}}'
        assert web.post("/ReadIncomingMessages", content=body, headers={"Content-Type": "application/json"}).is_success
        (criteria,) = rec.last("read_incoming_messages")
        assert criteria["StartDate"] == datetime(2020, 5, 30, 12, 4, 27, 10000, tzinfo=UTC)
        assert given_as_utc(criteria["StartDate"]) is ("-0700" not in date)


def test_phone_numbers_sent_as_numbers_are_strings(web: httpx.Client, rec: Recorder) -> None:
    body = {"LicenseKey": str(SAMPLE_ID), "To": [17575559999], "UseMMS": False, "From": 17575550000}
    web.post("/SendMessage", json=body)
    (request,) = rec.last("send_message")
    assert (request["To"], request["From"]) == (["17575559999"], "17575550000")


def test_media_content_and_byte_arrays(web: httpx.Client, rec: Recorder) -> None:
    body = {"Base64EncodedContent": "QUJD", "Filename": "a.txt", "LicenseKey": str(SAMPLE_ID), "Tags": ["t"]}
    web.post("/CreateMediaFromContent", json=body)
    assert rec.last("create_media_from_content") == ({**body, "LicenseKey": SAMPLE_ID},)
    criteria = (
        f'<MediaCriteria xmlns="{SMS2}"><LicenseKey>{SAMPLE_ID}</LicenseKey><MediaId>10000001</MediaId></MediaCriteria>'
    )
    web.post("/GetMediaInfo", content=criteria, headers={"Content-Type": "text/xml"})
    (read,) = rec.last("get_media_info")
    assert (read["MediaId"], read["MaximumFileSize"], read["Tags"]) == (10000001, 0, None)


def test_a_null_result_is_a_nil_root(web: httpx.Client, rec: Recorder) -> None:
    body = {"Base64EncodedContent": "!!", "Filename": "a.txt", "LicenseKey": str(SAMPLE_ID)}
    as_xml = web.post("/CreateMediaFromContent", json=body, headers={"Accept": "application/xml"})
    assert as_xml.text == f'<MediaMetadata i:nil="true" xmlns="{SMS2}" {XSI}/>'
    assert web.post("/CreateMediaFromContent", json=body, headers={"Accept": "application/json"}).text == "null"
