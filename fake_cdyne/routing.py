"""A control route, declared once: method, path, summary, inputs (each a kind from ``inputs`` with its
range, where it is read from, its default), handler and answer. ``starlette_routes`` serves a table of
them; ``openapi.document`` describes the same table.

A handler gets a ``Call`` and reads each input by name, in its own order: ``call["count"]`` is the
value, checked against the input's kind (a 400 naming the field and its range), its default when
absent, or a 400 when a required input is absent. Reading an input the route does not declare is a
bug (a KeyError), so the document cannot leave out what a handler reads.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .inputs import ControlError, Kind
from .json_body import Fields, read_json
from .service import Service

Where = Literal["path", "query", "body"]
Handler = Callable[["Call"], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Input:
    """One input: read from the first of ``where`` that has it (a reset's key from the body, else the
    query). ``note`` describes it beside the kind's own range; ``schema`` overrides the kind's."""

    name: str
    kind: Kind[Any]
    where: tuple[Where, ...] = ("body",)
    required: bool = False
    default: Any = None
    note: str = ""
    label: str | None = None  # the name errors use, when not ``name`` ("message id")
    schema: dict[str, Any] | None = None


def path(name: str, kind: Kind[Any], label: str | None = None) -> Input:
    return Input(name, kind, ("path",), required=True, label=label)


def query(name: str, kind: Kind[Any], default: Any = None, note: str = "", *, required: bool = False) -> Input:
    return Input(name, kind, ("query",), required=required, default=default, note=note)


def body(name: str, kind: Kind[Any], default: Any = None, *, required: bool = False, **more: Any) -> Input:
    return Input(name, kind, ("body",), required=required, default=default, **more)


@dataclass(frozen=True, slots=True)
class ControlRoute:
    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str  # under /_fake
    summary: str
    handler: Handler
    inputs: tuple[Input, ...] = ()
    answer: dict[str, Any] | None = None  # the JSON schema of a success
    status: int = 200  # a success's status
    open: bool = False  # needs no control token
    media_type: str = "application/json"  # a success's

    def input(self, name: str) -> Input:
        for declared in self.inputs:
            if declared.name == name:
                return declared
        raise KeyError(f"{self.method} {self.path} declares no input {name!r}")

    @property
    def has_body(self) -> bool:
        return any("body" in declared.where for declared in self.inputs)


class Call:
    """One request to a control route: its inputs by name, read as declared, and its answer."""

    def __init__(self, route: ControlRoute, request: Request, raw: bytes) -> None:
        self.route = route
        self.request = request
        self._raw = raw
        self._sources: dict[Where, Fields] = {}

    @property
    def service(self) -> Service:
        service: Service = self.request.app.state.service
        return service

    def _fields(self, where: Where) -> Fields:
        found = self._sources.get(where)
        if found is None:
            if where == "body":
                found = read_json(self._raw)  # a bad body is refused when first read, not before
            else:
                values = self.request.path_params if where == "path" else self.request.query_params
                found = Fields(values, text=True)
            self._sources[where] = found
        return found

    def _source(self, declared: Input) -> Fields | None:
        return next((f for w in declared.where if declared.name in (f := self._fields(w))), None)

    def __contains__(self, name: str) -> bool:
        return self._source(self.route.input(name)) is not None

    def __getitem__(self, name: str) -> Any:
        declared = self.route.input(name)
        source = self._source(declared)
        if source is None:
            if declared.required:
                raise ControlError(f"{name} is required: {declared.kind.describe()}")
            return declared.default
        if declared.label is not None:
            return declared.kind.read_text(declared.label, source.values[name])
        return source.optional(name, declared.kind)

    def answer(self, content: Any) -> JSONResponse:
        return JSONResponse(content, status_code=self.route.status)


def _endpoint(route: ControlRoute) -> Callable[[Request], Awaitable[Response]]:
    operation = f"{route.method} /_fake{route.path}"

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            raw = await request.body() if route.has_body else b""
            response = await route.handler(Call(route, request, raw))
            status = response.status_code
            return response
        except ControlError as error:
            status = error.status
            raise
        finally:
            service: Service = request.app.state.service
            service.metrics.answered("control", "control", operation, None, status, time.perf_counter() - started)

    endpoint.__name__ = route.handler.__name__
    return endpoint


def starlette_routes(table: list[ControlRoute]) -> list[Route]:
    return [Route(route.path, _endpoint(route), methods=[route.method]) for route in table]
