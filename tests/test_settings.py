"""The settings in effect, told the same way by the server, the control API and the client."""

from __future__ import annotations

from pathlib import Path

import httpx

from fake_cdyne import Config, FakeCdyneClient, FakeServer

from .conftest import send


def test_a_scenario_files_defaults_are_the_settings_everyone_reports(tmp_path: Path, key: str) -> None:
    scenario = tmp_path / "slow.yaml"
    scenario.write_text("defaults: {send_delay: 7, postback_retries: 2}\naccept_unknown_keys: true\n")
    asked = Config(port=0, manual_clock=True, scenarios=(str(scenario),), control_token="s3cret")
    with FakeServer(asked) as fake, FakeCdyneClient(fake.url, key, token="s3cret") as client:
        assert (fake.config.send_delay, fake.config.postback_retries) == (7, 2)
        settings = client.settings()
        assert (settings["send_delay"], settings["postback_retries"]) == (7, 2)
        assert settings["scenarios"] == [str(scenario)]
        assert settings["control_token"] == "(set)"  # never the token itself
        with httpx.Client(base_url=fake.url) as http:
            send(http, key)
        client.advance_clock(6.9)
        assert client.last_message.state == "queued"  # the service waits the 7 s it reports
        client.advance_clock(0.1)
        assert client.last_message.state == "sent"


def test_without_scenario_files_the_settings_are_the_config(fake: FakeServer, http: httpx.Client) -> None:
    settings = http.get("/_fake/settings").json()
    assert settings["send_delay"] == fake.config.send_delay == 0
    assert settings["control_token"] is None
    assert set(settings) == set(Config.__dataclass_fields__)
