"""The command line, run for real: the README's first command must keep working."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from fake_cdyne import Config, server
from fake_cdyne.connections import protocol
from fake_cdyne.server import describe_stack


class Running:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self.url = ""
        self.announced = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            match = re.search(r"serving (https?://\S+)/sms\.svc", line)
            if match:
                self.url = match[1]
                self.announced.set()

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(10)
        self.reader.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return code


@contextlib.contextmanager
def start(*args: str, env: dict[str, str] | None = None) -> Iterator[Running]:
    """Run ``python -m fake_cdyne serve`` until the block ends; ready once it prints its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_cdyne", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    running = Running(process)
    try:
        if not running.announced.wait(20):
            pytest.fail(f"fake-cdyne serve did not print its URL within 20 s: {running.lines}")
        yield running
    finally:
        if process.poll() is None:
            running.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_its_url_answers_and_stops_gracefully(sig: signal.Signals) -> None:
    with start() as running:
        url = running.url
        assert httpx.get(f"{url}/_fake/health").json() == {"status": "ok"}
        reply = httpx.get(
            f"{url}/sms.svc/SimpleSMSsend",
            params={"PhoneNumber": "7575449510", "Message": "hi", "LicenseKey": "f01d89fd-5155-5455-5585-e84ab8de8591"},
        )
        assert "<SMSError>NoError</SMSError>" in reply.text
        # A stop asked for is a success (uvicorn alone would raise the signal again after shutting down).
        assert running.stop(sig) == 0
        assert any("Application shutdown complete" in line for line in running.lines)


def test_serve_names_its_event_loop_and_parser_before_its_url() -> None:
    with start() as running:
        serving = next(i for i, line in enumerate(running.lines) if line.startswith("fake-cdyne serving "))
        stack = running.lines[serving - 1]
    if server.UVLOOP_PLATFORM:  # both are dependencies of the default install here
        assert stack == "fake-cdyne: uvloop event loop, httptools parser\n"
    else:
        assert stack == "fake-cdyne: asyncio event loop, httptools parser (uvloop has no build for this platform)\n"


def test_serve_prints_the_inbox_url_before_its_url() -> None:
    with start() as running:
        serving = next(i for i, line in enumerate(running.lines) if line.startswith("fake-cdyne serving "))
        (inbox,) = [line for line in running.lines[:serving] if "inbox" in line]
        url = re.search(r"(https?://\S+/)$", inbox.rstrip("\n"))
        assert url is not None
        assert url[1] == f"{running.url}/"
        page = httpx.get(url[1])
        assert page.headers["content-type"].startswith("text/html")
        assert "inbox.js" in page.text


def described(parser: str) -> str:
    """describe_stack on the standard library's loop, whatever the installed policy."""
    config = uvicorn.Config(lambda scope, receive, send: None, http=protocol(parser))
    config.load()

    async def describe() -> str:
        return describe_stack(config)

    loop = asyncio.SelectorEventLoop()
    try:
        return loop.run_until_complete(describe())
    finally:
        loop.close()


def test_the_slower_stack_says_why() -> None:
    pytest.importorskip("uvloop")
    assert described("httptools") == "asyncio event loop, httptools parser (uvloop is installed, not chosen)"
    assert described("h11") == (
        "asyncio event loop, h11 parser (uvloop is installed, not chosen; httptools is installed, not chosen)"
    )


def test_a_missing_fast_package_is_named_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "_installed", lambda package: False)
    monkeypatch.setattr(server, "UVLOOP_PLATFORM", True)
    assert described("h11") == (
        "asyncio event loop, h11 parser (uvloop is missing: reinstall fake-cdyne; "
        "httptools is missing: reinstall fake-cdyne)"
    )
    monkeypatch.setattr(server, "UVLOOP_PLATFORM", False)
    assert described("h11").startswith("asyncio event loop, h11 parser (uvloop has no build for this platform; ")


def test_options_come_from_the_environment_and_the_command_line() -> None:
    with start("--manual-clock", env={"FAKE_CDYNE_DEFAULT_FORMAT": "json"}) as running:
        assert httpx.get(f"{running.url}/_fake/clock").json()["manual"] is True
        with httpx.Client() as http:
            http.headers.pop("Accept")
            assert http.get(f"{running.url}/sms.svc/CancelMessage").text == "false"


SCENARIO = str(Path(__file__).parent.parent / "scenarios" / "examples" / "stop.yaml")
# Each option of `serve` (by its dest): its command-line arguments and the same setting as its variable.
OPTION_SAMPLES: dict[str, tuple[list[str], str]] = {
    "host": (["--host", "0.0.0.0"], "0.0.0.0"),
    "port": (["--port", "8181"], "8181"),
    "send_delay": (["--send-delay", "2.5"], "2.5"),
    "manual_clock": (["--manual-clock"], "true"),
    "max_message_length": (["--max-message-length", "200"], "200"),
    "max_body_bytes": (["--max-body-bytes", "5000"], "5000"),
    "max_media_bytes": (["--max-media-bytes", "5000"], "5000"),
    "default_format": (["--default-format", "json"], "json"),
    "extra_dids": (["--extra-did", "17575550199", "--extra-did", "17575550100"], "17575550199,17575550100"),
    "accept_unknown_keys": (["--refuse-unknown-keys"], "false"),
    "scenarios": (["--scenario", SCENARIO], SCENARIO),
    "tls": (["--tls"], "1"),
    "tls_cert": (["--tls-cert", "cert.pem"], "cert.pem"),
    "tls_key": (["--tls-key", "key.pem"], "key.pem"),
    "tls_ca_out": (["--tls-ca-out", "ca.pem"], "ca.pem"),
    "store": (["--store", "state.db"], "state.db"),
    "log_level": (["--log-level", "debug"], "debug"),
    "retain_messages": (["--retain-messages", "500"], "500"),
    "retain_seconds": (["--retain-seconds", "3600"], "3600"),
}


def test_every_serve_option_is_honoured_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """For each option `serve --help` lists, the setting it gives the server is the one its
    FAKE_CDYNE_ variable gives, and not the default (an option without a sample here fails)."""
    from fake_cdyne import cli

    parser = cli.build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    options = {a.dest for a in commands.choices["serve"]._actions if a.option_strings and a.dest != "help"}
    assert options == set(OPTION_SAMPLES)
    started: list[tuple[Config, str]] = []
    monkeypatch.setattr(cli, "serve", lambda config, log_level: started.append((config, log_level)))
    monkeypatch.setattr(cli, "announce_scenarios", lambda config: None)
    for name in dataclasses.fields(Config):
        monkeypatch.delenv(f"FAKE_CDYNE_{name.name.upper()}", raising=False)
    monkeypatch.delenv("FAKE_CDYNE_LOG_LEVEL", raising=False)
    assert cli.main(["serve"]) == 0
    for dest, (arguments, variable) in OPTION_SAMPLES.items():
        assert cli.main(["serve", *arguments]) == 0
        with monkeypatch.context() as env:
            env.setenv(f"FAKE_CDYNE_{dest.upper()}", variable)
            assert cli.main(["serve"]) == 0
        (default, default_level), (option, option_level), (environ, environ_level) = started[0], *started[-2:]
        if dest == "log_level":
            assert option_level == environ_level == "debug" != default_level
        else:
            assert getattr(option, dest) == getattr(environ, dest) != getattr(default, dest), dest
            assert dataclasses.replace(option, **{dest: getattr(default, dest)}) == default, dest  # only it


def test_bad_configuration_is_refused_before_starting() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fake_cdyne", "serve", "--port", "0"],
        env={**os.environ, "FAKE_CDYNE_MAX_MESSAGE_LENGTH": "lots"},
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert "FAKE_CDYNE_MAX_MESSAGE_LENGTH='lots' is not a valid int" in result.stderr


def test_port_in_use_is_a_clear_error() -> None:
    with start() as running:
        port = running.url.rsplit(":", 1)[1]
        result = subprocess.run(
            [sys.executable, "-m", "fake_cdyne", "serve", "--port", port], capture_output=True, text=True, timeout=20
        )
        assert result.returncode == 2
        assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


SETTINGS = [f"FAKE_CDYNE_{field.name.upper()}" for field in dataclasses.fields(Config)]


def test_help_names_every_environment_variable() -> None:
    result = subprocess.run([sys.executable, "-m", "fake_cdyne", "serve", "--help"], capture_output=True, text=True)
    assert [name for name in SETTINGS if name not in result.stdout] == []
    assert "FAKE_CDYNE_POSTBACK_RETRIES (default 0)" in result.stdout


def test_the_readme_documents_every_setting() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    configuration = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    options = {
        f"FAKE_CDYNE_{option.upper().replace('-', '_')}" for option in re.findall(r"`--([a-z-]+)`", configuration)
    }
    options |= set(re.findall(r"FAKE_CDYNE_[A-Z0-9_]+", configuration))
    assert [name for name in SETTINGS if name not in options] == []


def test_health_command_follows_the_environment() -> None:
    with start() as running:
        port = running.url.rsplit(":", 1)[1]
        env = {**os.environ, "FAKE_CDYNE_PORT": port}
        ok = subprocess.run([sys.executable, "-m", "fake_cdyne", "health"], env=env, capture_output=True, timeout=20)
        assert ok.returncode == 0
        env["FAKE_CDYNE_TLS"] = "1"  # it is not serving TLS: the check must fail
        bad = subprocess.run([sys.executable, "-m", "fake_cdyne", "health"], env=env, capture_output=True, timeout=20)
        assert bad.returncode == 1


def test_export_and_import_go_through_a_running_fake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fake_cdyne import FakeCdyneClient, FakeServer, cli

    with FakeServer(Config(port=0, control_token="s3cret")) as fake:
        url = fake.url
        monkeypatch.setenv("FAKE_CDYNE_CONTROL_TOKEN", "s3cret")
        with FakeCdyneClient(fake.url, token="s3cret") as client:
            client.incoming("7575449510", "hello")
            assert cli.main(["export", "--url", fake.url]) == 0
            exported = capsys.readouterr().out
            (tmp_path / "state.json").write_text(exported, encoding="utf-8")
            client.reset()
            assert cli.main(["import", str(tmp_path / "state.json"), "--url", fake.url]) == 0
            assert "imported 1 accounts, 0 media, 1 incoming, 0 messages" in capsys.readouterr().out
            texts = httpx.get(f"{fake.url}/_fake/incoming", headers={"Authorization": "Bearer s3cret"}).json()
            assert [text["message"] for text in texts] == ["hello"]
            (tmp_path / "bad.json").write_text(exported.replace('"read":false', '"read":"no"'), encoding="utf-8")
            assert cli.main(["import", str(tmp_path / "bad.json"), "--url", fake.url]) == 1
            assert "incoming[0].read: must be true or false, not 'no'" in capsys.readouterr().err
    assert cli.main(["import", str(tmp_path / "missing.json"), "--url", url]) == 1
    assert "missing.json" in capsys.readouterr().err
