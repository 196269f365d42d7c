"""``create_app``: the Starlette application serving one fake."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route

from . import control
from .clock import ManualClock, SystemClock
from .config import Config
from .rest import ServiceRoute
from .service import Service


def create_app(config: Config | None = None, *, clock: SystemClock | ManualClock | None = None) -> Starlette:
    service = Service(config or Config(), clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.postbacks.start()
        yield
        service.scheduler.close()
        await service.postbacks.stop(service.config.postback_drain_seconds)

    async def index(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return PlainTextResponse(
            f"fake-cdyne: a test double of CDYNE SMS Notify!\n\n"
            f"Point your client at {base}/sms.svc (for example {base}/sms.svc/SimpleSMSsend).\n"
            f"Control API: {base}/_fake/health, {base}/_fake/messages\n"
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return PlainTextResponse(f"{exc.detail}: {request.method} {request.url.path}", exc.status_code)

    async def internal_error(request: Request, exc: Exception) -> Response:
        record = service.record_error(f"{request.method} {request.url.path}", exc)
        return PlainTextResponse(
            f"fake-cdyne internal error ({record.error}). This is a bug in fake-cdyne, not in your client; "
            "GET /_fake/errors lists it.",
            500,
        )

    app = Starlette(
        routes=[
            ServiceRoute(service),
            Mount(
                "/_fake",
                routes=control.routes,
                middleware=[Middleware(control.RequireToken, token=service.config.control_token)],
            ),
            Route("/", index),
        ],
        lifespan=lifespan,
        exception_handlers={
            control.ControlError: control.control_error,
            HTTPException: http_error,
            Exception: internal_error,
        },
    )
    app.state.service = service
    return app
