"""Reliability: fuzzing every operation's input, many clients at once, receivers that come and go, and
clients that are slow. The fake answers every one specifically and loses nothing."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections import Counter
from urllib.parse import quote_from_bytes

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_cdyne import Config, FakeServer, PostbackReceiver
from fake_cdyne.sms2 import SMS2

from .conftest import send

OPERATIONS = list(SMS2.names)
NAMES = ["PhoneNumber", "Message", "LicenseKey", "StatusPostBackURL", "MessageID", "ReferenceID", "licensekey"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# The fuzz tests and the check that they left no internal error run in one worker, in this order.
FUZZED = pytest.mark.xdist_group("fuzzed")


def assert_answered(reply: httpx.Response) -> None:
    """A specific answer: never a 5xx the fake did not mean, never a traceback."""
    assert reply.status_code < 500 or reply.headers.get("content-type", "").startswith(
        ("text/xml", "application/soap+xml")
    ), reply.text  # SOAP faults are 500 by design
    assert "Traceback" not in reply.text
    assert "internal error" not in reply.text


def assert_no_fake_errors(http: httpx.Client) -> None:
    assert http.get("/_fake/errors").json() == []
    assert http.get("/_fake/health").json() == {"status": "ok"}


query_values = st.one_of(
    st.binary(max_size=60).map(lambda b: quote_from_bytes(b)),
    st.text(max_size=40).map(lambda t: quote_from_bytes(t.encode("utf-8", "surrogatepass"))),
    st.sampled_from(["", "%", "%zz", "+", "7575449510", str(uuid.UUID(int=0)), "f01d89fd-5155-5455-5585-e84ab8de8591"]),
)


@FUZZED
@FUZZ
@given(
    operation=st.sampled_from(OPERATIONS),
    prefix=st.sampled_from(["/sms.svc/", "/sms.svc/SecureREST/", "/SMS.SVC/"]),
    params=st.lists(st.tuples(st.sampled_from(NAMES), query_values), max_size=6),
    accept=st.sampled_from(["", "application/json", "*/*", "text/html;q=0.2, application/json;q=bad"]),
)
def test_fuzz_rest_queries(
    http: httpx.Client, operation: str, prefix: str, params: list[tuple[str, str]], accept: str
) -> None:
    query = "&".join(f"{name}={value}" for name, value in params)
    headers = {"Accept": accept} if accept else {}
    method = "POST" if operation == "AdvancedSMSsend" else "GET"
    reply = http.request(method, f"{prefix}{operation}?{query}", headers=headers)
    assert_answered(reply)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
advanced_like = st.fixed_dictionaries(
    {},
    optional={
        "LicenseKey": st.one_of(st.just("f01d89fd-5155-5455-5585-e84ab8de8591"), json_values),
        "SMSRequests": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "Message": json_values, "PhoneNumbers": st.lists(json_values, max_size=3),
                    "ScheduledDateTime": st.one_of(json_values, st.just("/Date(4102444800000)/")),
                    "ReferenceID": json_values, "AssignedDID": json_values, "StatusPostBackURL": json_values,
                },
            ),
            max_size=3,
        ) | json_values,
        "IsUnicode": json_values,
    },
)  # fmt: skip


@FUZZED
@FUZZ
@given(body=st.one_of(advanced_like.map(lambda d: httpx.Request("POST", "/", json=d).read()), st.binary(max_size=300)))
def test_fuzz_advanced_json(http: httpx.Client, body: bytes) -> None:
    assert_answered(http.post("/sms.svc/AdvancedSMSsend", content=body, headers={"Content-Type": "application/json"}))


xml_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30).map(
    lambda t: t.replace("&", "&amp;").replace("<", "&lt;")
)
elements = st.sampled_from(["LicenseKey", "SMSRequests", "SMSRequest", "Message", "PhoneNumbers", "string",
                            "ScheduledDateTime", "IsUnicode", "ReferenceID", "MessageID", "PhoneNumber"])  # fmt: skip


@st.composite
def xml_tree(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(elements)
    if depth >= 3 or draw(st.booleans()):
        return f"<{name}>{draw(xml_text)}</{name}>"
    children = "".join(draw(st.lists(xml_tree(depth + 1), max_size=3)))
    return f"<{name}>{children}</{name}>"


@FUZZED
@FUZZ
@given(inner=st.lists(xml_tree(), max_size=4).map("".join), cut=st.integers(min_value=0, max_value=400))
def test_fuzz_advanced_xml(http: httpx.Client, inner: str, cut: int) -> None:
    body = f'<SMSAdvancedRequest xmlns="http://schemas.datacontract.org/2004/07/SmsWS">{inner}</SMSAdvancedRequest>'
    for candidate in (body, body[:cut]):
        assert_answered(http.post("/sms.svc/AdvancedSMSsend", content=candidate, headers={"Content-Type": "text/xml"}))


@FUZZED
@FUZZ
@given(operation=st.sampled_from(OPERATIONS), inner=st.lists(xml_tree(), max_size=4).map("".join), v12=st.booleans())
def test_fuzz_soap(http: httpx.Client, operation: str, inner: str, v12: bool) -> None:
    inner = inner.replace(
        "<SMSRequests>", '<AdvancedRequest xmlns="http://schemas.datacontract.org/2004/07/SmsWS"><SMSRequests>'
    )
    inner = (
        inner.replace("</SMSRequests>", "</SMSRequests></AdvancedRequest>") if "<AdvancedRequest" in inner else inner
    )
    body = f'<{operation} xmlns="http://sms2.cdyne.com">{inner}</{operation}>'
    if v12:
        envelope = (
            '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">'
            f"<s:Header><a:Action>http://sms2.cdyne.com/Isms/{operation}</a:Action><a:To>http://127.0.0.1/sms.svc/WS</a:To></s:Header><s:Body>{body}</s:Body></s:Envelope>"
        )
        reply = http.post("/sms.svc/WS", content=envelope, headers={"Content-Type": "application/soap+xml"})
    else:
        envelope = (
            f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{body}</s:Body></s:Envelope>'
        )
        reply = http.post("/sms.svc/Soap", content=envelope, headers={"Content-Type": "text/xml"})
    assert_answered(reply)


@FUZZED
def test_fuzzing_left_no_internal_errors(http: httpx.Client) -> None:
    assert_no_fake_errors(http)


# ---- load -----------------------------------------------------------------------------------------


@pytest.mark.xdist_group("timing")  # the heaviest: kept apart from the tests with a time bound
def test_two_thousand_concurrent_sends_from_fifty_clients() -> None:
    async def client(base: str, key: str, receiver: str, sends: int) -> list[str]:
        ids = []
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            for n in range(sends):
                params = {"PhoneNumber": f"1757544{n:04d}", "Message": f"load {n}", "LicenseKey": key,
                          "StatusPostBackURL": f"{receiver}/load"}  # fmt: skip
                reply = await http.get("/sms.svc/SimpleSMSsendWithPostback", params=params)
                assert "<SMSError>NoError</SMSError>" in reply.text
                ids.append(reply.text.split("<MessageID>")[1].split("<")[0])
        return ids

    async def run(base: str, receiver: str) -> list[list[str]]:
        keys = [str(uuid.uuid4()) for _ in range(50)]
        return await asyncio.gather(*(client(base, key, receiver, 40) for key in keys))

    with PostbackReceiver() as receiver, FakeServer() as fake:
        batches = asyncio.run(run(fake.url, receiver.url))
        ids = [mid for batch in batches for mid in batch]
        assert len(ids) == 2000
        assert len(set(ids)) == 2000
        with httpx.Client(base_url=fake.url, timeout=60) as http:
            assert len(http.get("/_fake/messages").json()) == 2000
            done = http.get("/_fake/postbacks/wait", params={"count": 2000, "timeout": 60}).json()
            assert {p["state"] for p in done} == {"delivered"}
            assert_no_fake_errors(http)
        delivered = Counter(post.form["MessageID"] for post in receiver.wait_for(2000, timeout=30))
        assert set(delivered) == set(ids)
        assert set(delivered.values()) == {1}  # exactly once


def test_receiver_down_then_up_with_retries(key: str) -> None:
    with socket.socket() as reserve:
        reserve.bind(("127.0.0.1", 0))
        port = reserve.getsockname()[1]  # nothing listens here yet: connections are refused
    config = Config(port=0, manual_clock=True, postback_retries=5, postback_backoff=1)
    with FakeServer(config) as fake, httpx.Client(base_url=fake.url) as http:
        for n in range(5):
            send(http, key, phone=f"757544951{n}", StatusPostBackURL=f"http://127.0.0.1:{port}/cb")
        http.post("/_fake/clock/advance", json={"seconds": 0})
        http.get("/_fake/postbacks/wait", params={"license_key": key, "attempts": 5}).raise_for_status()
        http.post("/_fake/clock/advance", json={"seconds": 1})
        http.get("/_fake/postbacks/wait", params={"license_key": key, "attempts": 10}).raise_for_status()
        with PostbackReceiver(port=port) as receiver:
            http.post("/_fake/clock/advance", json={"seconds": 2})
            journal = http.get("/_fake/postbacks/wait", params={"license_key": key, "count": 5}).json()
            assert [p["state"] for p in journal] == ["delivered"] * 5
            assert all(len(p["attempts"]) == 3 for p in journal)
            assert len(receiver.wait_for(5)) == 5


def test_slow_clients_do_not_hold_up_others(fake: FakeServer, http: httpx.Client, key: str) -> None:
    host, port = fake.url.removeprefix("http://").split(":")
    slow = [socket.create_connection((host, int(port))) for _ in range(20)]
    try:
        for conn in slow:  # each sends half a request and then nothing
            conn.sendall(b"POST /sms.svc/AdvancedSMSsend HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        for _ in range(20):
            assert "<SMSError>NoError</SMSError>" in send(http, key).text
    finally:
        for conn in slow:
            conn.close()
    assert_no_fake_errors(http)


@pytest.mark.parametrize("size", [1_048_577, 5_000_000])
def test_bodies_over_the_limit_are_413(http: httpx.Client, size: int) -> None:
    reply = http.post("/sms.svc/AdvancedSMSsend", content=b"x" * size, headers={"Content-Type": "text/xml"})
    assert reply.status_code == 413
    soap = http.post("/sms.svc/Soap", content=b"x" * size, headers={"Content-Type": "text/xml"})
    assert soap.status_code == 413
