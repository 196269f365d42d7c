"""Pieces of one HTTP exchange that REST and SOAP share: reading a body within its limit, a header, a
short error page, and the parsed ``Call`` each surface hands to the endpoint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope

from .codecs import Codec
from .errors import PayloadTooLarge
from .registry import Operation


def error_page(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    """A short page in the manner of WCF's own, naming the problem."""
    body = (
        f"<html><head><title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>"
        f"<p>{escape(detail, quote=False)}</p></body></html>"
    )
    return Response(body, status, headers=headers, media_type="text/html; charset=utf-8")


async def read_body(receive: Receive, content_length: str | None, limit: int) -> bytes:
    """The whole body, refused with 413 as soon as it is known to be over the limit."""
    declared = content_length or ""
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body is {declared} bytes; the limit is {limit} (max_body_bytes).")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The body is over {limit} bytes (max_body_bytes).")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by name (in lower case, as ASGI gives them), the first of a repeated one,
    made in one pass without a Headers object."""
    return dict(reversed(scope["headers"]))


def header(found: dict[bytes, bytes], name: bytes) -> str | None:
    """One header of ``headers(scope)``, as text."""
    value = found.get(name)
    return None if value is None else value.decode("latin-1")


@dataclass(slots=True)  # not frozen: it is made for every request, and a frozen __init__ costs more
class Call:
    """One request, parsed by its surface (REST or SOAP): the operation to run with its arguments in
    signature order, and how to answer the operation's Result in the format the client negotiated."""

    operation: Operation
    args: tuple[Any, ...]
    render: Callable[[Any], bytes]  # the Result's value as the body of a 200
    media_type: str
    codec: Codec  # the format of the CDYNE body a scenario's fault cuts short
