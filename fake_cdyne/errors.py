"""fake-cdyne's own exceptions.

``FakeCdyneError`` is the root. ``RequestError`` and its subclasses carry the HTTP status and a
message naming what was wrong with a client's request; the codecs raise them and the HTTP layer turns
them into short, specific responses (never a traceback). ``ConfigError`` is a problem with the fake's
own configuration, reported before the server starts.
"""

from __future__ import annotations


class FakeCdyneError(Exception):
    """Base of every error fake-cdyne raises on purpose."""


class ConfigError(FakeCdyneError):
    """The fake's configuration (options, environment, scenario files) is invalid."""


class RequestError(FakeCdyneError):
    """A client request the service would refuse before any CDYNE logic runs."""

    status = 400
    title = "Bad Request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadParameter(RequestError):
    """A query parameter or body member has a value of the wrong type (for example not a GUID)."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        shown = value if len(str(value)) <= 80 else f"{str(value)[:80]}..."
        super().__init__(f"The value {shown!r} of '{name}' is not {expected}.")
        self.name = name


class BadBody(RequestError):
    """The request body cannot be read as the operation's input."""


class PayloadTooLarge(RequestError):
    status = 413
    title = "Request Entity Too Large"


class UriTooLong(RequestError):
    status = 414
    title = "Request-URI Too Long"


class UnsupportedMediaType(RequestError):
    status = 415
    title = "Unsupported Media Type"
