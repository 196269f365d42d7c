"""The REST surface: ``/sms.svc/<Operation>`` and ``/sms.svc/SecureREST/<Operation>``.

Operation names match case-insensitively, as on CDYNE's IIS host. A GET operation's parameters come
from the query string, a POST operation's one parameter from the body (XML or JSON by its
Content-Type); the answer is rendered in the format the client negotiated. How each type is read and
written is the service's ``RestTypes``: sms2's here, Messaging's in ``messaging/endpoint.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from starlette.responses import Response
from starlette.types import Receive, Scope

from .codecs import Codec
from .codecs import json as json_codec
from .codecs import xml as xml_codec
from .codecs.query import Query, negotiate
from .config import Config
from .errors import RequestError, UnsupportedMediaType
from .exchange import Call, error_page, header, headers, read_body
from .registry import (
    ADVANCED_REQUEST,
    BOOLEAN,
    GUID,
    INCOMING_MESSAGES,
    SMS_RESPONSE,
    SMS_RESPONSES,
    STRING,
    Param,
    Registry,
)

_RENDER: dict[Codec, dict[str, Callable[[Any], bytes]]] = {
    codec: {
        SMS_RESPONSE: codec.response,
        SMS_RESPONSES: codec.responses,
        INCOMING_MESSAGES: codec.incoming,
        BOOLEAN: codec.boolean,
    }
    for codec in (xml_codec, json_codec)
}  # by format, each result type's renderer
_BODIES: dict[str, Callable[[Codec, bytes], Any]] = {ADVANCED_REQUEST: lambda codec, body: codec.advanced_request(body)}


def body_codec(content_type: str | None) -> Codec:
    media = (content_type or "").partition(";")[0].strip().lower()
    if media in ("application/json", "text/json") or media.endswith("+json"):
        return json_codec
    if media in ("text/xml", "application/xml") or media.endswith("+xml"):
        return xml_codec
    raise UnsupportedMediaType(
        f"The Content-Type {content_type!r} is not accepted; send text/xml, application/xml or application/json."
    )


class RestTypes(Protocol):
    """How one service's parameter and result types cross REST: a GET parameter from the query, a POST
    parameter from the body in a format, a result type's renderer in a format, and the page refusing
    a request."""

    def argument(self, query: Query, param: Param) -> Any: ...

    def body(self, parser: Codec, param: Param, data: bytes) -> Any: ...

    def renderer(self, codec: Codec, result: str) -> Callable[[Any], bytes]: ...

    def refusal(self, error: RequestError) -> Response: ...


class Sms2Rest:
    """sms2's types: GUID and string parameters, SMSAdvancedRequest bodies, its four result types."""

    renders = frozenset(_RENDER[xml_codec])
    reads = frozenset(_BODIES)

    @staticmethod
    def argument(query: Query, param: Param) -> Any:
        if param.type == STRING:
            return query.values.get(param.key)
        assert param.type == GUID, param.type
        return query.optional_guid(param.name) if param.hint else query.guid(param.name, param.key)

    @staticmethod
    def body(parser: Codec, param: Param, data: bytes) -> Any:
        return _BODIES[param.type](parser, data)

    @staticmethod
    def renderer(codec: Codec, result: str) -> Callable[[Any], bytes]:
        return _RENDER[codec][result]

    @staticmethod
    def refusal(error: RequestError) -> Response:
        return error_page(error.status, error.title, error.detail)


SMS2_REST = Sms2Rest()


async def _body_argument(
    param: Param,
    types: RestTypes,
    config: Config,
    receive: Receive,
    found: dict[bytes, bytes],
    content_type: str | None,
) -> Any:
    """A POST operation's one argument, from the body."""
    parser = body_codec(content_type)
    data = await read_body(receive, header(found, b"content-length"), config.max_body_bytes)
    return types.body(parser, param, data)


async def prepare(
    registry: Registry, config: Config, scope: Scope, receive: Receive, name: str, types: RestTypes = SMS2_REST
) -> Call | Response:
    """The call a REST request makes, or the error page that refuses it."""
    operations = registry.at_path(name.strip("/"))
    if not operations:
        names = ", ".join(registry.names)
        return error_page(404, "Endpoint not found", f"No operation '{name}'. The operations are: {names}.")
    method = scope["method"]
    for operation in operations:
        if operation.verb == method:
            break
    else:
        verbs = ", ".join(op.verb for op in operations)
        return error_page(
            405,
            "Method not allowed",
            f"{operations[0].name} takes {verbs}, not {method}.",
            headers={"Allow": verbs},
        )
    found = headers(scope)
    accept, content_type = header(found, b"accept"), header(found, b"content-type")
    codec = negotiate(accept, content_type, config.default_format)
    try:
        query = Query(scope["query_string"], config.max_query_bytes)  # within its limit, POST too
        body = operation.body
        if body is None:  # a GET operation's arguments, from the query
            argument = types.argument
            args = tuple([argument(query, p) for p in operation.params])
        else:
            args = (await _body_argument(body, types, config, receive, found, content_type),)
    except RequestError as error:
        return types.refusal(error)
    return Call(operation, args, types.renderer(codec, operation.result), codec.media_type, codec)
