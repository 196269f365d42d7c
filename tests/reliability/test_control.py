"""The control API (/_fake/) under hostile or careless input: cross-site pages, other Host names, numbers
out of range, deep or huge JSON, and internal errors on a kept-alive connection."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from fake_cdyne import Config, FakeServer, control
from fake_cdyne.app import create_app
from fake_cdyne.clock import ManualClock
from fake_cdyne.guard import host_allowed
from fake_cdyne.server import ThreadedServer
from fake_cdyne.service import Service

from ..conftest import StartFake, message_id, send


def service_of(server: FakeServer) -> Service:
    service: Service = server.starlette.state.service
    return service


def sent_count(http: httpx.Client, key: str) -> int:
    return len(http.get("/_fake/messages", params={"license_key": key}).json())


def assert_no_fake_errors(http: httpx.Client) -> None:
    assert http.get("/_fake/errors").json() == []
    assert http.get("/_fake/health").json() == {"status": "ok"}


# ---- cross-site requests -----------------------------------------------------------------------

EVIL = "http://evil.example"


@pytest.mark.parametrize(
    ("headers", "body", "why"),
    [
        # A plain HTML form on another site: url-encoded or text/plain, with the browser's Origin.
        ({"Origin": EVIL, "Content-Type": "application/x-www-form-urlencoded"}, b"license_key=", "Origin"),
        ({"Origin": EVIL, "Content-Type": "text/plain"}, b"{}", "Origin"),
        # fetch(..., {mode: "no-cors", method: "POST"}): no body, no content type, only the Origin.
        ({"Origin": EVIL}, b"", "Origin"),
        ({"Origin": "null"}, b"", "Origin"),  # a sandboxed frame or a file:// page
        # Browsers that send Fetch Metadata: another site, or a sibling port on the same host.
        ({"Sec-Fetch-Site": "cross-site"}, b"", "Sec-Fetch-Site"),
        ({"Sec-Fetch-Site": "same-site"}, b"", "Sec-Fetch-Site"),
    ],
)
def test_a_page_on_another_origin_cannot_reset_the_fake(
    http: httpx.Client, key: str, headers: dict[str, str], body: bytes, why: str
) -> None:
    send(http, key)
    refused = http.post("/_fake/reset", content=body, headers=headers)
    assert refused.status_code == 403, refused.text
    assert why in refused.json()["error"]
    assert sent_count(http, key) == 1  # nothing was reset


def test_a_text_plain_body_is_refused_even_without_an_origin(http: httpx.Client, key: str) -> None:
    """Old browsers send no Origin with a form; a form can only say text/plain or url-encoded."""
    body = json.dumps({"license_key": key, "from": "7575449510", "message": "STOP"}).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        refused = http.post("/_fake/incoming", content=body, headers={"Content-Type": content_type})
        assert refused.status_code == 415, refused.text
        assert "application/json" in refused.json()["error"]
    refused = http.post("/_fake/incoming", content=body)  # a body with no content type at all
    assert refused.status_code == 415
    assert http.get("/_fake/incoming", params={"license_key": key}).json() == []  # STOP never arrived


def test_curl_the_client_and_the_own_origin_still_drive_it(http: httpx.Client, fake: FakeServer, key: str) -> None:
    send(http, key)
    own = fake.url
    assert http.post("/_fake/reset", json={"license_key": key}, headers={"Origin": own}).status_code == 200
    for site in ("same-origin", "none"):  # the inbox page; a URL typed into the address bar
        reply = http.post("/_fake/reset", json={"license_key": key}, headers={"Sec-Fetch-Site": site})
        assert reply.status_code == 200, reply.text
    assert http.post("/_fake/reset", params={"license_key": key}).status_code == 200  # curl -X POST, no body
    assert http.delete("/_fake/scenario", params={"license_key": key}).status_code == 200
    typed = {"Content-Type": "application/json; charset=utf-8"}
    reply = http.post("/_fake/reset", content=json.dumps({"license_key": key}), headers=typed)
    assert reply.status_code == 200, reply.text
    assert http.get("/_fake/messages", headers={"Origin": EVIL}).status_code == 200  # reading is CORS's job


README = Path(__file__).parent.parent.parent / "README.md"
CURL_POSTS = [
    line.strip()
    for line in README.read_text(encoding="utf-8").splitlines()
    if line.lstrip().startswith("curl ") and "/_fake/" in line and re.search(r" (-d|--data\S*|--json|-X ?POST) ", line)
]


def test_the_readme_shows_posts_with_curl() -> None:
    assert CURL_POSTS


@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl")
@pytest.mark.parametrize("command", CURL_POSTS)
def test_the_readme_curl_posts_work(fake: FakeServer, command: str) -> None:
    argv = [part.replace("http://127.0.0.1:8080", fake.url) for part in shlex.split(command)]
    done = subprocess.run([*argv, "-s", "-w", "\n%{http_code}"], capture_output=True, text=True, timeout=10)
    body, _, status = done.stdout.rpartition("\n")
    assert status == "200", body


# ---- reset: only an absent key means all -------------------------------------------------------


@pytest.mark.parametrize("given", ["", None, 0, False, [], {}, "not-a-guid"])
def test_reset_with_an_empty_or_wrong_key_resets_nothing(http: httpx.Client, key: str, given: object) -> None:
    send(http, key)
    refused = http.post("/_fake/reset", json={"license_key": given})
    assert refused.status_code == 400, refused.text
    assert "license_key" in refused.json()["error"]
    assert sent_count(http, key) == 1


def test_reset_with_an_empty_key_in_the_query_resets_nothing(http: httpx.Client, key: str) -> None:
    send(http, key)
    assert http.post("/_fake/reset", params={"license_key": ""}).status_code == 400
    assert sent_count(http, key) == 1


# ---- Host names (DNS rebinding) ----------------------------------------------------------------


def test_another_host_name_is_refused_by_the_control_api(http: httpx.Client, key: str) -> None:
    refused = http.get("/_fake/messages", headers={"Host": "rebound.evil.example"})
    assert refused.status_code == 421, refused.text
    assert "FAKE_CDYNE_ALLOWED_HOSTS" in refused.json()["error"]
    assert "rebound.evil.example" in refused.json()["error"]
    assert http.post("/_fake/reset", headers={"Host": "rebound.evil.example:8080"}).status_code == 421
    for host in ("localhost", "localhost:8080", "app.localhost", "127.0.0.1:9", "[::1]:8080", "LOCALHOST."):
        assert http.get("/_fake/messages", headers={"Host": host}).status_code == 200, host
    # The service itself answers any Host, as CDYNE's does.
    reply = http.get(
        "/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": key}, headers={"Host": "rebound.evil.example"}
    )
    assert reply.status_code == 200


@pytest.mark.parametrize(
    ("allowed", "host", "status"),
    [
        (("fake-cdyne",), "fake-cdyne:8080", 200),
        (("fake-cdyne",), "other:8080", 421),
        (("*.test",), "fake.test", 200),
        (("*.test",), "test.example", 421),
        (("*",), "anything.example", 200),
    ],
)
def test_allowed_hosts_adds_names(allowed: tuple[str, ...], host: str, status: int, start_fake: StartFake) -> None:
    http = start_fake(allowed_hosts=allowed).http
    assert http.get("/_fake/messages", headers={"Host": host}).status_code == status


def test_allowed_hosts_from_the_environment() -> None:
    config = Config.from_env({"FAKE_CDYNE_ALLOWED_HOSTS": "Fake-CDYNE, *.internal"})
    assert config.allowed_hosts == ("fake-cdyne", "*.internal")


def test_the_bind_host_and_the_tls_names_are_allowed() -> None:
    config = Config(host="fake.internal", tls_names=("fake.test",))
    assert all(host_allowed(config, host) for host in ("fake.internal:8080", "FAKE.TEST", "10.1.2.3", "[fe80::1]"))
    assert not host_allowed(config, "other.internal")
    assert not host_allowed(config, "localhost.evil.example")
    assert not host_allowed(config, "[not-an-ip]")


# ---- numbers and JSON out of range -------------------------------------------------------------

HUGE = "9" * 5000  # past Python's 4,300-digit limit for int()
DEEP = "[" * 100_000 + "]" * 100_000


def advance_body(raw: str) -> dict[str, Any]:
    return {"method": "POST", "url": "/_fake/clock/advance", "content": raw}


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (advance_body('{"seconds": ' + HUGE + "}"), "seconds"),
        (advance_body('{"seconds": -' + HUGE + "}"), "seconds"),
        (advance_body('{"seconds": 1e308}'), "seconds"),
        (advance_body('{"seconds": 1e999}'), "seconds"),
        (advance_body('{"seconds": NaN}'), "seconds"),
        (advance_body('{"seconds": Infinity}'), "seconds"),
        (advance_body('{"seconds": ' + DEEP + "}"), "nested"),
        (advance_body(DEEP), "nested"),
        ({"method": "GET", "url": "/_fake/postbacks/wait", "params": {"count": "inf"}}, "count"),
        ({"method": "GET", "url": "/_fake/postbacks/wait", "params": {"count": "nan"}}, "count"),
        ({"method": "GET", "url": "/_fake/postbacks/wait", "params": {"count": "1e7"}}, "count"),
        ({"method": "GET", "url": "/_fake/postbacks/wait", "params": {"count": "1.5"}}, "count"),
        ({"method": "GET", "url": "/_fake/postbacks/wait", "params": {"attempts": "inf"}}, "attempts"),
        ({"method": "GET", "url": "/_fake/postbacks/wait", "params": {"count": "0", "timeout": "nan"}}, "timeout"),
        ({"method": "GET", "url": "/_fake/postbacks/wait", "params": {"count": "0", "timeout": "inf"}}, "timeout"),
        ({"method": "GET", "url": "/_fake/postbacks/wait", "params": {"count": HUGE}}, "count"),
        ({"method": "GET", "url": "/_fake/requests", "params": {"limit": "nan"}}, "limit"),
        ({"method": "GET", "url": "/_fake/inbox", "params": {"limit": "1e400"}}, "limit"),
    ],
)
def test_a_number_out_of_range_is_a_400_naming_the_field(
    manual_http: httpx.Client, request_: dict[str, Any], field: str
) -> None:
    reply = manual_http.request(**request_, headers={"Content-Type": "application/json"})
    assert reply.status_code == 400, reply.text
    assert field in reply.json()["error"]
    assert_no_fake_errors(manual_http)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('"delay": Infinity', "delay"),
        ('"delay": 1e308', "delay"),
        ('"jitter": NaN', "jitter"),
        ('"jitter": -1', "jitter"),
        ('"seed": ' + HUGE, "seed"),
        ('"seed": 1.5', "seed"),
        ('"drop": 1', "drop"),
    ],
)
def test_chaos_out_of_range_is_refused_not_stored(http: httpx.Client, key: str, body: str, field: str) -> None:
    raw = f'{{"license_key": "{key}", {body}}}'
    reply = http.put("/_fake/postbacks/chaos", content=raw, headers={"Content-Type": "application/json"})
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert field in error
    assert_no_fake_errors(http)


def test_limits_are_named_in_the_error(manual_http: httpx.Client, key: str) -> None:
    reply = manual_http.post("/_fake/clock/advance", json={"seconds": 1e9})
    assert reply.status_code == 400
    assert reply.json()["error"] == "seconds must be a number from 0 to 31,536,000 (a year), not 1000000000.0"
    reply = manual_http.post("/_fake/postbacks/release", json={"license_key": key, "count": 10**7})
    assert reply.json()["error"] == "count must be a whole number from 0 to 1,000,000, not 10000000"


def test_the_manual_clock_cannot_pass_the_end_of_time() -> None:
    clock = ManualClock(datetime(9997, 6, 1, tzinfo=UTC))
    app = create_app(Config(port=0), clock=clock)
    with ThreadedServer(app, host="127.0.0.1", port=0) as server, httpx.Client(base_url=server.url) as http:
        reply = http.post("/_fake/clock/advance", json={"seconds": 31_536_000})
        assert reply.status_code == 400, reply.text
        assert "9998-01-01" in reply.json()["error"]
        assert http.get("/_fake/clock").json()["now"].startswith("9997-06-01")
        assert_no_fake_errors(http)


def test_a_lone_surrogate_is_refused_not_stored(http: httpx.Client, key: str) -> None:
    """Stored, it would break every later answer that shows it, /sms.svc's included."""
    send(http, key)
    raw = f'{{"license_key": "{key}", "from": "7575449510", "message": "\\ud800"}}'
    reply = http.post("/_fake/incoming", content=raw, headers={"Content-Type": "application/json"})
    assert reply.status_code == 400, reply.text
    assert "surrogate" in reply.json()["error"]
    assert http.get("/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": key}).status_code == 200
    assert http.get("/_fake/incoming", params={"license_key": key}).json() == []
    assert_no_fake_errors(http)


# ---- an internal error on a kept-alive connection ----------------------------------------------


@pytest.fixture
def private_fake() -> Iterator[FakeServer]:
    with FakeServer(Config(port=0)) as server:
        yield server


def connect(server: FakeServer) -> socket.socket:
    address = urlsplit(server.url)
    return socket.create_connection((address.hostname, address.port), timeout=5)


def read_response(sock: socket.socket, deadline: float) -> tuple[bytes, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed before an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    while len(body) < int(headers.get("content-length", "0")):
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        body += sock.recv(65536)
    return status.encode(), headers, body


def closed_by_server(sock: socket.socket, deadline: float) -> bool:
    try:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_an_internal_error_in_the_control_api_says_connection_close(
    private_fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(license_key: uuid.UUID | None = None) -> None:
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(service_of(private_fake), "reset", broken)
    deadline = time.monotonic() + 5
    with connect(private_fake) as sock:
        sock.sendall(b"POST /_fake/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
        status, headers, body = read_response(sock, deadline)
        assert status.startswith(b"HTTP/1.1 500"), status
        assert b"broken on purpose" in body
        assert headers.get("connection") == "close"  # the server closes it next: the client must know
        assert closed_by_server(sock, deadline)


def test_an_internal_error_in_the_service_keeps_the_connection(
    private_fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(service_of(private_fake).operations, "get_unread_incoming_messages", broken)
    deadline = time.monotonic() + 5
    request = f"GET /sms.svc/GetUnreadIncomingMessages?LicenseKey={uuid.uuid4()} HTTP/1.1\r\nHost: h\r\n\r\n"
    with connect(private_fake) as sock:
        for _ in range(2):  # the same connection answers again
            sock.sendall(request.encode())
            status, headers, body = read_response(sock, deadline)
            assert status.startswith(b"HTTP/1.1 500"), status
            assert headers.get("connection") != "close"
            assert b"internal error" in body


# ---- fuzzing every control route ---------------------------------------------------------------

FIELDS = ["license_key", "from", "to", "message", "dids", "blocked", "suspended", "postback_url", "attempts",
          "code", "count", "newest_first", "duplicate", "drop", "delay", "jitter", "seed", "scenario", "text",
          "source", "seconds", "timeout", "limit", "q", "id", "ids"]  # fmt: skip
TIMEOUTS = ["0", "0.001", "nan", "inf", "-1", "1e308", HUGE, "x", ""]
ROUTES = [(route.path, sorted(route.methods or ())) for route in control.routes if isinstance(route, Route)]
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and the infinities included: json.dumps writes NaN, Infinity
    st.text(max_size=20),
    st.sampled_from(["__HUGE__", "__KEY__", "7575449510", "", "0", "STOP", "http://127.0.0.1:9/x", 1e308, -0.0]),
    st.sampled_from(["\ud800", "a\udfff", "\U0001f600"]),  # lone surrogates, and a pair
)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=5), inner, max_size=3), max_leaves=8)  # fmt: skip
query_values = st.one_of(st.text(max_size=10), st.sampled_from(["__KEY__", "nan", "inf", "-1", "1e400", "0", HUGE]))


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[tuple[httpx.Client, str, str]]:
    """A fake on the manual clock, with one account that sent one message: (a client, its key, message id)."""
    with FakeServer(Config(port=0, manual_clock=True)) as server, httpx.Client(base_url=server.url) as http:
        fuzz_key = str(uuid.uuid4())
        sent = send(http, fuzz_key)
        yield http, fuzz_key, message_id(sent.text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    route=st.sampled_from(ROUTES),
    other_method=st.sampled_from([None] * 10 + ["GET", "POST", "PUT", "DELETE", "PATCH"]),
    path_value=st.sampled_from(["__KEY__", "__ID__", str(uuid.UUID(int=0)), "x", "%00", "a" * 300]),
    query=st.lists(st.tuples(st.sampled_from(FIELDS), query_values), max_size=4),
    body=st.one_of(
        st.none(),
        st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6),
        json_values,
        st.sampled_from([DEEP, "[" * 5000, HUGE, "{", "\ufeff{}", '{"seconds": 1e999}', '{"a": NaN}']).map(str.encode),
    ),
    json_type=st.sampled_from([True] * 9 + [False]),
)
def test_fuzz_every_control_route(
    fuzzed: tuple[httpx.Client, str, str],
    route: tuple[str, list[str]],
    other_method: str | None,
    path_value: str,
    query: list[tuple[str, str]],
    body: object,
    json_type: bool,
) -> None:
    http, fuzz_key, fuzz_id = fuzzed
    path, methods = route
    method = other_method or methods[0]

    def fill(text: str) -> str:
        return text.replace("__KEY__", fuzz_key).replace("__ID__", fuzz_id).replace('"__HUGE__"', HUGE)

    url = "/_fake" + path.replace("{license_key}", fill(path_value)).replace("{message_id}", fill(path_value))
    params: list[tuple[str, str | int | float | bool | None]] = [(name, fill(value)) for name, value in query]
    if path == "/postbacks/wait":
        params.append(("timeout", TIMEOUTS[len(params) % len(TIMEOUTS)]))  # last wins: never a long wait
    content = body if body is None or isinstance(body, bytes) else fill(json.dumps(body))
    headers = {"Content-Type": "application/json" if json_type else "text/plain"}
    with http.stream(method, url, params=params, content=content, headers=headers) as reply:
        if reply.headers.get("content-type", "").startswith("text/event-stream"):
            assert reply.status_code == 200
            text = ""
        else:
            text = reply.read().decode("utf-8", "replace")
    assert reply.status_code < 500, text
    assert "Traceback" not in text
    assert_no_fake_errors(http)
