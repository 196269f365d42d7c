"""CDYNE's XML: DataContractSerializer output, byte for byte.

No declaration, one line, ``xmlns`` and ``xmlns:i`` on the root, members in alphabetical order,
ReferenceID left out when null, nil and empty arrays as WCF writes them. Rendering joins prebuilt
strings; only requests are parsed (safely: no DTDs, no entities).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any, NoReturn
from xml.parsers import expat

import xmltodict

from ..dates import XML_DATETIME_FORM, parse_xml_datetime, xml_datetime
from ..errors import BadBody, BadParameter
from ..model import EMPTY_GUID, IncomingMessage, SMSResponse
from ..requests import AdvancedRequest, SMSRequest
from ..values import guid_text, parse_bool, parse_guid

media_type = "application/xml; charset=utf-8"

SMS2_NS = "http://sms2.cdyne.com"
SMSWS_NS = "http://schemas.datacontract.org/2004/07/SmsWS"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SERIALIZATION_NS = "http://schemas.microsoft.com/2003/10/Serialization/"
_ROOT_NS = f' xmlns="{SMS2_NS}" xmlns:i="{XSI_NS}"'

# Characters XML 1.0 cannot carry at all become U+FFFD; CR is kept as a character reference, as
# .NET's writer does, so it survives parsing.
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"})


def escape(text: str) -> str:
    return _INVALID.sub("\ufffd", text).translate(_ESCAPES)


def _bool(value: bool) -> str:
    return "true" if value else "false"


_BOOL = {False: "false", True: "true"}


def response_members(result: SMSResponse) -> str:
    """SMSResponse's members in CDYNE's order, shared by REST and SOAP: one f-string, as it is rendered
    for every send."""
    reference = "" if result.reference_id is None else f"<ReferenceID>{escape(result.reference_id)}</ReferenceID>"
    if result.incoming is None:
        incoming = '<SMSIncomingMessages i:nil="true"/>'
    elif not result.incoming:
        incoming = "<SMSIncomingMessages/>"
    else:
        incoming = f"<SMSIncomingMessages>{''.join(map(_incoming_element, result.incoming))}</SMSIncomingMessages>"
    return (
        f"<Cancelled>{_BOOL[result.cancelled]}</Cancelled><MessageID>{guid_text(result.message_id)}</MessageID>"
        f"<Queued>{_BOOL[result.queued]}</Queued>{reference}<SMSError>{result.error._name_}</SMSError>"
        f"{incoming}<Sent>{_BOOL[result.sent]}</Sent><SentDateTime>{xml_datetime(result.sent_at)}</SentDateTime>"
    )


def incoming_members(message: IncomingMessage) -> str:
    return (
        f"<FromPhoneNumber>{escape(message.from_number)}</FromPhoneNumber>"
        f"<IncomingMessageID>{message.id}</IncomingMessageID>"
        f"<MatchedMessageID>{message.matched_message_id}</MatchedMessageID>"
        f"<Message>{escape(message.text)}</Message>"
        f"<ResponseReceiveDate>{xml_datetime(message.received_at)}</ResponseReceiveDate>"
        f"<ToPhoneNumber>{escape(message.to_number)}</ToPhoneNumber>"
    )


def _incoming_element(message: IncomingMessage) -> str:
    return f"<SMSIncomingMessage>{incoming_members(message)}</SMSIncomingMessage>"


def _array(root: str, item: str, members: Sequence[str]) -> bytes:
    if not members:
        return f"<{root}{_ROOT_NS}/>".encode()
    inner = "".join(f"<{item}>{m}</{item}>" for m in members)
    return f"<{root}{_ROOT_NS}>{inner}</{root}>".encode()


def response(result: SMSResponse) -> bytes:
    return f"<SMSResponse{_ROOT_NS}>{response_members(result)}</SMSResponse>".encode()


def responses(results: Sequence[SMSResponse]) -> bytes:
    return _array("ArrayOfSMSResponse", "SMSResponse", [response_members(r) for r in results])


def incoming(messages: Sequence[IncomingMessage]) -> bytes:
    return _array("ArrayOfSMSIncomingMessage", "SMSIncomingMessage", [incoming_members(m) for m in messages])


def boolean(value: bool) -> bytes:
    return f'<boolean xmlns="{SERIALIZATION_NS}">{_bool(value)}</boolean>'.encode()


# ---- requests ----------------------------------------------------------------------------------


class _NoDoctype(Exception):
    pass


class _SafeExpat:
    """An expat stand-in for xmltodict that refuses any DTD (and so every entity trick)."""

    ExpatError = expat.ExpatError

    @staticmethod
    def ParserCreate(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 - expat's own name
        parser = expat.ParserCreate(*args, **kwargs)

        def refuse(*_: Any) -> NoReturn:
            raise _NoDoctype

        parser.StartDoctypeDeclHandler = refuse
        parser.ExternalEntityRefHandler = refuse
        return parser


def parse_document(body: bytes) -> tuple[str, Any]:
    """Parse XML safely into (root's qualified name ``ns:local``, its content)."""
    try:
        document = xmltodict.parse(body, expat=_SafeExpat, process_namespaces=True, strip_whitespace=False)
    except _NoDoctype:
        raise BadBody("XML with a DTD or entity declarations is not accepted.") from None
    except (expat.ExpatError, ValueError) as error:
        raise BadBody(f"The body is not well-formed XML: {error}.") from None
    except LookupError:  # expat asks Python's codecs for an encoding it does not know itself
        raise BadBody("The body is not well-formed XML: its declaration names an unknown encoding.") from None
    if not isinstance(document, dict) or len(document) != 1:
        raise BadBody("The body is not an XML document.")
    ((root, content),) = document.items()
    return root, content


def local(name: str) -> str:
    return name.rpartition(":")[2]


def members(content: Any) -> dict[str, Any]:
    """An element's child elements by local name, attributes dropped."""
    if not isinstance(content, dict):
        return {}
    return {local(k): v for k, v in content.items() if not k.startswith("@")}


def text_of(value: Any, name: str) -> str | None:
    """A simple element's text: None when nil or absent, '' when empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if str(value.get(f"@{XSI_NS}:nil", "")).strip() == "true":
            return None
        if set(value) <= {"#text"} or all(k.startswith("@") or k == "#text" for k in value):
            return str(value.get("#text", ""))
    raise BadParameter(name, value if isinstance(value, str) else "<element>", "a simple value")


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def advanced_request(body: bytes) -> AdvancedRequest:
    root, content = parse_document(body)
    if root != f"{SMSWS_NS}:SMSAdvancedRequest":
        raise BadBody(f"Expected the root element SMSAdvancedRequest in namespace {SMSWS_NS}, found {root!r}.")
    return advanced_request_members(members(content))


def advanced_request_members(fields: dict[str, Any]) -> AdvancedRequest:
    """SMSAdvancedRequest from its members, in any order (shared with SOAP)."""
    key = text_of(fields.get("LicenseKey"), "LicenseKey")
    requests = [
        _sms_request(members(item), index)
        for index, item in enumerate(as_list(members(fields.get("SMSRequests")).get("SMSRequest")))
    ]
    return AdvancedRequest(
        license_key=_guid(key, "LicenseKey"),
        requests=requests,
        concatenate=_flag(fields, "Concatenate"),
        is_unicode=_flag(fields, "IsUnicode"),
    )


def _guid(text: str | None, name: str) -> uuid.UUID:
    if not text:
        return EMPTY_GUID
    try:
        return parse_guid(text)
    except ValueError:
        raise BadParameter(name, text, "a GUID") from None


def _flag(fields: dict[str, Any], name: str) -> bool:
    text = text_of(fields.get(name), name)
    try:
        return parse_bool(text) if text else False
    except ValueError:
        raise BadParameter(name, text, "a boolean (true or false)") from None


def _sms_request(fields: dict[str, Any], index: int) -> SMSRequest:
    where = f"SMSRequests[{index}]"
    numbers = [
        text_of(n, f"{where}.PhoneNumbers") or "" for n in as_list(members(fields.get("PhoneNumbers")).get("string"))
    ]
    scheduled, is_utc = None, True
    when = text_of(fields.get("ScheduledDateTime"), f"{where}.ScheduledDateTime")
    if when:
        try:
            scheduled, is_utc = parse_xml_datetime(when)
        except ValueError:
            raise BadParameter(f"{where}.ScheduledDateTime", when, XML_DATETIME_FORM) from None
    return SMSRequest(
        message=text_of(fields.get("Message"), f"{where}.Message"),
        phone_numbers=numbers,
        assigned_did=text_of(fields.get("AssignedDID"), f"{where}.AssignedDID"),
        reference_id=text_of(fields["ReferenceID"], f"{where}.ReferenceID") if "ReferenceID" in fields else None,
        postback_url=text_of(fields.get("StatusPostBackURL"), f"{where}.StatusPostBackURL"),
        scheduled_for=scheduled,
        scheduled_is_utc=is_utc,
    )
