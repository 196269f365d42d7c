"""fake-cdyne: a test double of the CDYNE SMS Notify! web service."""

from __future__ import annotations

__version__ = "0.1.0"

from .app import create_app
from .clock import ManualClock, SystemClock
from .config import Config
from .errors import ConfigError, FakeCdyneError, RequestError
from .model import SMSError
from .server import FakeServer, ServerFailed

__all__ = [
    "Config",
    "ConfigError",
    "FakeCdyneError",
    "FakeServer",
    "ManualClock",
    "RequestError",
    "SMSError",
    "ServerFailed",
    "SystemClock",
    "__version__",
    "create_app",
]
