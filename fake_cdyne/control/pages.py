"""Listings of the whole store, a page at a time, and never all at once.

A listing route takes ``limit`` (records in the page) and ``cursor`` (where the page starts, from the
last page's ``X-Next-Cursor`` header, also given as a ``Link: <...>; rel="next"``). The order is the
order records were stored, oldest first, and stays the same whatever is added or let go meanwhile: a
cursor names the last record shown (its serial), not a position. Without ``limit`` the whole listing
is sent, but streamed: ``CHUNK`` records are rendered at a time, each chunk found again from the last
one's cursor, and every ``SLICE`` seconds of rendering other requests are served; it ends at the newest
record when it began.

Starlette streams through anyio, which imports its asyncio backend on first use: 0.1-0.2 s of the
event loop inside the first streamed listing. It is imported here, with the package, instead.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import anyio._backends._asyncio  # noqa: F401  (see the module's docstring)
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..inputs import CURSOR, PAGE_SIZE, Cursor
from ..routing import Call, query

T = TypeVar("T")
CHUNK = 50
SLICE = 0.001  # seconds of rendering before giving way to other requests
NEXT = "X-Next-Cursor"
LIMIT = query(
    "limit", PAGE_SIZE, 0, "records in the page (0: all, streamed); the next page's cursor is in X-Next-Cursor"
)
CURSOR_INPUT = query("cursor", CURSOR, note="start after the record this cursor names")
PAGED = (LIMIT, CURSOR_INPUT)

Fetch = Callable[[int | None, int], list[T]]  # (cursor, limit) -> records after the cursor, oldest first


def _dumps(content: Any) -> str:
    """As Starlette's JSONResponse writes JSON."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))


def listing(
    call: Call, fetch: Fetch[T], serial: Callable[[T], int], render: Callable[[T], Any], newest: int | None
) -> Response:
    """One page (with ``limit``), or every record up to ``newest`` (a serial), streamed."""
    limit, cursor = call["limit"], call["cursor"]
    if limit:
        found = fetch(cursor, limit + 1)
        headers: dict[str, str] = {}
        if len(found) > limit:
            found = found[:limit]
            token = Cursor.of(serial(found[-1]))
            headers[NEXT] = token
            following = call.request.url.include_query_params(cursor=token, limit=limit)
            headers["Link"] = f'<{following}>; rel="next"'
        return JSONResponse([render(record) for record in found], headers=headers)
    return StreamingResponse(_stream(fetch, serial, render, cursor, newest), media_type="application/json")


async def _stream(
    fetch: Fetch[T], serial: Callable[[T], int], render: Callable[[T], Any], cursor: int | None, newest: int | None
) -> AsyncIterator[str]:
    yield "["
    first = True
    began = time.perf_counter()
    while newest is not None:
        found = fetch(cursor, CHUNK)
        shown = [record for record in found if serial(record) <= newest]
        if shown:
            text = ",".join(_dumps(render(record)) for record in shown)
            yield text if first else "," + text
            first = False
            cursor = serial(shown[-1])
        if len(shown) < CHUNK:
            break
        if time.perf_counter() - began > SLICE:
            await asyncio.sleep(0)  # let other requests in
            began = time.perf_counter()
    yield "]"
