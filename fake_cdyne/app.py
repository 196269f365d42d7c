"""``create_app``: the Starlette application serving one fake."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount
from starlette.types import Message as ASGIMessage
from starlette.types import Receive, Scope, Send

from . import control, inbox
from .clock import ManualClock, SystemClock
from .config import Config
from .endpoint import ServiceEndpoint
from .guard import ControlGuard
from .inputs import ControlError
from .messaging.endpoint import messaging_endpoint
from .service import Service

BODILESS = frozenset({"GET", "HEAD"})  # methods whose requests the fake never reads a body of


def internal_error_text(error: str) -> str:
    return (
        f"fake-cdyne internal error ({error}). This is a bug in fake-cdyne, not in your client; "
        "GET /_fake/errors lists it."
    )


class FakeCdyneApp(Starlette):
    """The Starlette app, with ``/sms.svc`` answered before Starlette's per-request machinery: that is
    the hot path every client request takes. Its failures are recorded and answered as the app's own."""

    def __init__(self, service: Service, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service
        self.endpoint = ServiceEndpoint(service)
        self.messaging = messaging_endpoint(service)  # /Messaging.svc
        self._services = {e.path[1:]: e for e in (self.endpoint, self.messaging)}  # by a path's first segment

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = None
        if scope["type"] == "http":
            lowered = scope["path"].lower()  # paths match in any case, as on CDYNE's IIS host
            endpoint = self._services.get(lowered[1:].partition("/")[0])
        if endpoint is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        traffic = self.service.traffic
        exchange = traffic.begin(scope, send, self.service.clock) if traffic.size else None
        if exchange is not None and scope["method"] not in BODILESS:  # nothing reads a GET's body
            receive = exchange.reading(receive)
        answer = exchange or _Answer(send)
        tracking_send = answer.send  # notes that the answer began (and, in the log, what it was)

        try:
            await endpoint.handle(scope, receive, tracking_send, lowered)
        except Exception as exc:
            record = self.service.record_error(f"{scope['method']} {scope['path']}", exc)
            if answer.started:
                raise  # too late for an answer: the server closes the connection
            await PlainTextResponse(internal_error_text(record.error), 500)(scope, receive, tracking_send)
        finally:
            if exchange is not None:
                exchange.end()
                self.service.events.publish("request")


class _Answer:
    """The server's ``send``, noting whether the answer has begun (when the request log is off)."""

    __slots__ = ("_send", "started")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    def send(self, message: ASGIMessage) -> Awaitable[None]:
        self.started = True  # the first message of a response is always its start
        return self._send(message)  # the server's own awaitable: no coroutine of this one's


def create_app(config: Config | None = None, *, clock: SystemClock | ManualClock | None = None) -> FakeCdyneApp:
    service = Service(config or Config(), clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.start()
        yield
        await service.stop()

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return PlainTextResponse(f"{exc.detail}: {request.method} {request.url.path}", exc.status_code)

    async def internal_error(request: Request, exc: Exception) -> Response:
        # Starlette raises the error on to the server after this answer, and uvicorn then closes the
        # connection: the answer says so, or a client would send its next request into a closed socket.
        record = service.record_error(f"{request.method} {request.url.path}", exc)
        return PlainTextResponse(internal_error_text(record.error), 500, headers={"Connection": "close"})

    app = FakeCdyneApp(
        service,
        routes=[
            *inbox.routes,  # first: /_fake/ui is the page, open like any page; its data needs the token
            Mount(
                "/_fake",
                routes=control.routes,
                middleware=[Middleware(ControlGuard, config=service.config, open_paths=control.OPEN_PATHS)],
            ),
        ],
        lifespan=lifespan,
        exception_handlers={
            ControlError: control.control_error,
            HTTPException: http_error,
            Exception: internal_error,
        },
    )
    app.state.service = service
    return app
