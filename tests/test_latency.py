"""Sequential requests on one kept-alive connection, as a test suite makes them, answer without the
40 ms stall of Nagle's algorithm meeting a delayed ACK, on every event loop and parser uvicorn offers."""

from __future__ import annotations

import socket
import statistics
import time
from urllib.parse import urlsplit

import pytest
from starlette.types import Receive, Scope, Send

from fake_cdyne import Config, FakeServer
from fake_cdyne.server import ThreadedServer, bind

pytestmark = pytest.mark.xdist_group("timing")  # time bounds: run apart from the other timed and the heaviest tests

HEALTH = b"GET /_fake/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
ROUNDS = 25


async def bare_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The reference: an ASGI app returning the fake's health answer, nothing else."""
    if scope["type"] != "http":
        return
    body = b'{"status":"ok"}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def median_round_trip(url: str) -> float:
    """Median seconds of one request and its whole answer, over one connection, each answer read whole
    before the next request is written. The client sets TCP_NODELAY, so any stall is the server's."""
    parts = urlsplit(url)
    times = []
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(ROUNDS):
            start = time.perf_counter()
            conn.sendall(HEALTH)
            answer = b""
            while not answer.endswith(b'{"status":"ok"}'):
                chunk = conn.recv(65536)
                assert chunk, "the server closed the kept-alive connection"
                answer += chunk
            times.append(time.perf_counter() - start)
    return statistics.median(times)


@pytest.mark.parametrize(("loop", "http"), [("asyncio", "h11"), ("auto", "auto")])
def test_kept_alive_requests_do_not_wait_for_delayed_acks(loop: str, http: str) -> None:
    with (
        FakeServer(Config(port=0), loop=loop, http=http) as fake,
        ThreadedServer(bare_app, loop=loop, http=http) as bare,
    ):
        fake_time = median_round_trip(fake.url)
        bare_time = median_round_trip(bare.url)
    # A delayed ACK holds each answer for 40 ms (Linux's minimum); a healthy answer takes well under 5.
    assert fake_time < 0.010, f"median {fake_time * 1000:.1f} ms per request on one connection"
    assert fake_time < bare_time * 4 + 0.002, (fake_time, bare_time)


def test_every_accepted_connection_has_nodelay() -> None:
    listener = bind("127.0.0.1", 0)
    listener.listen()
    with listener, socket.create_connection(listener.getsockname()):
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
