"""``/sms.svc`` and ``/Messaging.svc``: where a request goes (metadata, REST or SOAP) and how its
operation's Result is answered.

Paths match without regard to case, as on CDYNE's IIS host. A surface parses the request into a
``Call`` (or refuses it); the operation runs and returns a ``Result``; the endpoint then plays the
scenario's fault, or holds the answer for its delay, sends it, and only then starts the life of the
messages the call created, so no postback can beat the response that created its message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from . import rest, soap, wsdl
from .codecs.query import Query
from .errors import RequestError
from .exchange import error_page
from .faults import play_fault
from .metrics import Tally
from .operations import Result
from .registry import Registry
from .service import Service
from .sms2 import SMS2


@dataclass(frozen=True, slots=True)
class Surface:
    """What one ``.svc`` serves: its path, its operation table, its metadata documents (the one named
    by the query's lower-cased ``wsdl``/``xsd``/``disco`` values at a base URL, or None) and how its
    types cross REST and SOAP."""

    path: str  # as the service spells it ("/sms.svc", "/Messaging.svc"); requests match it in any case
    title: str
    registry: Registry
    document: Callable[[dict[str, str], str], str | None]
    rest: rest.RestTypes = rest.SMS2_REST
    soap: soap.SoapTypes = soap.SMS2_SOAP


def _sms2_document(wanted: dict[str, str], base: str) -> str | None:
    if "wsdl" in wanted:
        name = wanted["wsdl"].lower()
        return wsdl.main_wsdl(base, base) if not name else wsdl.wsdl0(base) if name == "wsdl0" else None
    if "xsd" in wanted:
        name = wanted["xsd"].lower()
        return wsdl.schema(name, base) if name in wsdl.XSD_NAMES else None
    return wsdl.disco(base)


SMS2_SURFACE = Surface("/sms.svc", "sms", SMS2, _sms2_document)
_METADATA = ("wsdl", "xsd", "disco")


def metadata(service: Service, request: Request, surface: Surface = SMS2_SURFACE) -> Response:
    """The service's path alone: the WSDL, its import, the schemas, the disco document (sms2), or a page."""
    base = f"{str(request.base_url).rstrip('/')}{surface.path}"
    try:
        wanted = Query(request.scope["query_string"], service.config.max_query_bytes).values
    except RequestError as error:
        return error_page(error.status, error.title, error.detail)
    if not any(name in wanted for name in _METADATA):
        title = surface.title
        page = (
            f"<html><head><title>{title} Service</title></head><body><h1>{title} Service</h1><p>fake-cdyne serves "
            f'CDYNE {title} here. WSDL: <a href="{base}?wsdl">{base}?wsdl</a>. REST: {base}/&lt;Operation&gt;; '
            f"SOAP 1.1: {base}/Soap; SOAP 1.2: {base}/WS.</p></body></html>"
        )
        return Response(page, media_type="text/html; charset=utf-8")
    document = surface.document(wanted, base)
    if document is None:
        return error_page(404, "Not Found", "There is no such metadata document: try ?wsdl or ?xsd=xsd0 to xsd3.")
    return Response(document, media_type="text/xml; charset=utf-8")


class ServiceEndpoint:
    """Everything under one service's path (``/sms.svc`` unless another ``Surface`` is given)."""

    def __init__(self, service: Service, surface: Surface = SMS2_SURFACE) -> None:
        self.service = service
        self.surface = surface
        self.path = surface.path.lower()
        self.prefix, self.secure_prefix = f"{self.path}/", f"{self.path}/securerest/"
        # By operation name and surface ("rest", "soap"): what runs it, and its counts.
        self._running: dict[tuple[str, str], tuple[Callable[..., Result[Any]], Tally]] = {}

    async def handle(self, scope: Scope, receive: Receive, send: Send, lowered: str) -> None:
        """One request to the service (``lowered``: its path in lower case, under this one's)."""
        started = time.perf_counter()
        surface = self.surface
        if lowered == self.path:
            await metadata(self.service, Request(scope, receive), surface)(scope, receive, send)
            return
        secure = lowered.startswith(self.secure_prefix)
        cut = len(self.secure_prefix if secure else self.prefix)
        name = scope["path"][cut:]
        version = None if secure else soap.ENDPOINTS.get(lowered[cut:].strip("/"))
        config = self.service.config
        call = (
            await rest.prepare(surface.registry, config, scope, receive, name, surface.rest)
            if version is None
            else await soap.prepare(surface.registry, config, Request(scope, receive), version, surface.soap)
        )
        kind = "rest" if version is None else "soap"
        service_name = surface.registry.service
        if isinstance(call, Response):  # refused before reaching an operation
            await call(scope, receive, send)
            self.service.metrics.refused(service_name, kind, call.status_code, time.perf_counter() - started)
            return
        operation = call.operation
        running = self._running.get((operation.name, kind))
        if running is None:
            tally = self.service.metrics.tally(service_name, kind, operation.name)
            running = self._running[operation.name, kind] = (self._method(operation.method), tally)
        method, tally = running
        result: Result[Any] = method(*call.args)
        fault = result.fault
        if fault is not None:
            await play_fault(fault, call.codec, scope, receive, send)
        else:
            body = call.render(result.value)  # before the delay: the answer is the state when it was asked
            if result.delay:
                await asyncio.sleep(result.delay)  # real time: it tests the client's timeouts
            headers = [(b"content-type", _media_type(call.media_type)), (b"content-length", b"%d" % len(body))]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            if result.started:  # only now: no postback can ever beat the response that created its message
                self.service.lifecycle.start(result.started)
        status = 200 if fault is None else (fault.status or 500)
        tally.add(result.value, status, time.perf_counter() - started)

    def _method(self, name: str) -> Callable[..., Result[Any]]:
        """What runs an operation: its method on ``Operations`` (sms2's), or dotted on ``MessagingOperations``."""
        if "." in name:
            part, _, name = name.partition(".")
            target = getattr(self.service.messaging, part)
        else:
            target = self.service.operations
        method: Callable[..., Result[Any]] = getattr(target, name)
        return method


_MEDIA_TYPES: dict[str, bytes] = {}  # a Content-Type as the header's bytes (a codec's: a handful)


def _media_type(text: str) -> bytes:
    return _MEDIA_TYPES.get(text) or _MEDIA_TYPES.setdefault(text, text.encode())
