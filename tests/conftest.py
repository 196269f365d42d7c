from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fake_cdyne import Config, FakeServer

DATA = Path(__file__).parent / "data"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ZERO_GUID = "00000000-0000-0000-0000-000000000000"


def without_ids(text: str) -> str:
    """The body with every non-zero GUID replaced, for byte comparison with captures."""
    return GUID.sub(lambda m: m[0] if m[0] == ZERO_GUID else "GUID", text)


def one_line(xml: str) -> str:
    """A pretty-printed capture as the service sends it: no declaration, no whitespace between tags."""
    xml = re.sub(r"^<\?xml[^>]*\?>", "", xml.strip())
    return re.sub(r">\s+<", "><", xml).strip()


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
def key() -> str:
    """A fresh license key: its own account, so tests never see each other's messages."""
    return str(uuid.uuid4())


def send(
    http: httpx.Client, key: str, phone: str = "7575449510", message: str = "Hello", **extra: str
) -> httpx.Response:
    params = {"PhoneNumber": phone, "Message": message, "LicenseKey": key, **extra}
    return http.get("/sms.svc/SimpleSMSsendWithPostback", params=params)


def message_id(body: str) -> str:
    found = re.search(r"<MessageID>([^<]*)</MessageID>", body)
    assert found, body
    return found[1]
