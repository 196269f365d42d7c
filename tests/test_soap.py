"""SOAP 1.1 and 1.2 with the service's WSDL: a real SOAP client (zeep) built from the served WSDL,
responses validated against CDYNE's own schemas, faults in each version's form."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pytest
import zeep
from lxml import etree

from fake_cdyne import Config, FakeCdyneClient, FakeServer

from .conftest import DATA, send

REFERENCE = DATA / "wsdl-2012"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
SMS2 = "http://sms2.cdyne.com"


class LocalSchemas(etree.Resolver):
    """Resolves CDYNE's schema URLs to the reference copies: validation never touches the network."""

    FILES: ClassVar[dict[str, str]] = {"xsd0": "sms.xsd", "xsd1": "sms1.xsd", "xsd2": "sms2.xsd", "xsd3": "sms3.xsd"}

    def resolve(self, url: str, pubid: str, context: Any) -> Any:
        if "?xsd=" not in url:
            return None
        return self.resolve_filename(str(REFERENCE / self.FILES[url.rsplit("=", 1)[-1]]), context)


@pytest.fixture(scope="module")
def cdyne_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(LocalSchemas())
    return etree.XMLSchema(etree.parse(str(REFERENCE / "sms.xsd"), parser))


@pytest.fixture(scope="module")
def soap_client(fake: FakeServer) -> zeep.Client:
    # No WsAddressingPlugin: zeep adds the headers itself, as the WSDL's policy asks (UsingAddressing),
    # and the plugin would send each twice, which CDYNE's WCF host (and the fake) refuses.
    return zeep.Client(f"{fake.url}/sms.svc?wsdl")


def envelope11(body: str) -> str:
    return f'<s:Envelope xmlns:s="{SOAP11}"><s:Body>{body}</s:Body></s:Envelope>'


def envelope12(body: str, headers: str) -> str:
    opening = f'<s:Envelope xmlns:s="{SOAP12}" xmlns:a="{WSA}">'
    return f"{opening}<s:Header>{headers}</s:Header><s:Body>{body}</s:Body></s:Envelope>"


def post11(http: httpx.Client, body: str, action: str | None) -> httpx.Response:
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if action is not None:
        headers["SOAPAction"] = f'"http://sms2.cdyne.com/Isms/{action}"'
    return http.post("/sms.svc/Soap", content=envelope11(body), headers=headers)


def addressing(action: str, message_id: str = "urn:uuid:5e4b1c11-9d3f-4c9a-8d7e-123456789abc") -> str:
    return (
        f'<a:Action s:mustUnderstand="1">http://sms2.cdyne.com/Isms/{action}</a:Action>'
        f"<a:MessageID>{message_id}</a:MessageID>"
        "<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>"
        '<a:To s:mustUnderstand="1">http://127.0.0.1/sms.svc/WS</a:To>'
    )


def post12(http: httpx.Client, body: str, headers: str) -> httpx.Response:
    return http.post(
        "/sms.svc/WS",
        content=envelope12(body, headers),
        headers={"Content-Type": "application/soap+xml; charset=utf-8"},
    )


def simple_send_body(key: str, phone: str = "7575449510") -> str:
    return (
        f'<SimpleSMSsend xmlns="{SMS2}"><PhoneNumber>{phone}</PhoneNumber><Message>Hi</Message>'
        f"<LicenseKey>{key}</LicenseKey></SimpleSMSsend>"
    )


# ---- a real SOAP client ----------------------------------------------------------------------------


@pytest.mark.parametrize("binding", ["sms2SOAPbasicHttpBinding", "sms2wsHttpBinding", "sms2SOAPbasicHttpsBinding"])
def test_zeep_calls_every_operation(soap_client: zeep.Client, fake: FakeServer, binding: str) -> None:
    service = soap_client.bind("sms", binding)
    key = str(uuid.uuid4())
    simple = service.SimpleSMSsend(PhoneNumber="7575449510", Message="Hello", LicenseKey=key)
    assert (simple.SMSError, simple.Queued, simple.Sent) == ("NoError", True, False)
    with_postback = service.SimpleSMSsendWithPostback(
        PhoneNumber="7575449511", Message="Hi", LicenseKey=key, StatusPostBackURL="http://127.0.0.1:9/x"
    )
    assert with_postback.SMSError == "NoError"
    advanced_type = soap_client.get_type("{http://schemas.datacontract.org/2004/07/SmsWS}SMSAdvancedRequest")
    request_type = soap_client.get_type(f"{{{SMS2}}}SMSRequest")
    later = datetime.now(UTC) + timedelta(hours=1)
    advanced = service.AdvancedSMSsend(
        AdvancedRequest=advanced_type(
            LicenseKey=key,
            Concatenate=False,
            IsUnicode=False,
            SMSRequests={
                "SMSRequest": [
                    request_type(
                        Message="one", PhoneNumbers={"string": ["7575449512", "7575449513"]}, ReferenceID="r1"
                    ),
                    request_type(Message="later", PhoneNumbers={"string": ["7575449514"]}, ScheduledDateTime=later),
                ]
            },
        )
    )
    assert [(r.SMSError, r.ReferenceID) for r in advanced] == [("NoError", "r1"), ("NoError", "r1"), ("NoError", None)]
    status = service.GetMessageStatus(MessageID=simple.MessageID)
    assert (status.Sent, status.Queued, status.SentDateTime.year) == (True, False, datetime.now(UTC).year)
    by_reference = service.GetMessageStatusByReferenceID(ReferenceID="r1", LicenseKey=key)
    assert len(by_reference) == 2
    with FakeCdyneClient(fake.url, key) as control:
        control.incoming(from_="7575449510", message="YES")
    (incoming,) = service.GetUnreadIncomingMessages(LicenseKey=key)
    assert (incoming.Message, incoming.MatchedMessageID) == ("YES", simple.MessageID)
    assert not service.GetUnreadIncomingMessages(LicenseKey=key)
    assert service.CancelMessage(MessageID=advanced[2].MessageID) is True
    assert service.CancelMessage(MessageID=simple.MessageID) is False
    assert service.GetMessageStatus(MessageID=advanced[2].MessageID).Cancelled is True


def test_business_errors_through_soap(soap_client: zeep.Client) -> None:
    service = soap_client.bind("sms", "sms2SOAPbasicHttpBinding")
    zero = "00000000-0000-0000-0000-000000000000"
    assert service.SimpleSMSsend(PhoneNumber="7575449510", Message="x", LicenseKey=zero).SMSError == "LicenseKeyInvalid"
    assert (
        service.SimpleSMSsend(PhoneNumber="12", Message="x", LicenseKey=str(uuid.uuid4())).SMSError
        == "PhoneNumberInvalid"
    )
    assert service.GetMessageStatus(MessageID=str(uuid.uuid4())).SMSError == "NotFound"


# ---- bytes on the wire --------------------------------------------------------------------------


def test_soap11_reply_bytes(http: httpx.Client, key: str, cdyne_schema: etree.XMLSchema) -> None:
    reply = post11(http, simple_send_body(key), "SimpleSMSsend")
    assert reply.headers["content-type"] == "text/xml; charset=utf-8"
    assert re.fullmatch(
        rf'<s:Envelope xmlns:s="{SOAP11}"><s:Body><SimpleSMSsendResponse xmlns="{SMS2}">'
        r'<SimpleSMSsendResult xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Cancelled>false</Cancelled>'
        r"<MessageID>[0-9a-f-]{36}</MessageID><Queued>true</Queued><SMSError>NoError</SMSError>"
        r'<SMSIncomingMessages i:nil="true"/><Sent>false</Sent><SentDateTime>0001-01-01T00:00:00</SentDateTime>'
        r"</SimpleSMSsendResult></SimpleSMSsendResponse></s:Body></s:Envelope>",
        reply.text,
    )
    cdyne_schema.assertValid(etree.fromstring(reply.content).find(f"{{{SOAP11}}}Body")[0])


def test_soap12_reply_has_action_and_relates_to(http: httpx.Client, key: str) -> None:
    reply = post12(http, simple_send_body(key), addressing("SimpleSMSsend", "urn:uuid:abc"))
    assert reply.headers["content-type"] == "application/soap+xml; charset=utf-8"
    assert reply.text.startswith(
        f'<s:Envelope xmlns:s="{SOAP12}" xmlns:a="{WSA}"><s:Header>'
        '<a:Action s:mustUnderstand="1">http://sms2.cdyne.com/Isms/SimpleSMSsendResponse</a:Action>'
        "<a:RelatesTo>urn:uuid:abc</a:RelatesTo></s:Header><s:Body><SimpleSMSsendResponse"
    )


def test_cancel_result_is_not_the_rest_boolean(http: httpx.Client) -> None:
    body = f'<CancelMessage xmlns="{SMS2}"><MessageID>{uuid.uuid4()}</MessageID></CancelMessage>'
    reply = post11(http, body, "CancelMessage")
    assert f'<CancelMessageResponse xmlns="{SMS2}"><CancelMessageResult>false</CancelMessageResult>' in reply.text


def test_empty_arrays(http: httpx.Client, key: str) -> None:
    body = f'<GetUnreadIncomingMessages xmlns="{SMS2}"><LicenseKey>{key}</LicenseKey></GetUnreadIncomingMessages>'
    reply = post11(http, body, "GetUnreadIncomingMessages")
    assert (
        '<GetUnreadIncomingMessagesResult xmlns:i="http://www.w3.org/2001/XMLSchema-instance"/>'
        "</GetUnreadIncomingMessagesResponse>" in reply.text
    )


def test_every_response_validates_against_cdyne_schemas(
    http: httpx.Client, key: str, cdyne_schema: etree.XMLSchema
) -> None:
    sent = send(http, key)
    mid = re.search(r"<MessageID>(.*?)</MessageID>", sent.text)[1]  # type: ignore[index]
    http.post("/_fake/incoming", json={"license_key": key, "from": "7575449510", "message": "a & b"})
    advanced = {
        "LicenseKey": key,
        "SMSRequests": [{"Message": "x", "PhoneNumbers": ["7575449510", "1"], "ReferenceID": ""}],
    }
    rest = [
        sent,
        http.get("/sms.svc/GetMessageStatus", params={"MessageID": mid}),
        http.get("/sms.svc/GetMessageStatusByReferenceID", params={"ReferenceID": "", "LicenseKey": key}),
        http.post("/sms.svc/AdvancedSMSsend", json=advanced),
        http.get("/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": key}),
        http.get("/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": key}),
        http.get("/sms.svc/CancelMessage", params={"MessageID": mid}),
    ]
    for reply in rest:
        cdyne_schema.assertValid(etree.fromstring(reply.content))
    body = f'<GetMessageStatus xmlns="{SMS2}"><MessageID>{mid}</MessageID></GetMessageStatus>'
    cdyne_schema.assertValid(etree.fromstring(post11(http, body, "GetMessageStatus").content)[0][0])


# ---- the WSDL -----------------------------------------------------------------------------------

WSDL = "{http://schemas.xmlsoap.org/wsdl/}"


def shape(document: etree._Element) -> dict[str, list[tuple[str, ...]]]:
    """What must match between CDYNE's WSDL and the fake's: everything but addresses and policies."""
    found: dict[str, list[tuple[str, ...]]] = {"messages": [], "operations": [], "bindings": [], "ports": []}
    for message in document.iter(f"{WSDL}message"):
        part = message[0]
        found["messages"].append((message.get("name"), part.get("name"), part.get("element")))
    for operation in document.find(f"{WSDL}portType").iter(f"{WSDL}operation"):
        actions = tuple(child.get("{http://www.w3.org/2006/05/addressing/wsdl}Action") for child in operation)
        found["operations"].append((operation.get("name"), *actions))
    for binding in document.iter(f"{WSDL}binding"):
        for child in binding.iter():
            if child.get("soapAction") is not None or child.tag.endswith("}binding"):
                found["bindings"].append(
                    (
                        binding.get("name"),
                        child.tag,
                        child.get("soapAction") or child.get("transport"),
                        child.get("style") or "",
                    )
                )
    for port in document.iter(f"{WSDL}port"):
        found["ports"].append((port.get("name"), port.get("binding"), port[0].tag))
    return found


def test_served_wsdl_matches_cdynes(http: httpx.Client) -> None:
    served = etree.fromstring(http.get("/sms.svc?wsdl").content)
    reference = etree.parse(str(REFERENCE / "sms1.wsdl")).getroot()
    assert shape(served) == shape(reference)
    assert served.get("targetNamespace") == reference.get("targetNamespace") == SMS2
    assert dict(served.nsmap) == dict(reference.nsmap)


def schema_shape(document: etree._Element) -> list[tuple[str | None, ...]]:
    return [
        (etree.QName(e).localname, e.get("name"), e.get("type"), e.get("minOccurs"), e.get("nillable"), e.get("value"))
        for e in document.iter()
        if isinstance(e.tag, str)
        and "annotation" not in e.tag
        and e.getparent() is not None
        and "annotation" not in str(e.getparent().tag)
        and "appinfo" not in str(e.getparent().tag)
        and "DefaultValue" not in e.tag
        and etree.QName(e).localname != "import"
    ]


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("xsd0", "wsdl-2012/sms.xsd"),
        ("xsd1", "wsdl-2012/sms1.xsd"),
        ("xsd2", "wsdl-2018/Messaging3.xsd"),
        ("xsd3", "wsdl-2012/sms3.xsd"),
    ],
)
def test_served_schemas_match_cdynes(http: httpx.Client, name: str, reference: str) -> None:
    served = etree.fromstring(http.get("/sms.svc", params={"xsd": name}).content)
    expected = etree.parse(str(DATA / reference)).getroot()
    assert served.get("targetNamespace") == expected.get("targetNamespace")
    if name == "xsd2":  # the 2018 service requires LicenseKey and SMSRequests; the 2012 one did not
        strip = [(tag, n, t, None, nil, v) for tag, n, t, _, nil, v in schema_shape(served)]
        assert strip == [(tag, n, t, None, nil, v) for tag, n, t, _, nil, v in schema_shape(expected)]
    else:
        assert schema_shape(served) == schema_shape(expected)


@pytest.mark.parametrize(("name", "reference"), [("xsd0", "sms.xsd"), ("xsd1", "sms1.xsd"), ("xsd3", "sms3.xsd")])
def test_served_schemas_are_cdynes_bytes(http: httpx.Client, fake: FakeServer, name: str, reference: str) -> None:
    """Byte for byte CDYNE's ?xsd= documents but for the address, so a proxy generated from the fake's
    WSDL is the one generated from CDYNE's: xsd0 carries the EmitDefaultValue="false" annotations of
    SMSResponse.ReferenceID and SMSRequest's AssignedDID, ReferenceID, ScheduledDateTime, StatusPostBackURL.
    (xsd2 adds Concatenate and IsUnicode, which the 2012 document lacks: test_served_schemas_match_cdynes.)"""
    served = http.get("/sms.svc", params={"xsd": name}).content
    expected = (REFERENCE / reference).read_bytes()
    assert served.replace(f"{fake.url}/sms.svc".encode(), b"http://sms2.cdyne.com/sms.svc") == expected
    if name == "xsd0":
        assert served.count(b'<DefaultValue EmitDefaultValue="false"') == 5


def test_every_address_names_the_fake_and_follows_the_host_header(http: httpx.Client, fake: FakeServer) -> None:
    queries = ["wsdl", "wsdl=wsdl0", "disco", "xsd=xsd0", "xsd=xsd1", "xsd=xsd2", "xsd=xsd3"]
    documents = [http.get(f"/sms.svc?{query}").text for query in queries]
    for text in documents:
        assert "cdyne.com/sms.svc" not in text
        assert "cdyne.net" not in text
    main = documents[0]
    assert f'<soap:address location="{fake.url}/sms.svc/Soap" />' in main
    assert f'<soap12:address location="{fake.url}/sms.svc/WS" />' in main
    proxied = http.get("/sms.svc?wsdl", headers={"Host": "sms.example.test:8443"}).text
    assert 'schemaLocation="http://sms.example.test:8443/sms.svc?xsd=xsd0"' in proxied
    assert http.get("/sms.svc?xsd=xsd9").status_code == 404
    assert "sms.svc?wsdl" in http.get("/SMS.SVC").text


# ---- faults -------------------------------------------------------------------------------------


def fault11(reply: httpx.Response) -> tuple[str, str]:
    assert reply.status_code == 500, reply.text
    code = re.search(r"<faultcode[^>]*>(.*?)</faultcode>", reply.text)
    reason = re.search(r"<faultstring[^>]*>(.*?)</faultstring>", reply.text, re.S)
    assert code, reply.text
    assert reason, reply.text
    assert "Traceback" not in reply.text
    return code[1], reason[1]


def test_soap11_faults(http: httpx.Client, key: str) -> None:
    bad_key = simple_send_body("nope")
    code, reason = fault11(post11(http, bad_key, "SimpleSMSsend"))
    assert code == "a:DeserializationFailed"
    assert "The value 'nope' cannot be parsed as the type 'Guid'" in reason
    assert (
        'xmlns:a="http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher"'
        in post11(http, bad_key, "SimpleSMSsend").text
    )
    code, reason = fault11(post11(http, simple_send_body(key), "SendSMS"))
    assert code == "a:ActionNotSupported"
    assert "ContractFilter mismatch" in reason
    code, reason = fault11(post11(http, simple_send_body(key), "GetMessageStatus"))
    assert code == "a:DeserializationFailed"
    assert "Expecting element 'GetMessageStatus'" in reason
    broken = http.post("/sms.svc/Soap", content=b"<s:Envelope", headers={"Content-Type": "text/xml"})
    assert fault11(broken)[0] == "s:Client"
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert "DTD" in fault11(http.post("/sms.svc/Soap", content=bomb, headers={"Content-Type": "text/xml"}))[1]
    mismatch = http.post(
        "/sms.svc/Soap", content=envelope12(simple_send_body(key), ""), headers={"Content-Type": "text/xml"}
    )
    assert fault11(mismatch)[0] == "s:VersionMismatch"


def test_soap11_without_soapaction_dispatches_by_body(http: httpx.Client, key: str) -> None:
    reply = post11(http, simple_send_body(key), None)
    assert "<SMSError>NoError</SMSError>" in reply.text


def test_soap11_ignores_addressing_headers(http: httpx.Client, key: str) -> None:
    body = envelope11(simple_send_body(key)).replace(
        "<s:Body>", f'<s:Header><a:To xmlns:a="{WSA}">x</a:To></s:Header><s:Body>'
    )
    reply = http.post(
        "/sms.svc/Soap",
        content=body,
        headers={"Content-Type": "text/xml", "SOAPAction": "http://sms2.cdyne.com/Isms/SimpleSMSsend"},
    )
    assert "<SMSError>NoError</SMSError>" in reply.text


def test_soap12_faults(http: httpx.Client, key: str) -> None:
    reply = post12(http, simple_send_body("nope"), addressing("SimpleSMSsend", "urn:uuid:1"))
    assert reply.status_code == 500
    assert (
        '<s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:a="http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher">a:DeserializationFailed</s:Value>'
        in reply.text
    )
    assert (
        '<a:Action s:mustUnderstand="1">http://www.w3.org/2005/08/addressing/soap/fault</a:Action><a:RelatesTo>urn:uuid:1</a:RelatesTo>'
        in reply.text
    )
    twice = (
        addressing("SimpleSMSsend")
        + '<a:Action s:mustUnderstand="1">http://sms2.cdyne.com/Isms/SimpleSMSsend</a:Action>'
    )
    assert "a:InvalidAddressingHeader" in post12(http, simple_send_body(key), twice).text
    unknown = addressing("SimpleSMSsend") + '<x:Secret xmlns:x="urn:x" s:mustUnderstand="1">1</x:Secret>'
    assert "<s:Value>s:MustUnderstand</s:Value>" in post12(http, simple_send_body(key), unknown).text
    assert "a:ActionNotSupported" in post12(http, simple_send_body(key), addressing("Nope")).text


def test_soap12_without_addressing_is_wcfs_fault(http: httpx.Client, key: str) -> None:
    """As CDYNE's wsHttpBinding endpoint: no a:To fails its address filter, no a:Action its contract
    filter, even with the action in the Content-Type; the fault is SOAP 1.2 Sender with WCF's subcode."""
    content_type = 'application/soap+xml; charset=utf-8; action="http://sms2.cdyne.com/Isms/SimpleSMSsend"'
    reply = http.post(
        "/sms.svc/WS", content=envelope12(simple_send_body(key), ""), headers={"Content-Type": content_type}
    )
    assert reply.status_code == 500
    assert (
        f'<s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:a="{WSA}">a:DestinationUnreachable</s:Value>'
        in reply.text
    )
    assert "The message with To '' cannot be processed at the receiver, due to an AddressFilter mismatch" in reply.text
    assert "NoError" not in reply.text
    only_to = '<a:To s:mustUnderstand="1">http://127.0.0.1/sms.svc/WS</a:To>'
    reply = post12(http, simple_send_body(key), only_to)
    assert reply.status_code == 500
    assert f'<s:Value xmlns:a="{WSA}">a:ActionNotSupported</s:Value>' in reply.text
    assert "The message with Action '' cannot be processed" in reply.text


def test_soap12_lenient_dispatches_without_addressing(key: str) -> None:
    with (
        FakeServer(Config(port=0, soap12_require_addressing=False)) as lenient,
        httpx.Client(base_url=lenient.url) as http,
    ):
        content_type = 'application/soap+xml; charset=utf-8; action="http://sms2.cdyne.com/Isms/SimpleSMSsend"'
        reply = http.post(
            "/sms.svc/WS", content=envelope12(simple_send_body(key), ""), headers={"Content-Type": content_type}
        )
        assert "<SMSError>NoError</SMSError>" in reply.text
        by_body = http.post(
            "/sms.svc/WS",
            content=envelope12(simple_send_body(key), ""),
            headers={"Content-Type": "application/soap+xml"},
        )
        assert "<SMSError>NoError</SMSError>" in by_body.text


@pytest.mark.parametrize(
    ("path", "content_type"), [("/sms.svc/Soap", "application/soap+xml"), ("/sms.svc/WS", "text/xml")]
)
def test_wrong_content_type_is_415(http: httpx.Client, key: str, path: str, content_type: str) -> None:
    reply = http.post(path, content=envelope11(simple_send_body(key)), headers={"Content-Type": content_type})
    assert reply.status_code == 415
    assert "was not the expected type" in reply.text
    assert http.get(path).status_code == 405


def test_scenarios_apply_to_soap_too(http: httpx.Client, key: str, fake: FakeServer) -> None:
    with FakeCdyneClient(fake.url, key) as control:
        control.use_scenario({"rules": [{"outcome": {"error": "InternalError"}}]})
        assert "<SMSError>InternalError</SMSError>" in post11(http, simple_send_body(key), "SimpleSMSsend").text
        control.use_scenario({"rules": [{"outcome": {"fault": {"status": 503}}}]})
        assert post11(http, simple_send_body(key), "SimpleSMSsend").status_code == 503
