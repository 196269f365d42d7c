"""/sms.svc answers an operation's Result: a scenario's fault in the answer's own format, a delay held
before the answer, and the state as it was when the request was made."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from fake_cdyne import Config, FakeCdyneClient, FakeServer


@pytest.fixture(scope="module")
def json_fake() -> Iterator[FakeServer]:
    with FakeServer(Config(port=0, default_format="json")) as server:
        yield server


def test_a_malformed_fault_cuts_short_the_format_the_answer_would_have_had(json_fake: FakeServer) -> None:
    no_accept = {"Accept": ""}  # what default_format is for
    with FakeCdyneClient(json_fake.url) as client, httpx.Client(base_url=json_fake.url, headers=no_accept) as http:
        client.use_scenario({"rules": [{"outcome": {"fault": {"malformed": True}}}]})
        params = {"PhoneNumber": "7575449510", "Message": "x", "LicenseKey": client.license_key}
        reply = http.get("/sms.svc/SimpleSMSsend", params=params)
        assert reply.status_code == 200
        assert reply.headers["content-type"] == "application/json; charset=utf-8"
        assert reply.text.startswith('{"Cancelled":false,"MessageID":')  # half of CDYNE's JSON SMSResponse
        as_xml = http.get("/sms.svc/SimpleSMSsend", params=params, headers={"Accept": "application/xml"})
        assert as_xml.text.startswith('<SMSResponse xmlns="http://sms2.cdyne.com"')
        assert client.messages == []  # a fault stores nothing


def test_a_delay_holds_the_answer_of_the_operation_it_delays(json_fake: FakeServer) -> None:
    with FakeCdyneClient(json_fake.url) as client, httpx.Client(base_url=json_fake.url, timeout=10) as http:
        rule = {"match": {"operation": "GetUnreadIncomingMessages"}, "outcome": {"delay": 0.3}}
        client.use_scenario({"rules": [rule]})
        started = time.monotonic()
        unread = http.get("/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": client.license_key})
        assert unread.text.startswith("<ArrayOfSMSIncomingMessage ")
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        http.get("/sms.svc/CancelMessage", params={"MessageID": client.license_key})
        assert time.monotonic() - started < 0.3  # the delay was that call's, not left behind for the next
