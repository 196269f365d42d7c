"""``/Messaging.svc``: CDYNE's Messaging service on the same endpoint machinery as ``/sms.svc``.

Metadata ``?wsdl``, ``?wsdl=wsdl0`` and ``?xsd=xsd0..3`` are CDYNE's own documents with every address
naming the fake; REST ``/Messaging.svc/<Op>`` (also under ``/SecureREST/``, and ``<Op>WebPost``), SOAP
1.1 at ``/Soap`` and ``/SecureSoap``, SOAP 1.2 with WS-Addressing at ``/WS``. The seven sms2 operations
read and write through sms2's codecs, unchanged; every other type through the generic codec
(``codec.py``). A request the service cannot read is answered as WCF's webHttp host answers it: 400
with its "Request Error" page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from ..codecs import Codec
from ..codecs import json as json_codec
from ..codecs.query import Query
from ..endpoint import ServiceEndpoint, Surface
from ..errors import RequestError
from ..exchange import error_page
from ..registry import ADVANCED_REQUEST, GUID, STRING, Param
from ..rest import SMS2_REST
from ..soap import SMS2_SOAP
from . import codec
from .contract import XSD_NAMES, schema, template
from .table import MESSAGING

if TYPE_CHECKING:
    from ..service import Service

PATH = "/Messaging.svc"
REQUEST_ERROR = (
    "The server encountered an error processing the request. Please see the service help page for "
    "constructing valid requests to the service."
)
_SMS2_SCALARS = frozenset({GUID, STRING})


def document(wanted: dict[str, str], base: str) -> str | None:
    """``?wsdl``, ``?wsdl=wsdl0``, ``?xsd=xsd0``..``xsd3``: CDYNE's files, addresses naming ``base``."""
    if "wsdl" in wanted:
        name = wanted["wsdl"].lower() or "wsdl"
        found = name in ("wsdl", "wsdl0")
    else:
        name = wanted.get("xsd", "").lower()
        found = name in XSD_NAMES
    return template(name).replace("{secure_base}", base).replace("{base}", base) if found else None


class MessagingRest:
    """REST for Messaging's types: sms2's readers and renderers for sms2's types, the generic codec for
    the rest, and WCF's Request Error page for whatever cannot be read."""

    @staticmethod
    def argument(query: Query, param: Param) -> Any:
        if param.type in _SMS2_SCALARS:
            return SMS2_REST.argument(query, param)
        return codec.query_argument(query, param.name, param.type)

    @staticmethod
    def body(parser: Codec, param: Param, data: bytes) -> Any:
        if param.type in SMS2_REST.reads:
            return SMS2_REST.body(parser, param, data)
        if parser is json_codec:
            return codec.read_json(param.type, data, param.name)
        return codec.read_xml(param.type, data)

    @staticmethod
    def renderer(format_: Codec, result: str) -> Callable[[Any], bytes]:
        if result in SMS2_REST.renders:
            return SMS2_REST.renderer(format_, result)
        return functools.partial(codec.write_json if format_ is json_codec else codec.write_xml, result)

    @staticmethod
    def refusal(error: RequestError) -> Response:
        if error.status in (400, 415):  # not deserialisable, or a body in a format WCF does not read
            return error_page(400, "Request Error", f"{REQUEST_ERROR} {error.detail}")
        return SMS2_REST.refusal(error)


class MessagingSoap:
    """SOAP for Messaging's types: a wrapper child through the generic XML reader, a result as
    ``<OpResult>`` in XSD member order (nil as ``i:nil``)."""

    @staticmethod
    def argument(fields: dict[str, Any], param: Param) -> Any:
        if param.type in _SMS2_SCALARS or param.type == ADVANCED_REQUEST:
            return SMS2_SOAP.argument(fields, param)
        return codec.xml_argument(param.type, fields.get(param.name), param.name)

    @staticmethod
    def result(element: str, type_: str, value: Any) -> str:
        if type_ in SMS2_REST.renders:
            return SMS2_SOAP.result(element, type_, value)
        content = codec.xml_content(type_, value)
        if content is None:
            return f'<{element} i:nil="true" xmlns:i="{codec.XSI_NS}"/>'
        if type_ not in schema().types:
            return f"<{element}>{content}</{element}>"
        opening = f'<{element} xmlns:i="{codec.XSI_NS}"'
        return f"{opening}>{content}</{element}>" if content else f"{opening}/>"


SURFACE = Surface(PATH, "Messaging", MESSAGING, document, MessagingRest(), MessagingSoap())


def messaging_endpoint(service: Service) -> ServiceEndpoint:
    """The endpoint serving ``/Messaging.svc`` for one fake."""
    return ServiceEndpoint(service, SURFACE)
