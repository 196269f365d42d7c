"""SOAP 1.1 at ``/sms.svc/Soap`` (and ``/SecureSoap``) and SOAP 1.2 with WS-Addressing at ``/sms.svc/WS``.

One more codec over the same operations as REST: an envelope in, the operation's result out as
``<OpResponse><OpResult>`` in CDYNE's member order, or a fault in the endpoint's SOAP version, shaped
as WCF shapes them. Envelopes are parsed with the same safe XML reader (no DTDs, no entities).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .codecs import xml as xml_codec
from .codecs.xml import SMS2_NS, XSI_NS, advanced_request_members, incoming_members, members, text_of
from .errors import BadBody, FakeCdyneError, RequestError
from .exchange import Reply, read_body
from .model import EMPTY_GUID, IncomingMessage, Message, SMSResponse
from .scenario_model import Fault
from .scenarios import FaultRequested
from .service import Service
from .values import parse_guid
from .wsdl import ACTION, OPERATIONS

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
    operation: str
    fields: dict[str, Any]
    message_id: str | None


def _header_text(value: Any) -> str | None:
    if isinstance(value, list):
        raise SoapFault("InvalidAddressingHeader", WSA, "A message may carry each addressing header only once.")
    if isinstance(value, dict):
        return str(value.get("#text", "")).strip()
    return None if value is None else str(value).strip()


def parse_envelope(body: bytes, version: Version, action_hint: str | None) -> Envelope:
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
        action = _header_text(headers.get(f"{WSA}:Action")) or action
        message_id = _header_text(headers.get(f"{WSA}:MessageID"))
    soap_body = content.get(f"{version.envelope}:Body")
    elements = (
        [(k, v) for k, v in soap_body.items() if not k.startswith(("@", "#"))] if isinstance(soap_body, dict) else []
    )
    if len(elements) != 1:
        raise SoapFault("Client", version.envelope, "The SOAP Body must hold exactly one operation element.")
    (element, fields) = elements[0]
    operation = _operation(action, element)
    return Envelope(operation, members(fields), message_id)


def _operation(action: str | None, element: str) -> str:
    namespace, _, name = element.rpartition(":")
    if action:
        operation = action.removeprefix(ACTION) if action.startswith(ACTION) else None
        if operation not in OPERATIONS:
            raise SoapFault(
                "ActionNotSupported",
                ADDRESSING_NONE,
                f"The message with Action '{action}' cannot be processed at the receiver, due to a ContractFilter "
                "mismatch at the EndpointDispatcher.",
            )
    else:  # no action: dispatched by the body element (a real WCF host would fault)
        operation = name if name in OPERATIONS else None
        if operation is None:
            raise SoapFault("ActionNotSupported", ADDRESSING_NONE, f"No operation '{name}' and no action given.")
    if (namespace, name) != (SMS2_NS, operation):
        raise _deserialization(
            f"Expecting element '{operation}' from namespace '{SMS2_NS}'. Encountered element '{name}' "
            f"from namespace '{namespace}'."
        )
    return operation


def _guid(fields: dict[str, Any], name: str) -> uuid.UUID:
    text = text_of(fields.get(name), name)
    if not text:
        return EMPTY_GUID
    try:
        return parse_guid(text)
    except ValueError:
        raise _deserialization(
            f"There was an error while trying to deserialize parameter {SMS2_NS}:{name}. "
            f"The value '{text}' cannot be parsed as the type 'Guid'."
        ) from None


Result = SMSResponse | list[SMSResponse] | list[IncomingMessage] | bool


def run(service: Service, envelope: Envelope) -> tuple[Result, list[Message]]:
    """The operation an envelope names, through the same operations as REST."""
    ops, fields, name = service.operations, envelope.fields, envelope.operation

    def text(member: str) -> str | None:
        return text_of(fields.get(member), member)

    if name in ("SimpleSMSsend", "SimpleSMSsendWithPostback"):
        url = text("StatusPostBackURL") if name == "SimpleSMSsendWithPostback" else None
        sent = ops.simple_send(
            text("PhoneNumber"), text("Message"), _guid(fields, "LicenseKey"), url, operation=name.lower()
        )
        return sent.responses[0], sent.messages
    if name == "AdvancedSMSsend":
        request = advanced_request_members(members(fields.get("AdvancedRequest")))
        sent = ops.advanced_send(request)
        return sent.responses, sent.messages
    if name == "GetMessageStatus":
        return ops.get_message_status(_guid(fields, "MessageID")), []
    if name == "GetMessageStatusByReferenceID":
        return ops.get_message_status_by_reference(text("ReferenceID"), _guid(fields, "LicenseKey")), []
    if name == "GetUnreadIncomingMessages":
        return ops.get_unread_incoming_messages(_guid(fields, "LicenseKey")), []
    return ops.cancel_message(_guid(fields, "MessageID")), []


def render_result(operation: str, result: Result) -> str:
    if isinstance(result, bool):
        value = "true" if result else "false"
        result_element = f"<{operation}Result>{value}</{operation}Result>"
        return f'<{operation}Response xmlns="{SMS2_NS}">{result_element}</{operation}Response>'
    if isinstance(result, SMSResponse):
        inner = xml_codec.response_members(result)
    else:
        inner = "".join(
            f"<SMSIncomingMessage>{incoming_members(item)}</SMSIncomingMessage>"
            if isinstance(item, IncomingMessage)
            else f"<SMSResponse>{xml_codec.response_members(item)}</SMSResponse>"
            for item in result
        )
    opening = f'<{operation}Result xmlns:i="{XSI_NS}"'
    wrapped = f"{opening}>{inner}</{operation}Result>" if inner else f"{opening}/>"
    return f'<{operation}Response xmlns="{SMS2_NS}">{wrapped}</{operation}Response>'


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


async def respond(service: Service, request: Request, version: Version) -> Reply | Response | Fault:
    """Answer one SOAP request at the endpoint of ``version``."""
    media_type = f"{version.media}; charset=utf-8"
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
        body = await read_body(request.receive, request.headers.get("content-length"), service.config.max_body_bytes)
        parsed = parse_envelope(body, version, action)
        relates_to = parsed.message_id
        result, started = run(service, parsed)
    except RequestError as error:
        if error.status != 400:
            return Response(error.detail, error.status, media_type="text/plain; charset=utf-8")
        return _fault(version, _deserialization(error.detail), relates_to)
    except SoapFault as fault:
        return _fault(version, fault, relates_to)
    except FaultRequested as requested:
        return requested.fault
    if service.operations.response_delay:
        await asyncio.sleep(service.operations.response_delay)  # real time: it tests the client's timeouts
    content = envelope(
        version, render_result(parsed.operation, result), f"{ACTION}{parsed.operation}Response", relates_to
    )
    return Reply(content, media_type, started)


def _fault(version: Version, fault: SoapFault, relates_to: str | None) -> Response:
    content = envelope(version, fault_body(version, fault), FAULT_ACTION, relates_to)
    return Response(content, 500, media_type=f"{version.media}; charset=utf-8")


ENDPOINTS: dict[str, Version] = {"soap": SOAP11, "securesoap": SOAP11, "ws": SOAP12}
