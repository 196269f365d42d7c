"""Pieces of one HTTP exchange that REST and SOAP share: reading a body within its limit, a short
error page, and starting the life of the messages a send created once its response has gone out."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from .errors import PayloadTooLarge
from .model import Message
from .service import Service


def error_page(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    """A short page in the manner of WCF's own, naming the problem."""
    body = (
        f"<html><head><title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>"
        f"<p>{escape(detail, quote=False)}</p></body></html>"
    )
    return Response(body, status, headers=headers, media_type="text/html; charset=utf-8")


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body is {declared} bytes; the limit is {limit} (max_body_bytes).")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The body is over {limit} bytes (max_body_bytes).")
        chunks.append(chunk)
    return b"".join(chunks)


def start_after(service: Service, messages: Sequence[Message]) -> BackgroundTask | None:
    """A task Starlette runs after the response is sent: no postback can ever beat its response."""
    if not messages:
        return None

    async def start_life() -> None:
        service.lifecycle.start(messages)

    return BackgroundTask(start_life)
