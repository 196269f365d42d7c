"""The REST surface: ``/sms.svc/<Operation>`` and ``/sms.svc/SecureREST/<Operation>``.

Paths and operation names match case-insensitively, as on CDYNE's IIS host. Each request is parsed
by a codec, run by an operation, and rendered by the codec the client negotiated; the messages a send
created start their life cycle only after the response has been sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from . import soap, wsdl
from .codecs import Codec
from .codecs import json as json_codec
from .codecs import xml as xml_codec
from .codecs.query import Query, negotiate
from .errors import RequestError, UnsupportedMediaType
from .exchange import Reply, error_page, header, read_body
from .faults import play_fault
from .model import Message
from .scenario_model import Fault
from .scenarios import FaultRequested
from .service import Service

SECURE_PREFIX, PREFIX = "/sms.svc/securerest/", "/sms.svc/"


@dataclass(frozen=True, slots=True)
class Call:
    """One REST request on its way through an operation."""

    service: Service
    scope: Scope
    receive: Receive
    query: Query
    codec: Codec


Outcome = tuple[bytes, list[Message]]  # the rendered body, and the messages whose life starts after it


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    method: str
    run: Callable[[Call], Awaitable[Outcome]]


async def _simple_send(call: Call) -> Outcome:
    q = call.query
    sent = call.service.operations.simple_send(q.text("PhoneNumber"), q.text("Message"), q.guid("LicenseKey"))
    return call.codec.response(sent.responses[0]), sent.messages


async def _simple_send_with_postback(call: Call) -> Outcome:
    q = call.query
    sent = call.service.operations.simple_send(
        q.text("PhoneNumber"),
        q.text("Message"),
        q.guid("LicenseKey"),
        q.text("StatusPostBackURL"),
        operation="simplesmssendwithpostback",
    )
    return call.codec.response(sent.responses[0]), sent.messages


async def _advanced_send(call: Call) -> Outcome:
    parser = body_codec(header(call.scope, b"content-type"))
    body = await read_body(call.receive, header(call.scope, b"content-length"), call.service.config.max_body_bytes)
    sent = call.service.operations.advanced_send(parser.advanced_request(body))
    return call.codec.responses(sent.responses), sent.messages


async def _get_message_status(call: Call) -> Outcome:
    status = call.service.operations.get_message_status(
        call.query.guid("MessageID"), call.query.optional_guid("LicenseKey")
    )
    return call.codec.response(status), []


async def _get_by_reference(call: Call) -> Outcome:
    q = call.query
    found = call.service.operations.get_message_status_by_reference(q.text("ReferenceID"), q.guid("LicenseKey"))
    return call.codec.responses(found), []


async def _get_unread(call: Call) -> Outcome:
    unread = call.service.operations.get_unread_incoming_messages(call.query.guid("LicenseKey"))
    return call.codec.incoming(unread), []


async def _cancel(call: Call) -> Outcome:
    return call.codec.boolean(call.service.operations.cancel_message(call.query.guid("MessageID"))), []


OPERATIONS = {
    op.name.lower(): op
    for op in (
        Operation("SimpleSMSsend", "GET", _simple_send),
        Operation("SimpleSMSsendWithPostback", "GET", _simple_send_with_postback),
        Operation("AdvancedSMSsend", "POST", _advanced_send),
        Operation("GetMessageStatus", "GET", _get_message_status),
        Operation("GetMessageStatusByReferenceID", "GET", _get_by_reference),
        Operation("GetUnreadIncomingMessages", "GET", _get_unread),
        Operation("CancelMessage", "GET", _cancel),
    )
}


def body_codec(content_type: str | None) -> Codec:
    media = (content_type or "").partition(";")[0].strip().lower()
    if media in ("application/json", "text/json") or media.endswith("+json"):
        return json_codec
    if media in ("text/xml", "application/xml") or media.endswith("+xml"):
        return xml_codec
    raise UnsupportedMediaType(
        f"The Content-Type {content_type!r} is not accepted; send text/xml, application/xml or application/json."
    )


async def _respond(service: Service, scope: Scope, receive: Receive, operation_path: str) -> Reply | Response | Fault:
    operation = OPERATIONS.get(operation_path.strip("/").lower())
    if operation is None:
        names = ", ".join(op.name for op in OPERATIONS.values())
        return error_page(404, "Endpoint not found", f"No operation '{operation_path}'. The operations are: {names}.")
    method = scope["method"]
    if method != operation.method:
        return error_page(
            405,
            "Method not allowed",
            f"{operation.name} takes {operation.method}, not {method}.",
            headers={"Allow": operation.method},
        )
    codec = negotiate(header(scope, b"accept"), header(scope, b"content-type"), service.config.default_format)
    try:
        query = Query(scope["query_string"], limit=service.config.max_query_bytes)
        content, started = await operation.run(Call(service, scope, receive, query, codec))
    except RequestError as error:
        return error_page(error.status, error.title, error.detail)
    except FaultRequested as requested:
        return requested.fault
    if service.operations.response_delay:
        await asyncio.sleep(service.operations.response_delay)  # real time: it tests the client's timeouts
    return Reply(content, codec.media_type, started)


def metadata(service: Service, request: Request) -> Response:
    """``/sms.svc``: the WSDL, its import, the schemas, the disco document, or a help page."""
    base = f"{str(request.base_url).rstrip('/')}/sms.svc"
    try:
        wanted = Query(request.scope["query_string"], limit=service.config.max_query_bytes).values
    except RequestError as error:
        return error_page(error.status, error.title, error.detail)
    document = None
    if "wsdl" in wanted:
        name = wanted["wsdl"].lower()
        document = wsdl.main_wsdl(base, base) if not name else wsdl.wsdl0(base) if name == "wsdl0" else None
    elif "xsd" in wanted:
        name = wanted["xsd"].lower()
        document = wsdl.schema(name, base) if name in wsdl.XSD_NAMES else None
    elif "disco" in wanted:
        document = wsdl.disco(base)
    else:
        page = (
            f"<html><head><title>sms Service</title></head><body><h1>sms Service</h1><p>fake-cdyne serves "
            f'CDYNE SMS Notify! here. WSDL: <a href="{base}?wsdl">{base}?wsdl</a>. REST: {base}/&lt;Operation&gt;; '
            f"SOAP 1.1: {base}/Soap; SOAP 1.2: {base}/WS.</p></body></html>"
        )
        return Response(page, media_type="text/html; charset=utf-8")
    if document is None:
        return error_page(404, "Not Found", "There is no such metadata document: try ?wsdl or ?xsd=xsd0 to xsd3.")
    return Response(document, media_type="text/xml; charset=utf-8")


class ServiceEndpoint:
    """Everything under /sms.svc, matched without regard to case."""

    def __init__(self, service: Service) -> None:
        self.service = service

    @staticmethod
    def serves(path: str) -> bool:
        lowered = path.lower()
        return lowered == "/sms.svc" or lowered.startswith("/sms.svc/")

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        lowered = path.lower()
        if lowered == "/sms.svc":
            await metadata(self.service, Request(scope, receive))(scope, receive, send)
            return
        prefix = SECURE_PREFIX if lowered.startswith(SECURE_PREFIX) else PREFIX
        endpoint = soap.ENDPOINTS.get(path[len(prefix) :].strip("/").lower()) if prefix == PREFIX else None
        answer: Reply | Response | Fault
        if endpoint is not None:
            answer = await soap.respond(self.service, Request(scope, receive), endpoint)
        else:
            answer = await _respond(self.service, scope, receive, path[len(prefix) :])
        if isinstance(answer, Reply):
            await answer.send(self.service, send)
        elif isinstance(answer, Fault):
            codec = negotiate(header(scope, b"accept"), header(scope, b"content-type"), "xml")
            await play_fault(answer, codec, scope, receive, send)
        else:
            await answer(scope, receive, send)
