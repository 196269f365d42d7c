"""HTTP failures on demand (a scenario's ``fault``): an error status, a slow answer, a connection
closed without an answer, a body cut short, or a body that is not CDYNE's.

Closing a connection needs the server's transport, which ASGI does not expose: uvicorn's ``receive``
is a method of the request cycle that holds it. Under another server, ``close`` and ``truncate``
fall back to a 502 that says so.
"""

from __future__ import annotations

import asyncio
import inspect
from http import HTTPStatus
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .codecs import Codec
from .model import SMSError, SMSResponse
from .scenario_model import Fault


def _transport(receive: Receive) -> Any:
    cycle = getattr(inspect.unwrap(receive), "__self__", None)  # through the request log's wrapper
    return getattr(cycle, "transport", None)


async def play_fault(fault: Fault, codec: Codec, scope: Scope, receive: Receive, send: Send) -> None:
    if fault.delay:
        await asyncio.sleep(fault.delay)  # real time: it tests the client's timeouts
    transport = _transport(receive)
    if (fault.close or fault.truncate) and transport is None:
        body = "fake-cdyne cannot close connections under this server; run it on uvicorn"
        await Response(body, 502)(scope, receive, send)
        return
    if fault.close:
        transport.close()
        return
    whole: bytes = codec.response(SMSResponse(error=SMSError.NoError))
    if fault.truncate:
        headers = [(b"content-type", codec.media_type.encode()), (b"content-length", str(len(whole)).encode())]
        await send({"type": "http.response.start", "status": fault.status or 200, "headers": headers})
        await send({"type": "http.response.body", "body": whole[: len(whole) // 2], "more_body": True})
        transport.close()
        return
    if fault.malformed:
        await Response(whole[: len(whole) // 2], fault.status or 200, media_type=codec.media_type)(scope, receive, send)
        return
    status = fault.status or 500
    body = fault.body if fault.body is not None else _phrase(status)
    await Response(body, status, media_type=fault.content_type)(scope, receive, send)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
