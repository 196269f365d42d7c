"""What the Messaging wire tests share: a fake of their module's own whose ``service.messaging`` is a
recorder (each method records its arguments and answers what the test set), its clients, and the help
pages' sample values. The operations' behaviour is not under test there: only the wire."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from fake_cdyne import Config, FakeServer
from fake_cdyne.operations import Result

from ..conftest import DATA, one_line

REFERENCE = DATA / "wsdl-2018"  # CDYNE's files as Visual Studio fetched them (PROVENANCE.md)
SMS2 = "http://sms2.cdyne.com"
XSI = 'xmlns:i="http://www.w3.org/2001/XMLSchema-instance"'
SAMPLE_ID = uuid.UUID("1627aea5-8e0a-4371-9022-9b504344e724")  # the help pages' sample GUID
SAMPLE_DATE = datetime(1999, 5, 31, 11, 20, tzinfo=UTC)  # their 1999-05-31T11:20:00
HTML = "text/html; charset=utf-8"
CONTENT = "String content"  # the help pages' sample string
ARRAYS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"


class Recorder:
    """A stand-in for every part of ``service.messaging``: each method records its arguments and
    answers what the test put in ``answers`` (None by default)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.answers: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def method(*args: Any) -> Result[Any]:
            self.calls.append((name, args))
            return Result(self.answers.get(name))

        return method

    def last(self, name: str) -> tuple[Any, ...]:
        found = [args for called, args in self.calls if called == name]
        assert found, f"{name} was not called: {self.calls}"
        return found[-1]


@pytest.fixture(scope="module")
def wire() -> Iterator[tuple[FakeServer, Recorder]]:
    recorder = Recorder()
    with FakeServer(Config(port=0)) as fake:
        messaging = fake.starlette.service.messaging
        for part in ("sending", "incoming", "keywords", "postback_settings", "media"):
            setattr(messaging, part, recorder)
        yield fake, recorder


@pytest.fixture
def rec(wire: tuple[FakeServer, Recorder]) -> Recorder:
    recorder = wire[1]
    recorder.calls.clear()
    recorder.answers.clear()
    return recorder


@pytest.fixture
def web(wire: tuple[FakeServer, Recorder]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{wire[0].url}/Messaging.svc", timeout=10) as client:
        yield client


def xml_example(pretty: str) -> str:
    """A help page's pretty-printed example as WCF sends it: one line, ``xmlns:i`` on the root."""
    line = one_line(pretty)
    return line.replace(f'xmlns="{SMS2}">', f'xmlns="{SMS2}" {XSI}>', 1)


def request_error(reply: httpx.Response) -> None:
    assert reply.status_code == 400, reply.text
    assert reply.headers["content-type"] == HTML
    assert "<title>Request Error</title>" in reply.text
    assert "The server encountered an error processing the request." in reply.text
