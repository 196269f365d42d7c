"""What the tests share: the session's fakes and their clients, a receiver, a fake of a test's own
(``start_fake``), fresh keys, and helpers to send and read the wire."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_cdyne import Config, FakeCdyneClient, FakeServer, PostbackReceiver

DATA = Path(__file__).parent / "data"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ZERO_GUID = "00000000-0000-0000-0000-000000000000"

pytest_plugins = ["pytester"]

# scripts/check runs the suite in one worker a core (pytest-xdist, --dist loadgroup). The tests with a time
# bound, and the heaviest (thousands of sends or postbacks), are marked @pytest.mark.xdist_group("timing"):
# one worker runs them one after another, so none of them runs beside another of them.


def without_ids(text: str) -> str:
    """The body with every non-zero GUID replaced, for byte comparison with captures."""
    return GUID.sub(lambda m: m[0] if m[0] == ZERO_GUID else "GUID", text)


def one_line(xml: str) -> str:
    """A pretty-printed capture as the service sends it: no declaration, no whitespace between tags."""
    xml = re.sub(r"^<\?xml[^>]*\?>", "", xml.strip())
    return re.sub(r">\s+<", "><", xml).strip()


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytest's own, its inner runs without Hypothesis's pytest plugin. fake-cdyne's plugin does not use
    it, and at the end of every run it imports the whole of Hypothesis: about 1.5 s of CPU a run, in the
    suite's 35 inner runs. (Pytester clears PYTEST_ADDOPTS first; the monkeypatch restores it after.)"""
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest")
    return pytester


@pytest.fixture(scope="session")
def fake() -> Iterator[FakeServer]:
    with FakeServer(Config(port=0)) as server:
        yield server


@pytest.fixture(scope="session")
def manual_fake() -> Iterator[FakeServer]:
    with FakeServer(Config(port=0, manual_clock=True, send_delay=5)) as server:
        yield server


@pytest.fixture
def http(fake: FakeServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, timeout=10) as client:
        yield client


@pytest.fixture
def manual_http(manual_fake: FakeServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=manual_fake.url, timeout=10) as client:
        yield client


@pytest.fixture
def client(fake: FakeServer) -> Iterator[FakeCdyneClient]:
    """A control API client for the session's fake, with a fresh license key."""
    with FakeCdyneClient(fake.url) as handle:
        yield handle


@pytest.fixture
def receiver() -> Iterator[PostbackReceiver]:
    """A real HTTP endpoint to post back to, on 127.0.0.1 and a free port."""
    with PostbackReceiver() as running:
        yield running


@dataclass(frozen=True)
class Started:
    fake: FakeServer
    http: httpx.Client  # for fake.url


StartFake = Callable[..., Started]


@pytest.fixture
def start_fake() -> Iterator[StartFake]:
    """``http = start_fake(send_delay=2).http``: a fake of the test's own with these settings (Config
    fields; port 0) and an HTTP client for it, both stopped when the test ends."""
    with contextlib.ExitStack() as stack:

        def start(**settings: Any) -> Started:
            fake = stack.enter_context(FakeServer(Config(**({"port": 0} | settings))))
            return Started(fake, stack.enter_context(httpx.Client(base_url=fake.url, timeout=10)))

        yield start


@pytest.fixture
def key() -> str:
    """A fresh license key: its own account, so tests never see each other's messages."""
    return str(uuid.uuid4())


def send(
    http: httpx.Client, key: str, phone: str = "7575449510", message: str = "Hello", **extra: str
) -> httpx.Response:
    params = {"PhoneNumber": phone, "Message": message, "LicenseKey": key, **extra}
    return http.get("/sms.svc/SimpleSMSsendWithPostback", params=params)


def journal(http: httpx.Client, key: str, count: int, timeout: float = 5) -> list[dict[str, object]]:
    """The key's postback journal once ``count`` postbacks have finished (a failure after ``timeout``)."""
    reply = http.get("/_fake/postbacks/wait", params={"license_key": key, "count": count, "timeout": timeout})
    assert reply.status_code == 200, reply.text
    found: list[dict[str, object]] = reply.json()
    return found


def message_id(body: str) -> str:
    found = re.search(r"<MessageID>([^<]*)</MessageID>", body)
    assert found, body
    return found[1]
