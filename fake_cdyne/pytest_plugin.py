"""The pytest plugin, loaded through the ``pytest11`` entry point when fake-cdyne is installed.

Fixtures, in layers:

- ``fake_cdyne_config`` (session): the ``Config`` of the fake the session starts; override it in a
  conftest.py (for example to use a manual clock).
- ``fake_cdyne_url`` (session): the root URL of the fake. It starts one on 127.0.0.1, port 0, in a
  thread, unless ``--fake-cdyne-url`` or ``FAKE_CDYNE_URL`` names one already running (a container).
- ``fake_cdyne`` (function): a ``FakeCdyneClient`` with a fresh license key, so tests never see each
  other's texts, in one process or under pytest-xdist. At teardown, any failure inside the fake
  caused by the test fails it, naming the request. A test that fails shows, in a report section of its
  own, the requests its code made to /sms.svc, the fake's answers, and its postbacks.
- ``postback_receiver`` (function): a real HTTP endpoint to pass as StatusPostBackURL.

pytest loads this module in every project that installs fake-cdyne, used or not, so it imports the
server stack (starlette, uvicorn, httpx) only inside the fixtures that need it.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .client import FakeCdyneClient, PostbackRecord, RecordedRequest
    from .config import Config
    from .receiver import PostbackReceiver

URL_VARIABLE = "FAKE_CDYNE_URL"
TOKEN_VARIABLE = "FAKE_CDYNE_CONTROL_TOKEN"
# The most requests and postbacks a failing test's report section lists (the latest), and the width
# an answer's summary is shortened to, at a word.
REPORT_MOST = 20
SUMMARY_WIDTH = 120

_CLIENT = pytest.StashKey["FakeCdyneClient"]()
# True when this session started the fake itself: then every failure inside it is some test of this
# session's; a fake shared with others (a container, --fake-cdyne-url) only blames what names the key.
_OWN_FAKE = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fake-cdyne")
    group.addoption(
        "--fake-cdyne-url",
        default=None,
        help=f"use the fake-cdyne already running at this URL instead of starting one [{URL_VARIABLE}]",
    )


@pytest.fixture(scope="session")
def fake_cdyne_config() -> Config:
    """The configuration of the fake the session starts (environment variables apply)."""
    from .config import Config

    return Config.from_env(host="127.0.0.1", port=0)


@pytest.fixture(scope="session")
def fake_cdyne_url(request: pytest.FixtureRequest, fake_cdyne_config: Config) -> Iterator[str]:
    running = request.config.getoption("--fake-cdyne-url") or os.environ.get(URL_VARIABLE)
    if running:
        yield str(running).rstrip("/")
        return
    from .server import FakeServer

    with FakeServer(fake_cdyne_config) as server:
        request.config.stash[_OWN_FAKE] = True
        yield server.url


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fake_cdyne(scenario): the scenario (a file's path, relative to the test file or the rootdir, or a "
        "dict) that the test's fake_cdyne account uses",
    )


def _scenario_for(request: pytest.FixtureRequest) -> str | Path | dict[str, Any] | None:
    marker = request.node.get_closest_marker("fake_cdyne")
    if marker is None:
        return None
    scenario = marker.kwargs.get("scenario", marker.args[0] if marker.args else None)
    if scenario is None or isinstance(scenario, dict):
        return scenario
    path = Path(scenario)
    for candidate in (request.path.parent / path, request.config.rootpath / path):
        if not path.is_absolute() and candidate.exists():
            return candidate
    return path


def _caused_by(error: dict[str, str], requests: list[RecordedRequest], postbacks: list[PostbackRecord]) -> bool:
    """Whether a failure inside the fake came from one of these requests (answered 500, or not at all)
    or from delivering one of these postbacks."""
    where = error["where"]
    return any(where == f"{r.method} {r.path}" and r.status in (500, None) for r in requests) or any(
        where.startswith(f"postback #{p.id} ") for p in postbacks
    )


@pytest.fixture
def fake_cdyne(request: pytest.FixtureRequest, fake_cdyne_url: str) -> Iterator[FakeCdyneClient]:
    """A fake CDYNE account of the test's own: point your code at ``fake_cdyne.base_url`` (sms2) or
    ``fake_cdyne.messaging_url`` (the Messaging API)."""
    from .client import FakeCdyneClient

    with FakeCdyneClient(fake_cdyne_url, token=os.environ.get(TOKEN_VARIABLE)) as client:
        scenario = _scenario_for(request)
        if scenario is not None:
            client.use_scenario(scenario)
        errors_before = len(client.errors())
        request.node.stash[_CLIENT] = client
        yield client
        new_errors = client.errors()[errors_before:]
        if new_errors and not request.config.stash.get(_OWN_FAKE, False):
            requests, postbacks = client.requests, client.postbacks
            new_errors = [e for e in new_errors if _caused_by(e, requests, postbacks)]
        surprises = client.surprises()
        client.reset()
    problems = [f"  fake-cdyne failed internally: {e['where']}: {e['error']}" for e in new_errors]
    problems += [f"  no scenario rule matched: {s['request']}" for s in surprises]
    if problems:
        pytest.fail("fake-cdyne was surprised by this test:\n" + "\n".join(problems), pytrace=False)


def _describe_request(r: RecordedRequest) -> str:
    summary = textwrap.shorten(r.summary, SUMMARY_WIDTH, placeholder=" …")
    return f"  {r.method} {r.path} -> {r.status if r.status is not None else 'no answer'}: {summary}"


def _describe_postback(p: PostbackRecord) -> str:
    tries = [f"HTTP {a['status']}" if a["error"] is None else a["error"] for a in p.attempts]
    failed = f" ({len(tries)} attempt(s): {', '.join(tries)})" if p.state != "delivered" and tries else ""
    return f"  #{p.id} {p.kind} -> {p.url}: {p.state}{failed}"


def report_lines(client: FakeCdyneClient, already_shown: str) -> list[str]:
    """The failing test's report section: its requests to /sms.svc with their answers, then its
    postbacks with the outcome of each; request lines the failure message already shows are left out."""
    requests, postbacks = client.requests[-REPORT_MOST:], client.postbacks[-REPORT_MOST:]
    if not requests:
        lines = [f"the fake got no request naming license key {client.license_key}"]
    else:
        # As FakeCdyneClient.describe_requests words them in assert_sent's failures.
        shown = [f"{r.method} {r.path} -> {r.status}: {r.summary}" in already_shown for r in requests]
        if all(shown):
            lines = [f"the {len(requests)} request(s) naming this key: in the failure message above"]
        else:
            lines = [f"the fake's answers to the last {len(requests)} request(s) naming this key:"]
            lines += map(_describe_request, requests)
    if postbacks:
        lines += [f"the last {len(postbacks)} postback(s) of this key:", *map(_describe_postback, postbacks)]
    return lines


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    client = item.stash.get(_CLIENT, None)
    if report.when == "call" and report.failed and client is not None:
        import httpx

        try:
            lines = report_lines(client, str(report.longrepr))
        except (httpx.HTTPError, AssertionError) as error:  # the fake is gone: say so, fail nothing more
            lines = [f"could not read the fake's request log: {error}"]
        report.sections.append(("fake-cdyne requests", "\n".join(lines)))
    return report


@pytest.fixture
def postback_receiver() -> Iterator[PostbackReceiver]:
    """A real HTTP server on 127.0.0.1 recording the postbacks it receives (``.posts``, ``.wait_for``)."""
    from .receiver import PostbackReceiver

    with PostbackReceiver() as receiver:
        yield receiver
