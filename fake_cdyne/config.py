"""The fake's settings: one frozen value, built from defaults, environment and command line."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .errors import ConfigError
from .values import normalise_phone

ENV_PREFIX = "FAKE_CDYNE_"
# Settings that are spans of time, by the end of their names; none may exceed a year.
SECONDS_SUFFIXES = ("_delay", "_timeout", "_backoff", "_seconds")
MAX_SECONDS = 365 * 24 * 3600
MAX_RETRIES = 20  # as in scenario files: backoff x 2**19 stays a finite span


@dataclass(frozen=True, slots=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    # Seconds between a send's response and the message becoming Sent (on the fake's clock).
    send_delay: float = 0.0
    # Start with a manual clock that only moves through POST /_fake/clock/advance.
    manual_clock: bool = False
    max_message_length: int = 1600
    max_body_bytes: int = 1024 * 1024
    # Messaging media (README, "Media and MMS"): larger files are refused (a null MediaMetadata). URLs given to
    # CreateMediaFromUrl are fetched only with media_fetch, only from loopback addresses and the hosts in
    # media_fetch_allowed_hosts ("*": any), within media_fetch_timeout seconds.
    max_media_bytes: int = 1024 * 1024
    media_fetch: bool = False
    media_fetch_allowed_hosts: tuple[str, ...] = ()
    media_fetch_timeout: float = 5.0
    # Above this a query is 414.
    max_query_bytes: int = 32 * 1024
    # Connections (README, Reliability): a longer request head is 431; one not complete within
    # header_timeout seconds is 408; past max_connections the longest-idle connection is closed.
    max_header_bytes: int = 64 * 1024
    header_timeout: float = 10.0
    max_connections: int = 500
    # The response format when neither Accept nor the request's Content-Type names one.
    default_format: Literal["xml", "json"] = "xml"
    # Sending numbers every auto-created account owns besides its own test DID.
    extra_dids: tuple[str, ...] = ()
    # Whether a well-formed license key nobody declared is a valid account.
    accept_unknown_keys: bool = True
    # Postbacks: one attempt by default, as CDYNE; retries wait backoff, 2x backoff, ... on the fake's clock.
    postback_timeout: float = 10.0
    postback_retries: int = 0
    postback_backoff: float = 1.0
    # When set, postbacks go only to these hosts; others are recorded as failed without a request.
    postback_allowed_hosts: tuple[str, ...] = ()
    postback_workers: int = 32
    # Attempts one license key may have in flight at once, so one tenant's dead receiver leaves workers to others.
    postback_workers_per_key: int = 8
    # A CA certificate to trust, besides the system's, for https postbacks (a receiver's test CA).
    postback_ca_file: str | None = None
    # On shutdown, how long queued postbacks may take; every one left is named in the log (or a file if many).
    postback_drain_seconds: float = 1.5
    # Serve https: with tls_cert and tls_key, or a certificate made at start for localhost, 127.0.0.1,
    # ::1, host and tls_names, signed by a CA whose certificate is written to tls_ca_out.
    tls: bool = False
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_names: tuple[str, ...] = ()
    tls_ca_out: str | None = None
    # When set, the control API (but /_fake/health) wants "Authorization: Bearer <token>".
    control_token: str | None = None
    # Host names the control API answers to besides localhost, *.localhost, IP addresses, host and
    # tls_names (against DNS rebinding): names, "*.suffix" patterns, or "*" for any.
    allowed_hosts: tuple[str, ...] = ()
    # Scenario files or folders, loaded in order at start.
    scenarios: tuple[str, ...] = ()
    # SOAP 1.2 at /sms.svc/WS without the a:To and a:Action headers is a fault, as at CDYNE's WCF host;
    # false dispatches it by the Content-Type's action or the body element instead.
    soap12_require_addressing: bool = True
    # How many of the newest requests to /sms.svc GET /_fake/requests shows (0: none are kept).
    request_log_size: int = 1000

    def __post_init__(self) -> None:
        if self.default_format not in ("xml", "json"):
            raise ConfigError(f"default_format must be 'xml' or 'json', not {self.default_format!r}")
        for did in self.extra_dids:
            if normalise_phone(did) is None:
                raise ConfigError(f"extra DID {did!r} is not a phone number")
        for name in ("postback_workers", "postback_workers_per_key", "max_connections", "max_header_bytes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"{field.name} must be a finite number, not negative: {value!r}")
            if field.name.endswith(SECONDS_SUFFIXES) and value > MAX_SECONDS:
                raise ConfigError(f"{field.name} must be at most {MAX_SECONDS:,} s (a year): {value!r}")
        if self.port > 65535:
            raise ConfigError(f"port must be from 0 to 65535, not {self.port}")
        if self.postback_retries > MAX_RETRIES:
            raise ConfigError(f"postback_retries must be at most {MAX_RETRIES}, not {self.postback_retries}")
        if self.header_timeout <= 0:
            raise ConfigError("header_timeout must be more than 0")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Config:
        """Defaults, then ``FAKE_CDYNE_<FIELD>`` variables, then explicit overrides (None is skipped)."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + field.name.upper())
            if raw is not None and raw != "":
                values[field.name] = _convert(field.name, field.default, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)  # type: ignore[arg-type]
        except TypeError as error:
            raise ConfigError(str(error)) from None


def _convert(name: str, default: object, raw: str) -> object:
    variable = ENV_PREFIX + name.upper()
    try:
        if isinstance(default, bool):
            return {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}[raw.strip().lower()]
        if isinstance(default, tuple):
            return tuple(
                part.strip().lower() if "host" in name else part.strip() for part in raw.split(",") if part.strip()
            )
        if isinstance(default, int | float):
            return type(default)(raw)
    except (KeyError, ValueError):
        raise ConfigError(f"{variable}={raw!r} is not a valid {type(default).__name__}") from None
    return raw
