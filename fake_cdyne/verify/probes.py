"""The probes of ``fake-cdyne verify``: requests that are safe against the real CDYNE with a real key.

Without a phone number none of them can send a text or change an account: they use the all-zero
GUID, invalid phone numbers, MessageIDs and ReferenceIDs nobody has, malformed GUIDs, wrong verbs and
the metadata documents. ``GetUnreadIncomingMessages`` marks messages read, so it is only asked with the
zero GUID. The envelopes are written out here as a client would send them, not built by the fake's code.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

Compare = Literal["bytes", "xml", "status", "fault"]
Surface = Literal["rest", "soap"]

ZERO = "00000000-0000-0000-0000-000000000000"
UNKNOWN_ID = "6f1c2a3b-0d4e-4f50-9a6b-7c8d9e0f1a2b"  # a MessageID no account has
UNKNOWN_REFERENCE = "fake-cdyne-verify-no-such-reference"
INVALID_PHONE = "123"  # PhoneNumberInvalid: no message is created, nothing is charged
TEXT = "fake-cdyne verify"
SMS2 = "http://sms2.cdyne.com"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
RELATES = "urn:uuid:0b5e1f9a-3c2d-4e6f-8a7b-9c0d1e2f3a4b"  # our request's MessageID, echoed as RelatesTo
JSON = {"Accept": "application/json"}


@dataclass(frozen=True, slots=True)
class Probe:
    """One request, relative to the service URL (``.../sms.svc``), and how its answers are compared:
    ``bytes`` (status, content type and body, GUIDs, dates and addresses masked), ``xml`` (the same
    after XML canonicalisation, for documents CDYNE's contract calls equivalent, not identical),
    ``fault`` (status, content type and the fault's codes) or ``status`` (the status alone: the body is
    an error page of the host, IIS or uvicorn)."""

    name: str
    surface: Surface
    method: str
    path: str
    compare: Compare = "bytes"
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    # Asked again (about once a second, for a bounded time) until the answer contains this text.
    until: str | None = None


def _query(operation: str, compare: Compare = "bytes", json: bool = False, **params: str) -> Probe:
    name = f"GET {operation}" + (" (JSON)" if json else "")
    shown = {ZERO: "<zero GUID>", UNKNOWN_ID: "<unknown>", UNKNOWN_REFERENCE: "<unknown>"}
    detail = " ".join(f"{k}={shown.get(v, v)}" for k, v in params.items() if k not in ("Message", "StatusPostBackURL"))
    return Probe(f"{name} {detail}", "rest", "GET", f"/{operation}", compare, params, JSON if json else {})


def _advanced(key: str, json: bool) -> Probe:
    if json:
        body = (
            f'{{"LicenseKey":"{key}","SMSRequests":[{{"Message":"{TEXT}","PhoneNumbers":["{INVALID_PHONE}"],'
            '"ReferenceID":"verify"}]}'
        )
        headers = {"Content-Type": "application/json", **JSON}
    else:
        body = (
            '<SMSAdvancedRequest xmlns="http://schemas.datacontract.org/2004/07/SmsWS">'
            f'<LicenseKey>{key}</LicenseKey><SMSRequests><SMSRequest xmlns="{SMS2}">'
            f"<Message>{TEXT}</Message><PhoneNumbers>"
            f'<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/Arrays">{INVALID_PHONE}</string>'
            "</PhoneNumbers><ReferenceID>verify</ReferenceID></SMSRequest></SMSRequests></SMSAdvancedRequest>"
        )
        headers = {"Content-Type": "text/xml"}
    name = f"POST AdvancedSMSsend ({'JSON' if json else 'XML'}) PhoneNumbers=[{INVALID_PHONE}]"
    return Probe(name, "rest", "POST", "/AdvancedSMSsend", headers=headers, body=body)


def rest_probes(key: str) -> list[Probe]:
    return [
        _query("SimpleSMSsend", PhoneNumber=INVALID_PHONE, Message=TEXT, LicenseKey=key),
        _query("SimpleSMSsend", json=True, PhoneNumber=INVALID_PHONE, Message=TEXT, LicenseKey=key),
        _query("SimpleSMSsend", PhoneNumber=INVALID_PHONE, Message=TEXT, LicenseKey=ZERO),
        _query("SimpleSMSsend", json=True, PhoneNumber=INVALID_PHONE, Message=TEXT, LicenseKey=ZERO),
        _query("simplesmssend", PhoneNumber=INVALID_PHONE, Message=TEXT, LicenseKey=key),
        _query(
            "SimpleSMSsendWithPostback",
            PhoneNumber=INVALID_PHONE,
            Message=TEXT,
            LicenseKey=key,
            StatusPostBackURL="http://127.0.0.1/verify",
        ),
        _query("SimpleSMSsend", "status", PhoneNumber=INVALID_PHONE, Message=TEXT, LicenseKey="not-a-guid"),
        _query("GetMessageStatus", MessageID=UNKNOWN_ID),
        _query("GetMessageStatus", json=True, MessageID=UNKNOWN_ID),
        _query("GetMessageStatus", MessageID=ZERO),
        _query("GetMessageStatus", "status", MessageID="not-a-guid"),
        _query("GetMessageStatusByReferenceID", ReferenceID=UNKNOWN_REFERENCE, LicenseKey=key),
        _query("GetMessageStatusByReferenceID", json=True, ReferenceID=UNKNOWN_REFERENCE, LicenseKey=key),
        _query("GetMessageStatusByReferenceID", ReferenceID=UNKNOWN_REFERENCE, LicenseKey=ZERO),
        _query("GetUnreadIncomingMessages", LicenseKey=ZERO),
        _query("GetUnreadIncomingMessages", json=True, LicenseKey=ZERO),
        _query("CancelMessage", MessageID=UNKNOWN_ID),
        _query("CancelMessage", json=True, MessageID=UNKNOWN_ID),
        Probe(
            "GET SecureREST/GetMessageStatus MessageID=<unknown>",  # the same as _query's names
            "rest",
            "GET",
            "/SecureREST/GetMessageStatus",
            params={"MessageID": UNKNOWN_ID},
        ),
        _advanced(key, json=False),
        _advanced(key, json=True),
        Probe("POST SimpleSMSsend (wrong verb)", "rest", "POST", "/SimpleSMSsend", "status", body=""),
        Probe("GET AdvancedSMSsend (wrong verb)", "rest", "GET", "/AdvancedSMSsend", "status"),
        Probe("GET NoSuchOperation", "rest", "GET", "/NoSuchOperation", "status"),
    ]


def _envelope11(operation: str, inner: str, action: str = "", compare: Compare = "bytes", name: str = "") -> Probe:
    body = f'<{operation} xmlns="{SMS2}">{inner}</{operation}>'
    envelope = f'<s:Envelope xmlns:s="{SOAP11}"><s:Body>{body}</s:Body></s:Envelope>'
    action = action or operation
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SMS2}/Isms/{action}"'}
    return Probe(f"SOAP 1.1 {name or action}", "soap", "POST", "/Soap", compare, headers=headers, body=envelope)


def _envelope12(operation: str, inner: str, addressing: bool = True) -> Probe:
    header = (
        f'<s:Header><a:Action s:mustUnderstand="1">{SMS2}/Isms/{operation}</a:Action>'
        f"<a:MessageID>{RELATES}</a:MessageID><a:ReplyTo><a:Address>{WSA}/anonymous</a:Address></a:ReplyTo>"
        '<a:To s:mustUnderstand="1">{base}/WS</a:To></s:Header>'
        if addressing
        else ""
    )
    body = (
        f'<s:Envelope xmlns:s="{SOAP12}" xmlns:a="{WSA}">{header}'
        f'<s:Body><{operation} xmlns="{SMS2}">{inner}</{operation}></s:Body></s:Envelope>'
    )
    headers = {"Content-Type": "application/soap+xml; charset=utf-8"}
    name = f"SOAP 1.2 {operation}" + ("" if addressing else " without WS-Addressing headers")
    return Probe(name, "soap", "POST", "/WS", "bytes" if addressing else "fault", headers=headers, body=body)


def soap_probes(key: str) -> list[Probe]:
    simple = f"<PhoneNumber>{INVALID_PHONE}</PhoneNumber><Message>{TEXT}</Message><LicenseKey>{key}</LicenseKey>"
    unknown = f"<MessageID>{UNKNOWN_ID}</MessageID>"
    by_reference = f"<ReferenceID>{UNKNOWN_REFERENCE}</ReferenceID><LicenseKey>{key}</LicenseKey>"
    documents: list[tuple[str, Compare]] = [
        ("wsdl", "xml"), ("wsdl=wsdl0", "xml"), ("xsd=xsd0", "bytes"), ("xsd=xsd1", "bytes"), ("xsd=xsd2", "xml"),
        ("xsd=xsd3", "bytes"), ("disco", "xml"),
    ]  # fmt: skip
    wrong_type = _envelope12("GetMessageStatus", unknown)
    return [
        *(
            Probe(f"GET ?{query}", "soap", "GET", f"?{query}", compare)  # as written: ?wsdl, not ?wsdl=
            for query, compare in documents
        ),
        _envelope11("SimpleSMSsend", simple),
        _envelope11("GetMessageStatus", unknown),
        _envelope11("CancelMessage", unknown),
        _envelope11("GetUnreadIncomingMessages", f"<LicenseKey>{ZERO}</LicenseKey>"),
        _envelope11("GetMessageStatusByReferenceID", by_reference),
        _envelope11(
            "SimpleSMSsend", simple.replace(key, "not-a-guid"), compare="fault", name="SimpleSMSsend LicenseKey=bad"
        ),
        _envelope11("SimpleSMSsend", simple, "NoSuchOperation", "fault", "unknown SOAPAction"),
        _envelope12("SimpleSMSsend", simple),
        _envelope12("GetMessageStatus", unknown),
        _envelope12("GetMessageStatus", unknown, addressing=False),
        Probe(
            "SOAP 1.2 envelope with SOAP 1.1's content type",
            "soap",
            "POST",
            "/WS",
            "status",
            headers={"Content-Type": "text/xml; charset=utf-8"},
            body=wrong_type.body,
        ),
    ]


def phone_probes(key: str, phone: str) -> list[Probe]:
    """With ``--phone``: one real text (CDYNE charges it), then its status once it reads Sent."""
    send = _query("SimpleSMSsend", PhoneNumber=phone, Message=TEXT, LicenseKey=key)
    status = Probe(
        "GET GetMessageStatus MessageID=<the text just sent>, once Sent",
        "rest",
        "GET",
        "/GetMessageStatus",
        params={"MessageID": "{last_message_id}"},
        until="<Sent>true</Sent>",
    )
    return [send, status]


def probes(key: str, surface: str = "all", phone: str | None = None) -> list[Probe]:
    """The probes of ``surface`` (rest, soap or all), named without the key: their names are printed."""
    chosen = [
        *(rest_probes(key) if surface in ("rest", "all") else []),
        *(soap_probes(key) if surface in ("soap", "all") else []),
        *(phone_probes(key, phone) if phone else []),
    ]
    return [dataclasses.replace(probe, name=probe.name.replace(key, "K")) for probe in chosen]
