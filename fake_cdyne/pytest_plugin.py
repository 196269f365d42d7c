"""The pytest plugin, loaded through the ``pytest11`` entry point when fake-cdyne is installed.

Fixtures, in layers:

- ``fake_cdyne_config`` (session): the ``Config`` of the fake the session starts; override it in a
  conftest.py (for example to use a manual clock).
- ``fake_cdyne_url`` (session): the root URL of the fake. It starts one on 127.0.0.1, port 0, in a
  thread, unless ``--fake-cdyne-url`` or ``FAKE_CDYNE_URL`` names one already running (a container).
- ``fake_cdyne`` (function): a ``FakeCdyneClient`` with a fresh license key, so tests never see each
  other's texts, in one process or under pytest-xdist. At teardown, any failure inside the fake
  during the test fails it, naming the request.
- ``postback_receiver`` (function): a real HTTP endpoint to pass as StatusPostBackURL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

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


@pytest.fixture
def fake_cdyne(fake_cdyne_url: str) -> Iterator[FakeCdyneClient]:
    """A fake CDYNE account of the test's own: point your code at ``fake_cdyne.base_url``."""
    with FakeCdyneClient(fake_cdyne_url, token=os.environ.get(TOKEN_VARIABLE)) as client:
        errors_before = len(client.errors())
        yield client
        new_errors = client.errors()[errors_before:]
        client.reset()
    if new_errors:
        listed = "\n".join(f"  {e['where']}: {e['error']}" for e in new_errors)
        pytest.fail(f"fake-cdyne failed internally during this test:\n{listed}", pytrace=False)


@pytest.fixture
def postback_receiver() -> Iterator[PostbackReceiver]:
    """A real HTTP server on 127.0.0.1 recording the postbacks it receives (``.posts``, ``.wait_for``)."""
    with PostbackReceiver() as receiver:
        yield receiver
