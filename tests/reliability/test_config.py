"""Settings from the environment: a value out of range stops the fake at start with its variable
named, instead of a fake that misbehaves later (a send delay of inf never sends)."""

from __future__ import annotations

import pytest

from fake_cdyne import Config
from fake_cdyne.errors import ConfigError


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("FAKE_CDYNE_SEND_DELAY", "inf", "send_delay must be a finite number"),
        ("FAKE_CDYNE_SEND_DELAY", "nan", "send_delay must be a finite number"),
        ("FAKE_CDYNE_POSTBACK_TIMEOUT", "-1", "postback_timeout must be a finite number, not negative"),
        ("FAKE_CDYNE_POSTBACK_BACKOFF", "1e308", "postback_backoff must be at most 31,536,000 s"),
        ("FAKE_CDYNE_POSTBACK_DRAIN_SECONDS", "31536001", "postback_drain_seconds must be at most"),
        ("FAKE_CDYNE_POSTBACK_RETRIES", "1000", "postback_retries must be at most 20"),
        ("FAKE_CDYNE_PORT", "70000", "port must be from 0 to 65535"),
        ("FAKE_CDYNE_MAX_BODY_BYTES", "-5", "max_body_bytes must be a finite number, not negative"),
        ("FAKE_CDYNE_PORT", "eighty", "FAKE_CDYNE_PORT='eighty' is not a valid int"),
    ],
)
def test_settings_out_of_range_are_refused_naming_them(variable: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Config.from_env({variable: value})
    assert says in str(refused.value)


def test_settings_at_their_limits_are_accepted() -> None:
    config = Config.from_env({"FAKE_CDYNE_SEND_DELAY": "31536000", "FAKE_CDYNE_POSTBACK_RETRIES": "20"})
    assert (config.send_delay, config.postback_retries) == (31536000.0, 20)
