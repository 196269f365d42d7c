"""Connections: what the parser makes of unusual heads, and clients that are slow, many or huge.

Every test runs on both HTTP parsers uvicorn offers (httptools, the default install's, and h11), over
raw sockets so that exactly these bytes reach the fake."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import select
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from fake_cdyne import Config, FakeServer

from ..conftest import send

STACKS = ["httptools", "h11"]
# What java.net.http.HttpClient sends by default over http://: a request to switch to HTTP/2 cleartext.
H2C = b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
ARRAYS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"


pytestmark = pytest.mark.xdist_group("timing")  # time bounds: run apart from the other timed and the heaviest tests


def advanced_send(license_key: str) -> bytes:
    return (
        '<SMSAdvancedRequest xmlns="http://schemas.datacontract.org/2004/07/SmsWS">'
        f"<LicenseKey>{license_key}</LicenseKey><SMSRequests><SMSRequest>"
        f'<Message>over h2c</Message><PhoneNumbers><string xmlns="{ARRAYS}">7575449510</string></PhoneNumbers>'
        "</SMSRequest></SMSRequests></SMSAdvancedRequest>"
    ).encode()


def soap_send(license_key: str) -> bytes:
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<SimpleSMSsend xmlns="http://sms2.cdyne.com"><PhoneNumber>7575449510</PhoneNumber>'
        f"<Message>over h2c</Message><LicenseKey>{license_key}</LicenseKey></SimpleSMSsend></s:Body></s:Envelope>"
    ).encode()


def post(path: str, content_type: str, body: bytes, extra: bytes = b"") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
    return head.encode() + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body


class Reply:
    def __init__(self, sock: socket.socket) -> None:
        response = http.client.HTTPResponse(sock)
        response.begin()
        self.status = response.status
        self.headers = response.headers
        self.text = response.read().decode()


def connect(fake: FakeServer) -> socket.socket:
    host, port = fake.url.removeprefix("http://").rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=5)


def ask(conn: socket.socket, request: bytes) -> Reply:
    conn.sendall(request)
    return Reply(conn)


def closed_by_server(conn: socket.socket, deadline: float) -> bytes | None:
    """Everything the server sent until it closed the connection, or None if still open at the deadline."""
    received = b""
    while (left := deadline - time.monotonic()) > 0:
        if select.select([conn], [], [], left)[0]:
            try:
                chunk = conn.recv(65536)
            except ConnectionResetError:
                return received
            if not chunk:
                return received
            received += chunk
    return None


def count_closed(conns: list[socket.socket], enough: int, deadline: float) -> int:
    """How many of the connections the server closed, waiting until ``enough`` are or the deadline."""
    still_open = list(conns)
    while len(conns) - len(still_open) < enough and (left := deadline - time.monotonic()) > 0:
        for conn in select.select(still_open, [], [], left)[0]:
            if closed_by_server(conn, time.monotonic() + 1) is not None:
                still_open.remove(conn)
    return len(conns) - len(still_open)


@pytest.fixture(scope="module", params=STACKS)
def stack_fake(request: pytest.FixtureRequest) -> Iterator[FakeServer]:
    with FakeServer(Config(port=0), http=request.param) as fake:
        yield fake


@pytest.fixture
def uvicorn_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """What uvicorn logs while the test runs (its loggers do not propagate to the root, so caplog's
    handler is attached to them directly)."""
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(caplog.handler)
    try:
        yield caplog.records
    finally:
        logger.removeHandler(caplog.handler)


# ---- an HTTP/2 cleartext upgrade is ignored, as IIS does -----------------------------------------


def test_h2c_upgrade_on_rest_xml_is_answered_as_a_plain_post(
    stack_fake: FakeServer, key: str, uvicorn_warnings: list[logging.LogRecord]
) -> None:
    with connect(stack_fake) as conn:
        reply = ask(conn, post("/sms.svc/AdvancedSMSsend", "text/xml", advanced_send(key), H2C))
        assert (reply.status, reply.text.count("<SMSError>NoError</SMSError>")) == (200, 1), reply.text
        # The connection stays HTTP/1.1 and kept alive: the next request on it is answered too.
        again = ask(conn, post("/sms.svc/AdvancedSMSsend", "text/xml", advanced_send(key)))
        assert "<SMSError>NoError</SMSError>" in again.text
    assert [r.getMessage() for r in uvicorn_warnings] == []


def test_h2c_upgrade_on_soap_is_answered_as_a_plain_post(
    stack_fake: FakeServer, key: str, uvicorn_warnings: list[logging.LogRecord]
) -> None:
    extra = H2C + b'SOAPAction: "http://sms2.cdyne.com/Isms/SimpleSMSsend"\r\n'
    with connect(stack_fake) as conn:
        reply = ask(conn, post("/sms.svc/Soap", "text/xml; charset=utf-8", soap_send(key), extra))
    assert reply.status == 200, reply.text
    assert "<SMSError>NoError</SMSError>" in reply.text
    assert [r.getMessage() for r in uvicorn_warnings] == []


def test_h2c_upgrade_on_the_control_api_is_answered_as_a_plain_post(
    stack_fake: FakeServer, key: str, uvicorn_warnings: list[logging.LogRecord]
) -> None:
    body = b'{"license_key": "%s", "from": "7575449510", "message": "over h2c"}' % key.encode()
    with connect(stack_fake) as conn:
        reply = ask(conn, post("/_fake/incoming", "application/json", body, H2C))
    assert reply.status == 201, reply.text
    assert json.loads(reply.text)["message"] == "over h2c"
    assert [r.getMessage() for r in uvicorn_warnings] == []


def test_the_request_log_shows_the_upgrade_headers_as_sent(stack_fake: FakeServer, key: str) -> None:
    with connect(stack_fake) as conn:
        ask(conn, post("/sms.svc/AdvancedSMSsend", "text/xml", advanced_send(key), H2C))
    with httpx.Client(base_url=stack_fake.url) as client:
        (logged,) = client.get("/_fake/requests", params={"license_key": key}).json()
    assert ["connection", "Upgrade, HTTP2-Settings"] in logged["headers"]
    assert ["upgrade", "h2c"] in logged["headers"]
    assert logged["body_bytes"] == len(advanced_send(key))


# ---- slow clients: heads that never complete ---------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_a_head_that_never_completes_is_closed_after_header_timeout(stack: str) -> None:
    with FakeServer(Config(port=0, header_timeout=0.3), http=stack) as fake:
        with connect(fake) as conn:
            conn.sendall(b"GET /_fake/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            start = time.monotonic()
            received = closed_by_server(conn, start + 5)
            waited = time.monotonic() - start
        assert received is not None, "still open after 5 s"
        assert 0.25 < waited < 3, waited
        assert received.startswith(b"HTTP/1.1 408 "), received
        assert b"header_timeout" in received
        with connect(fake) as idle:  # a connection that sends nothing at all is closed without an answer
            assert closed_by_server(idle, time.monotonic() + 5) == b""
        with connect(fake) as conn:  # a trickle of bytes does not extend the time
            conn.sendall(b"GET /_fake/health HTTP/1.1\r\n")
            start = time.monotonic()
            while not select.select([conn], [], [], 0.05)[0]:  # a byte every 50 ms until the server answers
                assert time.monotonic() - start < 5, "a trickling head was never answered"
                conn.sendall(b"X")
            received = closed_by_server(conn, time.monotonic() + 5)
            assert received is not None
            assert received.startswith(b"HTTP/1.1 408 ")
            assert time.monotonic() - start < 3
        with connect(fake) as conn:  # a kept-alive connection: each request head has its own time
            assert ask(conn, b"GET /_fake/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").status == 200
            conn.sendall(b"GET /_fake/health HTTP/1.1\r\n")
            received = closed_by_server(conn, time.monotonic() + 5)
            assert received is not None
            assert received.startswith(b"HTTP/1.1 408 ")


@pytest.mark.parametrize("stack", STACKS)
def test_heads_trickling_beyond_max_connections_do_not_starve_normal_requests(stack: str, key: str) -> None:
    cap = 20
    with FakeServer(Config(port=0, max_connections=cap), http=stack) as fake:
        tricklers = [connect(fake) for _ in range(2 * cap)]
        try:
            for conn in tricklers:
                conn.sendall(b"GET /sms.svc/GetMessageStatus HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            cold = httpx.Limits(max_keepalive_connections=0)  # each request on a fresh connection
            with httpx.Client(base_url=fake.url, timeout=5, limits=cold) as client:
                for _ in range(10):
                    assert "<SMSError>NoError</SMSError>" in send(client, key).text
            # The oldest heads waiting made room: never more than the cap open at once.
            assert count_closed(tricklers, len(tricklers) - cap + 1, time.monotonic() + 5) >= len(tricklers) - cap + 1
        finally:
            for conn in tricklers:
                conn.close()


@pytest.mark.parametrize("stack", STACKS)
def test_beyond_max_connections_all_busy_a_new_connection_gets_503(stack: str) -> None:
    cap = 5
    with FakeServer(Config(port=0, max_connections=cap), http=stack) as fake:
        busy = [connect(fake) for _ in range(cap)]
        try:
            for conn in busy:  # heads complete, bodies pending: requests in progress, not to be cut off
                conn.sendall(post("/sms.svc/AdvancedSMSsend", "text/xml", b"<a/>")[:-2])
            with connect(fake) as extra:
                received = closed_by_server(extra, time.monotonic() + 5)
            assert received is not None
            assert received.startswith(b"HTTP/1.1 503 "), received
            assert b"max_connections" in received
            for conn in busy:  # the requests in progress are unharmed
                conn.sendall(b"/>")
                assert Reply(conn).status == 400  # <a/> is not an SMSAdvancedRequest
        finally:
            for conn in busy:
                conn.close()
        with httpx.Client(base_url=fake.url, timeout=5) as client:
            assert client.get("/_fake/health").status_code == 200


@pytest.mark.parametrize("stack", STACKS)
def test_the_rest_of_a_body_answered_early_is_not_taken_for_a_head(stack: str) -> None:
    config = Config(port=0, max_body_bytes=1000, max_header_bytes=4096)
    with FakeServer(config, http=stack) as fake, connect(fake) as conn:
        body = b"x" * 200_000
        head = post("/sms.svc/AdvancedSMSsend", "text/xml", body)[: -len(body)]
        assert ask(conn, head + body[:2000]).status == 413  # answered before the body all came
        conn.sendall(body[2000:])  # the rest, on the same kept-alive connection, then a request
        assert ask(conn, b"GET /_fake/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").status == 200


# ---- huge heads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_a_head_of_8_mib_gets_431_quickly_and_the_server_stays_up(stack: str) -> None:
    with FakeServer(Config(port=0), http=stack) as fake:
        with connect(fake) as conn:
            request = b"GET /_fake/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (8 << 20) + b"\r\n\r\n"
            start = time.monotonic()
            writer = threading.Thread(target=_send_ignoring_close, args=(conn, request), daemon=True)
            writer.start()
            received = closed_by_server(conn, start + 5)
            writer.join(5)
        assert received is not None
        assert time.monotonic() - start < 3
        assert received.startswith(b"HTTP/1.1 431 "), received[:200]
        assert b"over 65536 bytes (max_header_bytes)" in received
        with httpx.Client(base_url=fake.url, timeout=5) as client:
            assert client.get("/_fake/health").status_code == 200


@pytest.mark.parametrize("stack", STACKS)
def test_many_headers_each_small_are_counted_together(stack: str) -> None:
    with FakeServer(Config(port=0, max_header_bytes=4096), http=stack) as fake:
        with connect(fake) as conn:
            headers = b"".join(b"X-Header-%d: %s\r\n" % (i, b"v" * 50) for i in range(200))
            conn.sendall(b"GET /_fake/health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n")
            received = closed_by_server(conn, time.monotonic() + 5)
        assert received is not None
        assert received.startswith(b"HTTP/1.1 431 "), received[:200]
        with connect(fake) as conn:  # a head under the limit, in one piece with its body, is fine
            body = b"x" * 100_000
            reply = ask(conn, post("/_fake/incoming", "application/json", body))
            assert reply.status != 431, reply.text  # the app answered it


def _send_ignoring_close(conn: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):  # the server refused the head and closed: what the test expects
        conn.sendall(data)


# ---- the request log keeps a bounded amount of each request ------------------------------------


def test_request_log_entries_keep_a_bounded_part_of_the_headers(fake: FakeServer, key: str) -> None:
    with connect(fake) as conn:
        big = b"".join(b"X-Padding-%d: %s\r\n" % (i, b"p" * 1000) for i in range(50))  # 50 KiB, under the cap
        reply = ask(conn, post("/sms.svc/AdvancedSMSsend", "text/xml", advanced_send(key), big))
        assert "<SMSError>NoError</SMSError>" in reply.text
    with httpx.Client(base_url=fake.url) as client:
        (logged,) = client.get("/_fake/requests", params={"license_key": key}).json()
    kept = sum(len(name) + len(value) for name, value in logged["headers"])
    assert kept <= 9 * 1024
    assert logged["headers"][0] == ["host", "127.0.0.1"]
    name, note = logged["headers"][-1]
    assert name == "(cut)"
    assert "not kept" in note
    assert "8192" in note
    assert logged["body"] == advanced_send(key).decode()
