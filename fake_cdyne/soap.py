"""SOAP 1.1 at ``/sms.svc/Soap`` (and ``/SecureSoap``) and SOAP 1.2 with WS-Addressing at ``/sms.svc/WS``.

One more codec over the same operations as REST: an envelope in, the operation's result out as
``<OpResponse><OpResult>`` in CDYNE's member order, or a fault in the endpoint's SOAP version, shaped
as WCF shapes them. Envelopes are parsed with the same safe XML reader (no DTDs, no entities).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from .codecs import xml as xml_codec
from .codecs.query import negotiate
from .codecs.xml import XSI_NS, advanced_request_members, incoming_members, members, text_of
from .config import Config
from .errors import BadBody, FakeCdyneError, RequestError
from .exchange import Call, read_body
from .model import EMPTY_GUID
from .registry import (
    ADVANCED_REQUEST,
    BOOLEAN,
    GUID,
    INCOMING_MESSAGES,
    SMS_RESPONSE,
    SMS_RESPONSES,
    STRING,
    Operation,
    Param,
    Registry,
)
from .values import parse_guid

WSA = "http://www.w3.org/2005/08/addressing"
DISPATCHER = "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher"
ADDRESSING_NONE = "http://schemas.microsoft.com/ws/2005/05/addressing/none"
FAULT_ACTION = "http://www.w3.org/2005/08/addressing/soap/fault"
UNDERSTOOD = frozenset({"Action", "To", "MessageID", "ReplyTo", "RelatesTo", "From", "FaultTo"})


@dataclass(frozen=True, slots=True)
class Version:
    name: str
    envelope: str
    media: str
    addressing: bool


SOAP11 = Version("1.1", "http://schemas.xmlsoap.org/soap/envelope/", "text/xml", addressing=False)
SOAP12 = Version("1.2", "http://www.w3.org/2003/05/soap-envelope", "application/soap+xml", addressing=True)


class SoapFault(FakeCdyneError):
    """A fault as WCF sends it: a code (and the subcode's namespace) and a reason."""

    def __init__(self, subcode: str, namespace: str, reason: str) -> None:
        super().__init__(reason)
        self.subcode = subcode
        self.namespace = namespace
        self.reason = reason


def _deserialization(reason: str) -> SoapFault:
    return SoapFault(
        "DeserializationFailed",
        DISPATCHER,
        f"The formatter threw an exception while trying to deserialize the message: {reason}",
    )


@dataclass(frozen=True, slots=True)
class Envelope:
    operation: Operation
    fields: dict[str, Any]
    message_id: str | None


def _header_text(value: Any) -> str | None:
    if isinstance(value, list):
        raise SoapFault("InvalidAddressingHeader", WSA, "A message may carry each addressing header only once.")
    if isinstance(value, dict):
        return str(value.get("#text", "")).strip()
    return None if value is None else str(value).strip()


def _require_addressing(headers: dict[str, Any]) -> None:
    """What CDYNE's WCF host (wsHttpBinding) answers a SOAP 1.2 request without a:To or a:Action,
    whatever the Content-Type's action says: its address filter, then its contract filter, refuses it."""
    if not _header_text(headers.get(f"{WSA}:To")):
        raise SoapFault(
            "DestinationUnreachable",
            WSA,
            "The message with To '' cannot be processed at the receiver, due to an AddressFilter mismatch at the "
            "EndpointDispatcher.  Check that the sender and receiver's EndpointAddresses agree.",
        )
    if not _header_text(headers.get(f"{WSA}:Action")):
        raise SoapFault(
            "ActionNotSupported",
            WSA,  # WS-Addressing 1.0's code, as this endpoint speaks it
            "The message with Action '' cannot be processed at the receiver, due to a ContractFilter mismatch at the "
            "EndpointDispatcher.",
        )


def parse_envelope(
    registry: Registry, body: bytes, version: Version, action_hint: str | None, require_addressing: bool = False
) -> Envelope:
    try:
        root, content = xml_codec.parse_document(body)
    except BadBody as error:
        raise SoapFault("Client" if version is SOAP11 else "Sender", version.envelope, error.detail) from None
    other = SOAP12 if version is SOAP11 else SOAP11
    if root == f"{other.envelope}:Envelope":
        raise SoapFault(
            "VersionMismatch", version.envelope, f"This endpoint takes SOAP {version.name}, not SOAP {other.name}."
        )
    if root != f"{version.envelope}:Envelope" or not isinstance(content, dict):
        raise SoapFault("Client", version.envelope, f"Expected a SOAP {version.name} Envelope, found {root!r}.")
    header = content.get(f"{version.envelope}:Header")
    headers = {k: v for k, v in header.items() if not k.startswith(("@", "#"))} if isinstance(header, dict) else {}
    action, message_id = action_hint, None
    if version.addressing:
        for name, value in headers.items():
            namespace, _, short = name.rpartition(":")
            must = isinstance(value, dict) and str(value.get(f"@{version.envelope}:mustUnderstand")) in ("1", "true")
            if namespace == WSA and short in UNDERSTOOD:
                continue
            if must:
                raise SoapFault(
                    "MustUnderstand", version.envelope, f"The header '{short}' from '{namespace}' was not understood."
                )
        if require_addressing:
            _require_addressing(headers)
        action = _header_text(headers.get(f"{WSA}:Action")) or action
        message_id = _header_text(headers.get(f"{WSA}:MessageID"))
    soap_body = content.get(f"{version.envelope}:Body")
    elements = (
        [(k, v) for k, v in soap_body.items() if not k.startswith(("@", "#"))] if isinstance(soap_body, dict) else []
    )
    if len(elements) != 1:
        raise SoapFault("Client", version.envelope, "The SOAP Body must hold exactly one operation element.")
    (element, fields) = elements[0]
    operation = _operation(registry, action, element)
    return Envelope(operation, members(fields), message_id)


def _operation(registry: Registry, action: str | None, element: str) -> Operation:
    namespace, _, name = element.rpartition(":")
    if action:
        operation = registry.by_action(action)
        if operation is None:
            raise SoapFault(
                "ActionNotSupported",
                ADDRESSING_NONE,
                f"The message with Action '{action}' cannot be processed at the receiver, due to a ContractFilter "
                "mismatch at the EndpointDispatcher.",
            )
    else:  # no action: dispatched by the body element (a real WCF host would fault)
        operation = registry.exactly(name)
        if operation is None:
            raise SoapFault("ActionNotSupported", ADDRESSING_NONE, f"No operation '{name}' and no action given.")
    if (namespace, name) != (registry.namespace, operation.name):
        raise _deserialization(
            f"Expecting element '{operation.name}' from namespace '{registry.namespace}'. Encountered element "
            f"'{name}' from namespace '{namespace}'."
        )
    return operation


def _text(fields: dict[str, Any], name: str) -> str | None:
    return text_of(fields.get(name), name)


def _guid(fields: dict[str, Any], name: str) -> uuid.UUID:
    text = text_of(fields.get(name), name)
    if not text:
        return EMPTY_GUID
    try:
        return parse_guid(text)
    except ValueError:
        raise _deserialization(
            f"There was an error while trying to deserialize parameter {xml_codec.SMS2_NS}:{name}. "
            f"The value '{text}' cannot be parsed as the type 'Guid'."
        ) from None


_ARGUMENTS: dict[str, Callable[[dict[str, Any], str], Any]] = {
    STRING: _text,
    GUID: _guid,
    ADVANCED_REQUEST: lambda fields, name: advanced_request_members(members(fields.get(name))),
}


class SoapTypes(Protocol):
    """How one service's types cross SOAP: a wrapper child as an argument, a value as ``<OpResult>``."""

    def argument(self, fields: dict[str, Any], param: Param) -> Any: ...

    def result(self, element: str, type_: str, value: Any) -> str: ...


def arguments(operation: Operation, fields: dict[str, Any], types: SoapTypes | None = None) -> tuple[Any, ...]:
    """The wrapper's children as the operation's arguments, in signature order."""
    read = (types or SMS2_SOAP).argument
    return tuple(read(fields, p) for p in operation.signature)


def _responses(items: Any) -> str:
    return "".join(f"<SMSResponse>{xml_codec.response_members(item)}</SMSResponse>" for item in items)


def _incoming(items: Any) -> str:
    return "".join(f"<SMSIncomingMessage>{incoming_members(item)}</SMSIncomingMessage>" for item in items)


_MEMBERS: dict[str, Callable[[Any], str]] = {
    SMS_RESPONSE: xml_codec.response_members,
    SMS_RESPONSES: _responses,
    INCOMING_MESSAGES: _incoming,
}


class Sms2Soap:
    """sms2's types: GUID, string and SMSAdvancedRequest arguments, its four result types."""

    @staticmethod
    def argument(fields: dict[str, Any], param: Param) -> Any:
        return _ARGUMENTS[param.type](fields, param.name)

    @staticmethod
    def result(element: str, type_: str, value: Any) -> str:
        if type_ == BOOLEAN:
            return f"<{element}>{'true' if value else 'false'}</{element}>"
        inner = _MEMBERS[type_](value)
        opening = f'<{element} xmlns:i="{XSI_NS}"'
        return f"{opening}>{inner}</{element}>" if inner else f"{opening}/>"


SMS2_SOAP = Sms2Soap()


def render_result(namespace: str, operation: Operation, value: Any, types: SoapTypes | None = None) -> str:
    """``<OpResponse><OpResult>``: the value in CDYNE's member order."""
    name = operation.name
    result = (types or SMS2_SOAP).result(f"{name}Result", operation.result, value)
    return f'<{name}Response xmlns="{namespace}">{result}</{name}Response>'


def _answer(
    registry: Registry, types: SoapTypes, version: Version, operation: Operation, relates_to: str | None, value: Any
) -> bytes:
    body = render_result(registry.namespace, operation, value, types)
    return envelope(version, body, f"{registry.action(operation)}Response", relates_to)


def envelope(version: Version, body: str, action: str | None = None, relates_to: str | None = None) -> bytes:
    if not version.addressing:
        return f'<s:Envelope xmlns:s="{version.envelope}"><s:Body>{body}</s:Body></s:Envelope>'.encode()
    header = f'<a:Action s:mustUnderstand="1">{action}</a:Action>'
    if relates_to:
        header += f"<a:RelatesTo>{escape(relates_to, quote=False)}</a:RelatesTo>"
    return (
        f'<s:Envelope xmlns:s="{version.envelope}" xmlns:a="{WSA}"><s:Header>{header}</s:Header>'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def fault_body(version: Version, fault: SoapFault) -> str:
    reason = escape(fault.reason, quote=False)
    if version is SOAP11:
        code = (
            f"<faultcode>s:{fault.subcode}</faultcode>"
            if fault.namespace == version.envelope
            else f'<faultcode xmlns:a="{fault.namespace}">a:{fault.subcode}</faultcode>'
        )
        return f'<s:Fault>{code}<faultstring xml:lang="en-US">{reason}</faultstring></s:Fault>'
    if fault.namespace == version.envelope:
        code = f"<s:Code><s:Value>s:{fault.subcode}</s:Value></s:Code>"
    else:
        code = (  # every fault the fake raises is the sender's
            "<s:Code><s:Value>s:Sender</s:Value><s:Subcode>"
            f'<s:Value xmlns:a="{fault.namespace}">a:{fault.subcode}</s:Value></s:Subcode></s:Code>'
        )
    return f'<s:Fault>{code}<s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason></s:Fault>'


def _media_and_action(content_type: str | None) -> tuple[str, str | None]:
    media, *params = (content_type or "").split(";")
    action = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "action":
            action = value.strip().strip('"')
    return media.strip().lower(), action


async def prepare(
    registry: Registry, config: Config, request: Request, version: Version, types: SoapTypes | None = None
) -> Call | Response:
    """The call one SOAP request at the endpoint of ``version`` makes, or the answer that refuses it."""
    if request.method != "POST":
        return Response(f"SOAP {version.name} endpoint: POST an envelope.", 405, headers={"Allow": "POST"})
    media, action = _media_and_action(request.headers.get("content-type"))
    if media != version.media:
        expected = f"{version.media}; charset=utf-8"
        detail = (
            f"Cannot process the message because the content type '{media}' was not the expected type '{expected}'."
        )
        return Response(detail, 415, media_type="text/plain; charset=utf-8")
    if version is SOAP11:
        action = (request.headers.get("soapaction") or "").strip().strip('"') or None
    relates_to = None
    try:
        body = await read_body(request.receive, request.headers.get("content-length"), config.max_body_bytes)
        parsed = parse_envelope(registry, body, version, action, config.soap12_require_addressing)
        relates_to = parsed.message_id
        args = arguments(parsed.operation, parsed.fields, types)
    except RequestError as error:
        if error.status != 400:
            return Response(error.detail, error.status, media_type="text/plain; charset=utf-8")
        return _fault(version, _deserialization(error.detail), relates_to)
    except SoapFault as fault:
        return _fault(version, fault, relates_to)
    render = functools.partial(_answer, registry, types or SMS2_SOAP, version, parsed.operation, relates_to)
    codec = negotiate(request.headers.get("accept"), request.headers.get("content-type"), "xml")
    return Call(parsed.operation, args, render, f"{version.media}; charset=utf-8", codec)


def _fault(version: Version, fault: SoapFault, relates_to: str | None) -> Response:
    content = envelope(version, fault_body(version, fault), FAULT_ACTION, relates_to)
    return Response(content, 500, media_type=f"{version.media}; charset=utf-8")


ENDPOINTS: dict[str, Version] = {"soap": SOAP11, "securesoap": SOAP11, "ws": SOAP12}
