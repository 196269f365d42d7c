"""The REST surface: ``/sms.svc/<Operation>`` and ``/sms.svc/SecureREST/<Operation>``.

Operation names match case-insensitively, as on CDYNE's IIS host. A GET operation's parameters come
from the query string, a POST operation's one parameter from the body (XML or JSON by its
Content-Type); the answer is rendered in the format the client negotiated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope

from .codecs import Codec
from .codecs import json as json_codec
from .codecs import xml as xml_codec
from .codecs.query import Query, negotiate
from .config import Config
from .errors import RequestError, UnsupportedMediaType
from .exchange import Call, error_page, header, read_body
from .registry import (
    ADVANCED_REQUEST,
    BOOLEAN,
    GUID,
    INCOMING_MESSAGES,
    SMS_RESPONSE,
    SMS_RESPONSES,
    STRING,
    Operation,
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


def _query_argument(query: Query, name: str, type_: str, hint: bool) -> Any:
    if type_ == GUID:
        return query.optional_guid(name) if hint else query.guid(name)
    assert type_ == STRING, type_
    return query.text(name)


async def _arguments(operation: Operation, config: Config, scope: Scope, receive: Receive) -> tuple[Any, ...]:
    query = Query(scope["query_string"], limit=config.max_query_bytes)
    body = operation.body
    if body is None:
        return tuple(_query_argument(query, p.name, p.type, p.hint) for p in operation.params)
    parser = body_codec(header(scope, b"content-type"))
    data = await read_body(receive, header(scope, b"content-length"), config.max_body_bytes)
    return (_BODIES[body.type](parser, data),)


async def prepare(registry: Registry, config: Config, scope: Scope, receive: Receive, name: str) -> Call | Response:
    """The call a REST request makes, or the error page that refuses it."""
    operation = registry.named(name.strip("/"))
    if operation is None:
        names = ", ".join(registry.names)
        return error_page(404, "Endpoint not found", f"No operation '{name}'. The operations are: {names}.")
    method = scope["method"]
    if method != operation.verb:
        return error_page(
            405,
            "Method not allowed",
            f"{operation.name} takes {operation.verb}, not {method}.",
            headers={"Allow": operation.verb},
        )
    codec = negotiate(header(scope, b"accept"), header(scope, b"content-type"), config.default_format)
    try:
        args = await _arguments(operation, config, scope, receive)
    except RequestError as error:
        return error_page(error.status, error.title, error.detail)
    return Call(operation, args, _RENDER[codec][operation.result], codec.media_type, codec)
