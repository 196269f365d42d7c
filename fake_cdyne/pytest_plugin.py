"""The pytest plugin, loaded through the ``pytest11`` entry point when fake-cdyne is installed.

Fixtures, in layers:

- ``fake_cdyne_config`` (session): the ``Config`` of the fake the session starts; override it in a
  conftest.py (for example to use a manual clock).
- ``fake_cdyne_url`` (session): the root URL of the fake. It starts one on 127.0.0.1, port 0, in a
  thread, unless ``--fake-cdyne-url`` or ``FAKE_CDYNE_URL`` names one already running (a container).
- ``fake_cdyne`` (function): a ``FakeCdyneClient`` with a fresh license key, so tests never see each
  other's texts, in one process or under pytest-xdist. At teardown, any failure inside the fake
  during the test fails it, naming the request. A test that fails shows, in a report section of its
  own, the requests its code made to /sms.svc and the fake's answers.
- ``postback_receiver`` (function): a real HTTP endpoint to pass as StatusPostBackURL.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .client import FakeCdyneClient
from .config import Config
from .receiver import PostbackReceiver
from .server import FakeServer

URL_VARIABLE = "FAKE_CDYNE_URL"
TOKEN_VARIABLE = "FAKE_CDYNE_CONTROL_TOKEN"


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
    return Config.from_env(host="127.0.0.1", port=0)


@pytest.fixture(scope="session")
def fake_cdyne_url(request: pytest.FixtureRequest, fake_cdyne_config: Config) -> Iterator[str]:
    running = request.config.getoption("--fake-cdyne-url") or os.environ.get(URL_VARIABLE)
    if running:
        yield str(running).rstrip("/")
        return
    with FakeServer(fake_cdyne_config) as server:
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


@pytest.fixture
def fake_cdyne(request: pytest.FixtureRequest, fake_cdyne_url: str) -> Iterator[FakeCdyneClient]:
    """A fake CDYNE account of the test's own: point your code at ``fake_cdyne.base_url``."""
    with FakeCdyneClient(fake_cdyne_url, token=os.environ.get(TOKEN_VARIABLE)) as client:
        scenario = _scenario_for(request)
        if scenario is not None:
            client.use_scenario(scenario)
        errors_before = len(client.errors())
        yield client
        new_errors = client.errors()[errors_before:]
        surprises = client.surprises()
        client.reset()
    problems = [f"  fake-cdyne failed internally: {e['where']}: {e['error']}" for e in new_errors]
    problems += [f"  no scenario rule matched: {s['request']}" for s in surprises]
    if problems:
        pytest.fail("fake-cdyne was surprised by this test:\n" + "\n".join(problems), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    handle = getattr(item, "funcargs", {}).get("fake_cdyne")
    if report.when == "call" and report.failed and isinstance(handle, FakeCdyneClient):
        try:
            lines = handle.describe_requests(most=20)
        except (httpx.HTTPError, AssertionError) as error:  # the fake is gone: say so, fail nothing more
            lines = [f"could not read the fake's request log: {error}"]
        report.sections.append(("fake-cdyne requests", "\n".join(lines)))
    return report


@pytest.fixture
def postback_receiver() -> Iterator[PostbackReceiver]:
    """A real HTTP server on 127.0.0.1 recording the postbacks it receives (``.posts``, ``.wait_for``)."""
    with PostbackReceiver() as receiver:
        yield receiver
