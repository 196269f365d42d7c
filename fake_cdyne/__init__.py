"""fake-cdyne: a test double of the CDYNE SMS Notify! web service."""

from __future__ import annotations

__version__ = "0.1.0"

from .app import create_app
from .client import ControlAPIError, FakeCdyneClient, IncomingText, PostbackRecord, RecordedRequest, SentMessage
from .clock import ManualClock, SystemClock
from .config import Config
from .errors import ConfigError, FakeCdyneError, RequestError
from .model import SMSError
from .receiver import PostbackReceiver, ReceivedPost
from .server import FakeServer, ServerFailed

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
