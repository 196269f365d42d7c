"""``/sms.svc``: where a request goes (metadata, REST or SOAP) and how its operation's Result is answered.

Paths match without regard to case, as on CDYNE's IIS host. A surface parses the request into a
``Call`` (or refuses it); the operation runs and returns a ``Result``; the endpoint then plays the
scenario's fault, or holds the answer for its delay, sends it, and only then starts the life of the
messages the call created, so no postback can beat the response that created its message.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from . import rest, soap, wsdl
from .codecs.query import Query
from .errors import RequestError
from .exchange import Call, error_page
from .faults import play_fault
from .operations import Result
from .service import Service
from .sms2 import SMS2

PATH = "/sms.svc"
SECURE_PREFIX, PREFIX = f"{PATH}/securerest/", f"{PATH}/"


def metadata(service: Service, request: Request) -> Response:
    """``/sms.svc``: the WSDL, its import, the schemas, the disco document, or a help page."""
    base = f"{str(request.base_url).rstrip('/')}{PATH}"
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
    """Everything under /sms.svc."""

    def __init__(self, service: Service) -> None:
        self.service = service

    @staticmethod
    def serves(path: str) -> bool:
        lowered = path.lower()
        return lowered == PATH or lowered.startswith(PREFIX)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        lowered = path.lower()
        if lowered == PATH:
            await metadata(self.service, Request(scope, receive))(scope, receive, send)
            return
        prefix = SECURE_PREFIX if lowered.startswith(SECURE_PREFIX) else PREFIX
        name = path[len(prefix) :]
        version = soap.ENDPOINTS.get(name.strip("/").lower()) if prefix == PREFIX else None
        call = (
            await soap.prepare(SMS2, self.service.config, Request(scope, receive), version)
            if version is not None
            else await rest.prepare(SMS2, self.service.config, scope, receive, name)
        )
        if isinstance(call, Response):  # refused before reaching an operation
            await call(scope, receive, send)
            return
        result: Result[Any] = getattr(self.service.operations, call.operation.method)(*call.args)
        await self.answer(call, result, scope, receive, send)

    async def answer(self, call: Call, result: Result[Any], scope: Scope, receive: Receive, send: Send) -> None:
        if result.fault is not None:
            await play_fault(result.fault, call.codec, scope, receive, send)
            return
        body = call.render(result.value)  # before the delay: the answer is the state when it was asked
        if result.delay:
            await asyncio.sleep(result.delay)  # real time: it tests the client's timeouts
        media_type = _MEDIA_TYPES.get(call.media_type) or _MEDIA_TYPES.setdefault(
            call.media_type, call.media_type.encode()
        )
        headers = [(b"content-type", media_type), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if result.started:  # only now: no postback can ever beat the response that created its message
            self.service.lifecycle.start(result.started)


_MEDIA_TYPES: dict[str, bytes] = {}  # a Content-Type as the header's bytes (a codec's: a handful)


def _media_type(text: str) -> bytes:
    return _MEDIA_TYPES.get(text) or _MEDIA_TYPES.setdefault(text, text.encode())
