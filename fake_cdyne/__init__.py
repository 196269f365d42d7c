"""fake-cdyne: a test double of the CDYNE SMS Notify! web service.

The names below are imported on first use, so that importing the package (as pytest does for its
plugin, in every project that installs fake-cdyne) does not load the server stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    from .app import create_app
    from .client import ControlAPIError, FakeCdyneClient, IncomingText, PostbackRecord, RecordedRequest, SentMessage
    from .clock import ManualClock, SystemClock
    from .config import Config
    from .errors import ConfigError, FakeCdyneError, RequestError
    from .model import SMSError
    from .receiver import PostbackReceiver, ReceivedPost
    from .server import FakeServer, ServerFailed

_MODULES = {
    "create_app": "app",
    "ControlAPIError": "client",
    "FakeCdyneClient": "client",
    "IncomingText": "client",
    "PostbackRecord": "client",
    "RecordedRequest": "client",
    "SentMessage": "client",
    "ManualClock": "clock",
    "SystemClock": "clock",
    "Config": "config",
    "ConfigError": "errors",
    "FakeCdyneError": "errors",
    "RequestError": "errors",
    "SMSError": "model",
    "PostbackReceiver": "receiver",
    "ReceivedPost": "receiver",
    "FakeServer": "server",
    "ServerFailed": "server",
}

__all__ = [
    "Config",
    "ConfigError",
    "ControlAPIError",
    "FakeCdyneClient",
    "FakeCdyneError",
    "FakeServer",
    "IncomingText",
    "ManualClock",
    "PostbackReceiver",
    "PostbackRecord",
    "ReceivedPost",
    "RecordedRequest",
    "RequestError",
    "SMSError",
    "SentMessage",
    "ServerFailed",
    "SystemClock",
    "__version__",
    "create_app",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULES])
